//===- LibraryInterface.h - What a generated library exports ----*- C++ -*-===//
//
// The C-level description of a compiled model: its parameters, optimizer
// state, inputs and outputs, read off the step functions' attributes. The
// header and glue emitters and `nnc train` all work from it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_TARGET_LIBRARYINTERFACE_H
#define NNC_COMPILER_TARGET_LIBRARYINTERFACE_H

#include "dialects/NN/IR/NNDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace nnc {

/// One tensor crossing the library boundary.
struct TensorInfo {
  std::string name; ///< `dense0.weight`, `x`, `loss`.
  std::vector<int64_t> shape;
  std::string cType;       ///< `float`, `double`, `int32_t`, `int64_t`.
  mlir::nn::InitAttr init; ///< Parameters only.
  bool isLabel = false;    ///< Inputs only.
  bool isBuffer = false;   ///< A buffer among the parameters (no gradient).
  std::string cName;       ///< Its name as a C identifier in the API.

  int64_t numElements() const;
};

/// Everything the C API of one model needs.
struct LibraryInterface {
  std::string model; ///< Symbol prefix: `mlp`.
  std::vector<TensorInfo> params;
  std::vector<TensorInfo> state;   ///< Optimizer state, in parameter order.
  std::vector<TensorInfo> inputs;  ///< Inputs and labels, in declaration order.
  std::vector<TensorInfo> outputs; ///< Eval outputs after the loss.
  std::string optimizer;
  std::string lossType = "float"; ///< C type of the loss.
  double learningRate = 1e-3;
  /// Bytes of scratch memory the train and eval steps need (one workspace
  /// serves both); known once the steps are lowered.
  int64_t workspaceBytes = 0;
  /// Whether the code runs on OpenMP threads (and needs libomp).
  bool openmp = false;
  /// Whether the training step reports each gradient's RMS
  /// (`--instrument=grad-stats`): the API then has `<m>_grad_rms`.
  bool gradStats = false;
  /// Whether the library has the training step's halves (`--gradient-api`):
  /// `<m>_compute_gradients`, `<m>_gradients` and `<m>_apply_update`.
  bool gradientAPI = false;
  /// With the gradient API: the C type of the gradient buffer (that of every
  /// parameter) and its elements, each parameter's gradient in `params`
  /// order, buffers skipped.
  std::string gradType = "float";
  int64_t gradElements = 0;
  /// Whether the steps run on an NVIDIA GPU (`--target=cuda`): the state
  /// then lives in device memory, the API gains `<m>_train_step_device`
  /// and `<m>_sync_to_host`/`_to_device`, and the library loads the CUDA
  /// driver when a state is created.
  bool cuda = false;
  /// CUDA only: the kernels in the order the steps launch them by index,
  /// and the size of their image (`_nnc_<m>_gpu_image`) in bytes.
  std::vector<std::string> gpuKernels;
  int64_t gpuImageBytes = 0;

  /// Reads the interface off `@<m>_train_step` and `@<m>_eval_step` (the
  /// output of nnc-train-step), and `@<m>_grad_step` and `@<m>_update_step`
  /// if they are there. Fails with a diagnostic if they are missing
  /// or use a type the C API cannot express.
  static mlir::FailureOr<LibraryInterface> fromModule(mlir::ModuleOp module);
};

/// Writes `<model>.h`: the documented C API.
void emitCHeader(const LibraryInterface &lib, llvm::raw_ostream &os);

/// Writes `<model>_api.c`: the C API on top of the compiled step functions
/// (`_nnc_<model>_train_step`, `_nnc_<model>_eval_step`) and the runtime;
/// for `lib.cuda`, on top of the GPU runtime (runtime/nnc_gpu.h) too.
void emitCGlue(const LibraryInterface &lib, llvm::raw_ostream &os);

/// Writes `<model>.pc`, the pkg-config description of the library for build
/// systems other than CMake. Its paths are relative to the file itself, so
/// the output directory can move; `nncVersion` is the library's version.
void emitPkgConfig(const LibraryInterface &lib, llvm::StringRef nncVersion,
                   llvm::raw_ostream &os);

} // namespace nnc

#endif // NNC_COMPILER_TARGET_LIBRARYINTERFACE_H
