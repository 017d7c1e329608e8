//===- Pipelines.h - nnc compilation pipelines ------------------*- C++ -*-===//
//
// The pass pipelines behind `nnc compile --emit=...`, also registered for
// nnc-opt so each stage can be reproduced by hand.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_PIPELINES_PIPELINES_H
#define NNC_COMPILER_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

#include <cstdint>
#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace nnc {

/// Options of step assembly; also `nnc-train-step`'s in nnc-opt.
struct TrainStepOptions : mlir::PassPipelineOptions<TrainStepOptions> {
  Option<bool> gradStats{
      *this, "grad-stats",
      llvm::cl::desc("Instrument the training step with each gradient's RMS"),
      llvm::cl::init(false)};
  Option<bool> gradientAPI{
      *this, "gradient-api",
      llvm::cl::desc("Also build the gradient and update steps, the training "
                     "step's halves (data-parallel training)"),
      llvm::cl::init(false)};
};

/// Model -> `@m_train_step` and `@m_eval_step` on `nn` ops: autodiff, step
/// assembly, then canonicalize and CSE (`nnc-train-step` in nnc-opt).
void buildTrainStepPipeline(mlir::OpPassManager &pm,
                            const TrainStepOptions &options = {});

/// Steps on `nn` ops -> `linalg` on tensors: named ops and elementwise
/// generics in the model's layout (`nnc-linalg` in nnc-opt). Target-neutral:
/// no algorithm, layout, tile size or padding is chosen.
void buildLinalgPipeline(mlir::OpPassManager &pm);

/// Options of the CPU lowering; also `nnc-cpu-llvm`'s in nnc-opt.
struct CPUPipelineOptions : mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<int64_t> threads{
      *this, "threads",
      llvm::cl::desc("Threads to split large ops across (scf.forall, then "
                     "OpenMP); 1 keeps the code sequential"),
      llvm::cl::init(1)};
  Option<int64_t> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Bits of one vector register of the target CPU (the "
                     "register tiles' width): 128, 256 (AVX2) or 512 "
                     "(AVX-512)"),
      llvm::cl::init(256)};
  Option<int64_t> vectorRegisters{
      *this, "vector-registers",
      llvm::cl::desc("Vector registers of the target CPU: 16 (AVX2) or 32 "
                     "(AVX-512)"),
      llvm::cl::init(16)};

  /// Why these options cannot build a pipeline, or empty if they can.
  std::string check() const;
};

/// Target-neutral `linalg` -> the CPU's algorithms on tensors, with each
/// product's tiling planned, elementwise chains fused and images kept
/// channels-last between direct convolutions (`nnc-cpu-linalg` in nnc-opt).
void buildCPULinalgPipeline(mlir::OpPassManager &pm,
                            const CPUPipelineOptions &options = {});

/// `linalg` on tensors -> the LLVM dialect for the host CPU: the in-place
/// buffer ABI, one-shot bufferization, loops, LLVM (`nnc-cpu-llvm`).
void buildCPULLVMPipeline(mlir::OpPassManager &pm,
                          const CPUPipelineOptions &options = {});

/// Options of the GPU lowering; also `nnc-gpu-llvm`'s in nnc-opt.
struct GPUPipelineOptions : mlir::PassPipelineOptions<GPUPipelineOptions> {
  Option<std::string> arch{
      *this, "gpu-arch",
      llvm::cl::desc("NVIDIA GPU architecture to compile kernels for: sm_70 "
                     "or newer (sm_80 for A100, sm_90 for H100 and H200)"),
      llvm::cl::init("sm_80")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel object format: fatbin (machine code and PTX; "
                     "needs ptxas), bin (machine code) or isa (PTX, "
                     "compiled by the driver at load time)"),
      llvm::cl::init("fatbin")};
  Option<int64_t> threadsPerBlock{
      *this, "threads-per-block",
      llvm::cl::desc("Threads per block of elementwise and reduction "
                     "kernels"),
      llvm::cl::init(256)};
  Option<bool> emulate{
      *this, "emulate-on-host",
      llvm::cl::desc("Run the kernels on the host, every thread one after "
                     "another, instead of on a GPU: for numerical tests of "
                     "the GPU strategy without a GPU"),
      llvm::cl::init(false)};
  Option<std::string> toolkit{
      *this, "cuda-path",
      llvm::cl::desc("The CUDA toolkit (libdevice, ptxas); by default "
                     "$CUDA_HOME, $CUDA_PATH, the toolkit of the ptxas on "
                     "PATH, or /usr/local/cuda"),
      llvm::cl::init("")};
  Option<std::string> symbolPrefix{
      *this, "symbol-prefix",
      llvm::cl::desc("Prefix of the kernel image's symbol"),
      llvm::cl::init("_nnc_gpu")};

  /// Why these options cannot build a pipeline, or empty if they can.
  std::string check() const;
};

/// The CUDA toolkit nnc compiles kernels with: $CUDA_HOME, $CUDA_PATH,
/// the toolkit whose bin/ holds the ptxas on PATH, or /usr/local/cuda.
std::string findCUDAToolkit();

/// `linalg` on tensors -> host code in the LLVM dialect that launches
/// kernels compiled for an NVIDIA GPU: the in-place buffer ABI,
/// bufferization, the GPU strategy (a kernel per op), the workspace plan,
/// NVVM and the kernels' binary (`nnc-gpu-llvm` in nnc-opt).
void buildGPULLVMPipeline(mlir::OpPassManager &pm,
                          const GPUPipelineOptions &options = {});

/// Registers the pipelines with the pass registry.
void registerPipelines();

} // namespace nnc

#endif // NNC_COMPILER_PIPELINES_PIPELINES_H
