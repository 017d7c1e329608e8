//===- Pipelines.cpp - nnc compilation pipelines --------------------------===//

#include "compiler/Pipelines/Pipelines.h"

#include "compiler/Codegen/Passes.h"
#include "compiler/Conversion/Passes.h"
#include "dialects/NN/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace mlir;

void nnc::buildTrainStepPipeline(OpPassManager &pm,
                                 const TrainStepOptions &options) {
  pm.addPass(nn::createNNAutodiffPass());
  nn::NNBuildTrainStepPassOptions step;
  step.gradStats = options.gradStats;
  step.gradientAPI = options.gradientAPI;
  pm.addPass(nn::createNNBuildTrainStepPass(step));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void nnc::buildLinalgPipeline(OpPassManager &pm) {
  pm.addPass(createConvertNNToLinalgPass());
  pm.addPass(createCanonicalizerPass());
}

void nnc::buildCPULinalgPipeline(OpPassManager &pm,
                                 const CPUPipelineOptions &options) {
  CPUStrategyPassOptions strategy;
  strategy.threads = options.threads;
  strategy.vectorBits = options.vectorBits;
  strategy.vectorRegisters = options.vectorRegisters;
  pm.addPass(createCPUStrategyPass(strategy));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createFuseElementwisePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createPropagateChannelsLastPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// The library's in-place buffer ABI, then one-shot bufferization: the
/// start of both targets' lowering to the LLVM dialect.
static void addBufferizationPasses(OpPassManager &pm) {
  pm.addPass(nnc::createStepBufferABIPass());
  pm.addPass(nnc::createDuplicateInitTensorsPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createEmptyTensorToAllocTensorPass());
  pm.addPass(bufferization::createOneShotBufferizePass());
  pm.addPass(createCanonicalizerPass());
  // Bufferization leaves copies of a subview onto an identical subview
  // (where a producer was made to write in place); CSE makes the two one
  // value, and the self-copy folds away.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
}

namespace {
/// The optional parts of the host lowering: `libm` for math without an
/// LLVM intrinsic (f64 tanh, erf), `vectors` for vector ops, `openmp` for
/// the threads' parallel regions.
struct HostLowering {
  bool libm = false, vectors = false, openmp = false;
};
} // namespace

/// Lowers the host code of a bufferized step to the LLVM dialect: shared
/// by the CPU pipeline and the GPU pipeline's host side.
static void addHostToLLVMPasses(OpPassManager &pm, HostLowering what = {}) {
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // LLVM intrinsics first (fma, exp, ... stay vector instructions); libm
  // then takes what has no intrinsic, scalarizing it into
  // vector.extract/insert, which the vector lowering handles.
  pm.addPass(createConvertMathToLLVMPass());
  if (what.libm)
    pm.addPass(createConvertMathToLibmPass());
  if (what.vectors)
    pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (what.openmp)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
}

void nnc::buildCPULLVMPipeline(OpPassManager &pm,
                               const CPUPipelineOptions &options) {
  SplitReductionsPassOptions split;
  split.threads = options.threads;
  pm.addPass(createSplitReductionsPass(split));
  addBufferizationPasses(pm);
  CPUTileAndVectorizePassOptions tiling;
  tiling.threads = options.threads;
  tiling.vectorBits = options.vectorBits;
  tiling.vectorRegisters = options.vectorRegisters;
  pm.addNestedPass<func::FuncOp>(createCPUTileAndVectorizePass(tiling));
  // From here on each distinct loop nest is one function: what follows
  // runs once per distinct layer, not once per layer. Allocations stay in
  // the step, so the workspace plan still sees them all.
  pm.addPass(createOutlineKernelsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createStaticWorkspacePass());
  pm.addNestedPass<func::FuncOp>(createMathApproximationPass());
  if (options.threads > 1) {
    // The thread-level tiles become OpenMP worksharing loops.
    pm.addPass(createForallToParallelLoopPass());
    ConvertSCFToOpenMPPassOptions omp;
    omp.numThreads = options.threads;
    pm.addPass(createConvertSCFToOpenMPPass(omp));
    // Inlines the alloca scopes the conversion wraps around loop bodies;
    // nothing in them allocates.
    pm.addPass(createCanonicalizerPass());
  }
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  addHostToLLVMPasses(pm, {/*libm=*/true, /*vectors=*/true,
                           /*openmp=*/options.threads > 1});
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void nnc::buildGPULLVMPipeline(OpPassManager &pm,
                               const GPUPipelineOptions &options) {
  addBufferizationPasses(pm);
  // The GPU strategy: a kernel per op, scalars computed where used.
  GPUDistributePassOptions distribute;
  distribute.threadsPerBlock = options.threadsPerBlock;
  pm.addNestedPass<func::FuncOp>(createGPUDistributePass(distribute));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // After the last canonicalization before outlining, which would hoist
  // the constants it sinks out of the launches again.
  pm.addNestedPass<func::FuncOp>(createGPUSinkHostScalarsPass());
  // Temporaries in the one device workspace; then nothing on the host may
  // touch a buffer.
  pm.addNestedPass<func::FuncOp>(createStaticWorkspacePass());
  if (options.emulate) {
    // Every kernel as host loops: the same steps, for the CPU to run.
    pm.addNestedPass<func::FuncOp>(createGPUEmulateLaunchesPass());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(memref::createExpandStridedMetadataPass());
    pm.addPass(createLowerAffinePass());
    pm.addPass(createSCFToControlFlowPass());
    addHostToLLVMPasses(pm, {/*libm=*/true});
    pm.addPass(createReconcileUnrealizedCastsPass());
    pm.addPass(createCanonicalizerPass());
    return;
  }
  pm.addNestedPass<func::FuncOp>(createGPUCheckHostAccessPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createGPUDedupKernelsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.arch;
  // LLVM's NVPTX backend defaults to PTX 6.0, which sm_90 rejects; the
  // drivers of every supported GPU read PTX 8.0.
  target.features = "+ptx80";
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());
  addHostToLLVMPasses(pm);
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  // The toolkit is explicit: without it, gpu-module-to-binary silently
  // leaves libdevice's math functions (__nv_expf) unresolved.
  std::string toolkit =
      options.toolkit.empty() ? findCUDAToolkit() : options.toolkit.getValue();
  llvm::SmallString<128> libdevice(toolkit);
  llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  binary.toolkitPath = toolkit;
  binary.linkFiles.push_back(std::string(libdevice));
  pm.addPass(createGpuModuleToBinaryPass(binary));
  GPULowerLaunchesPassOptions launches;
  launches.symbolPrefix = options.symbolPrefix;
  pm.addPass(createGPULowerLaunchesPass(launches));
  pm.addPass(createCanonicalizerPass());
}

std::string nnc::findCUDAToolkit() {
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *dir = std::getenv(var); dir && *dir)
      return dir;
  if (llvm::ErrorOr<std::string> ptxas =
          llvm::sys::findProgramByName("ptxas")) {
    llvm::SmallString<128> dir(*ptxas);
    llvm::sys::fs::real_path(*ptxas, dir);
    llvm::sys::path::remove_filename(dir); // bin
    llvm::sys::path::remove_filename(dir);
    return std::string(dir);
  }
  return "/usr/local/cuda";
}

std::string nnc::GPUPipelineOptions::check() const {
  StringRef a = arch;
  unsigned version = 0;
  if (!a.consume_front("sm_") || a.consumeInteger(10, version) ||
      !(a.empty() || a == "a") || version < 70)
    return "expects gpu-arch sm_70 or newer (sm_80, sm_90, sm_90a, ...), "
           "got '" +
           arch + "'";
  if (format != "fatbin" && format != "bin" && format != "isa")
    return "expects format fatbin, bin or isa, got '" + format + "'";
  if (threadsPerBlock < 32 || threadsPerBlock > 1024 || threadsPerBlock % 32)
    return "expects threads-per-block a multiple of 32 in [32, 1024], got " +
           std::to_string(threadsPerBlock);
  return "";
}

std::string nnc::CPUPipelineOptions::check() const {
  if (threads < 1)
    return "expects a positive thread count, got " + std::to_string(threads);
  if (vectorBits < 128 || vectorBits % 32 || vectorRegisters < 8)
    return "expects vector-bits a multiple of 32 of at least 128 and "
           "vector-registers at least 8, got " +
           std::to_string(vectorBits) + " and " +
           std::to_string(vectorRegisters);
  return "";
}

namespace {

/// Registers a pipeline with a target's options by hand, to reject bad
/// option values when the pipeline is built, before any pass runs.
template <typename Options>
void registerTargetPipeline(StringRef name, StringRef description,
                            void (*build)(OpPassManager &, const Options &)) {
  std::string pipeline = name.str();
  registerPassPipeline(
      name, description,
      [pipeline, build](OpPassManager &pm, StringRef text,
                        function_ref<LogicalResult(const Twine &)> onError) {
        Options options;
        if (failed(options.parseFromString(text)))
          return failure();
        if (std::string error = options.check(); !error.empty())
          return onError(pipeline + " " + error);
        build(pm, options);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(Options());
      });
}

} // namespace

void nnc::registerPipelines() {
  PassPipelineRegistration<TrainStepOptions>(
      "nnc-train-step", "Builds the training and evaluation steps of nn models",
      buildTrainStepPipeline);
  PassPipelineRegistration<>(
      "nnc-linalg",
      "Lowers nn steps to target-neutral linalg on tensors (named ops)",
      buildLinalgPipeline);
  registerTargetPipeline<nnc::CPUPipelineOptions>(
      "nnc-cpu-linalg",
      "Chooses the CPU's algorithms and tiles and fuses elementwise work, on "
      "tensors",
      buildCPULinalgPipeline);
  registerTargetPipeline<nnc::GPUPipelineOptions>(
      "nnc-gpu-llvm",
      "Lowers linalg steps to host LLVM code launching NVIDIA GPU kernels",
      buildGPULLVMPipeline);
  registerTargetPipeline<nnc::CPUPipelineOptions>(
      "nnc-cpu-llvm", "Lowers linalg steps to the LLVM dialect for the CPU",
      buildCPULLVMPipeline);
}
