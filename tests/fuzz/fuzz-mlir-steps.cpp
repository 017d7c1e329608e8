//===- fuzz-mlir-steps.cpp - Fuzzes nn-dialect input and the step builder ===//
//
// Any text, read as nn-dialect IR as `nnc compile model.mlir` reads it: what
// parses and verifies goes through nn-autodiff and nn-build-train-step,
// which must build verified steps or fail with a diagnostic.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/IR/NNDialect.h"
#include "dialects/NN/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstdlib>
#include <string>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    r->insert<nn::NNDialect, func::FuncDialect, arith::ArithDialect,
              tensor::TensorDialect, linalg::LinalgDialect, math::MathDialect,
              cf::ControlFlowDialect>();
    return r;
  }();
  MLIRContext context(*registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  int errors = 0;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    errors += diag.getSeverity() == DiagnosticSeverity::Error;
    return success();
  });
  // Files reach the parsers NUL-terminated (MemoryBuffer), as here.
  std::string text(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, ParserConfig(&context));
  if (!module || failed(verify(*module)))
    return 0;
  PassManager pm(&context);
  pm.addPass(nn::createNNAutodiffPass());
  pm.addPass(nn::createNNBuildTrainStepPass());
  int before = errors;
  if (failed(pm.run(*module))) {
    // A failing pass says why.
    if (errors == before)
      std::abort();
    return 0;
  }
  if (failed(verify(*module)))
    std::abort();
  return 0;
}
