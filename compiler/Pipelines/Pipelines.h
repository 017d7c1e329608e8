//===- Pipelines.h - nnc compilation pipelines ------------------*- C++ -*-===//
//
// The pass pipelines behind `nnc compile --emit=...`, also registered for
// nnc-opt so each stage can be reproduced by hand.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_PIPELINES_PIPELINES_H
#define NNC_COMPILER_PIPELINES_PIPELINES_H

#include <cstdint>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace nnc {

/// Options of step assembly.
struct TrainStepOptions {
  /// Instrument the training step with each gradient's RMS.
  bool gradStats = false;
};

/// Model -> `@m_train_step` and `@m_eval_step` on `nn` ops: autodiff, step
/// assembly, then canonicalize and CSE (`nnc-train-step` in nnc-opt).
void buildTrainStepPipeline(mlir::OpPassManager &pm,
                            const TrainStepOptions &options = {});

/// Steps on `nn` ops -> `linalg` on tensors: named ops and elementwise
/// generics in the model's layout (`nnc-linalg` in nnc-opt). Target-neutral:
/// no algorithm, layout, tile size or padding is chosen.
void buildLinalgPipeline(mlir::OpPassManager &pm);

/// Target-neutral `linalg` -> the CPU's algorithms on tensors, with
/// elementwise chains fused and images kept channels-last between direct
/// convolutions (`nnc-cpu-linalg` in nnc-opt).
void buildCPULinalgPipeline(mlir::OpPassManager &pm);

/// Options of the CPU lowering.
struct CPUPipelineOptions {
  /// Threads to split large ops across (scf.forall, then OpenMP); 1 keeps
  /// the code sequential.
  int64_t threads = 1;
};

/// `linalg` on tensors -> the LLVM dialect for the host CPU: the in-place
/// buffer ABI, one-shot bufferization, loops, LLVM (`nnc-cpu-llvm`).
void buildCPULLVMPipeline(mlir::OpPassManager &pm,
                          const CPUPipelineOptions &options = {});

/// Registers the pipelines with the pass registry.
void registerPipelines();

} // namespace nnc

#endif // NNC_COMPILER_PIPELINES_PIPELINES_H
