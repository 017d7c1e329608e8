//===- Pipelines.h - nnc compilation pipelines ------------------*- C++ -*-===//
//
// The pass pipelines behind `nnc compile --emit=...`, also registered for
// nnc-opt so each stage can be reproduced by hand.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_PIPELINES_PIPELINES_H
#define NNC_COMPILER_PIPELINES_PIPELINES_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace nnc {

/// Model -> `@m_train_step` and `@m_eval_step` on `nn` ops: autodiff, step
/// assembly, then canonicalize and CSE (`nnc-train-step` in nnc-opt).
void buildTrainStepPipeline(mlir::OpPassManager &pm);

/// Registers the pipelines with the pass registry.
void registerPipelines();

} // namespace nnc

#endif // NNC_COMPILER_PIPELINES_PIPELINES_H
