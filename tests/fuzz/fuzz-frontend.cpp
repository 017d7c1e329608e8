//===- fuzz-frontend.cpp - Fuzzes the model language ----------------------===//
//
// Any text, read as a model file: the frontend must build a module that
// verifies, or report located errors, and never crash or hang. Diagnostics
// are counted, not printed.
//
//===----------------------------------------------------------------------===//

#include "compiler/Frontend/MLIRGen.h"
#include "dialects/NN/IR/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdlib>
#include <string>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    r->insert<nn::NNDialect, func::FuncDialect, arith::ArithDialect,
              tensor::TensorDialect>();
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
      nnc::frontend::importModelFile(&context, "fuzz.nn", text);
  // A module comes back only for a model without errors, and it verifies.
  if (module && (errors || failed(verify(*module))))
    std::abort();
  if (!module && !errors)
    std::abort();
  return 0;
}
