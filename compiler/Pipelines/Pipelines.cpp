//===- Pipelines.cpp - nnc compilation pipelines --------------------------===//

#include "compiler/Pipelines/Pipelines.h"

#include "dialects/NN/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

void nnc::buildTrainStepPipeline(mlir::OpPassManager &pm) {
  pm.addPass(mlir::nn::createNNAutodiffPass());
  pm.addPass(mlir::nn::createNNBuildTrainStepPass());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
}

void nnc::registerPipelines() {
  mlir::PassPipelineRegistration<>(
      "nnc-train-step",
      "Builds the training and evaluation steps of nn models",
      buildTrainStepPipeline);
}
