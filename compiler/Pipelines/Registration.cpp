//===- Registration.cpp - Dialects and passes nnc uses --------------------===//

#include "compiler/Pipelines/Registration.h"

#include "compiler/Analysis/Passes.h"
#include "compiler/Codegen/Passes.h"
#include "compiler/Conversion/Passes.h"
#include "compiler/Pipelines/Pipelines.h"
#include "dialects/NN/IR/NNDialect.h"
#include "dialects/NN/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void nnc::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::nn::NNDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels (NVVM) to LLVM IR in-process.
  mlir::registerAllToLLVMIRTranslations(registry);
}

void nnc::registerAllPasses() {
  mlir::registerAllPasses();
  mlir::nn::registerNNPasses();
  registerNNCAnalysisPasses();
  registerNNCConversionPasses();
  registerNNCCodegenPasses();
  registerPipelines();
}
