//===- Compile.h - From a model to a library ---------------------*- C++
//-*-===//
//
// The stages of `nnc compile`, shared by the tool and `nnc train`.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_DRIVER_COMPILE_H
#define NNC_COMPILER_DRIVER_COMPILE_H

#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Target/LibraryInterface.h"
#include "compiler/Target/ObjectEmitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"

#include <string>

namespace nnc {

/// Where the generated steps run.
enum class Target {
  CPU,  ///< The host CPU (`--target-cpu` picks the ISA).
  CUDA, ///< An NVIDIA GPU, launched from host code (`--gpu-arch`).
};

/// How to compile a model.
struct CompileOptions {
  TrainStepOptions steps;
  CodegenOptions codegen;
  Target target = Target::CPU;
  CPUPipelineOptions cpu;
  GPUPipelineOptions gpu;
  /// Where each stage records its time (`--time-passes`), or null.
  mlir::TimingScope *timing = nullptr;
};

/// Runs autodiff and step assembly: the `--emit=train` stage.
/// `timing`, when given, receives the time of each pass.
mlir::LogicalResult buildSteps(mlir::ModuleOp module,
                               const TrainStepOptions &options = {},
                               mlir::TimingScope *timing = nullptr);

/// Lowers steps to target-neutral linalg on tensors.
mlir::LogicalResult lowerToLinalg(mlir::ModuleOp module,
                                  mlir::TimingScope *timing = nullptr);

/// Records the CPU strategy's choice on each named op without applying it:
/// with lowerToLinalg, the `--emit=linalg` stage.
mlir::LogicalResult annotateCPUStrategy(mlir::ModuleOp module,
                                        const CompileOptions &options);

/// Target-neutral linalg -> the CPU's algorithms, fused, on tensors: the
/// `--emit=linalg-cpu` stage.
mlir::LogicalResult applyCPUStrategy(mlir::ModuleOp module,
                                     const CompileOptions &options);

/// Lowers linalg to the LLVM dialect for `options.target` and drops nnc's
/// attributes, which have no meaning in LLVM IR. `lib`, when given,
/// receives the largest workspace a step needs and, for the GPU, the
/// kernels' names and image size.
mlir::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module,
                                       const CompileOptions &options,
                                       LibraryInterface *lib = nullptr);

/// Reads the library's interface off the steps (already built) into `lib`
/// and lowers them to the LLVM dialect for `options.target`, completing
/// `lib` (workspace, GPU kernels): what the header and the glue need.
mlir::LogicalResult lowerLibrary(mlir::ModuleOp module,
                                 const CompileOptions &options,
                                 LibraryInterface &lib);

/// Compiles a model (steps already built) into `<dir>/lib<model>.so`,
/// `<dir>/lib<model>.a`, `<dir>/<model>.h` (with `nnc_types.h`) and
/// `<dir>/<model>.pc`. `lib` receives the
/// interface. Errors are reported through the diagnostic engine.
mlir::LogicalResult writeLibrary(mlir::ModuleOp module,
                                 const CompileOptions &options,
                                 llvm::StringRef dir, LibraryInterface &lib);

} // namespace nnc

#endif // NNC_COMPILER_DRIVER_COMPILE_H
