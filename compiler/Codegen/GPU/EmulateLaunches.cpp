//===- EmulateLaunches.cpp - GPU kernels as host loops, for testing -------===//
//
// Machines without a GPU (CI, most developers' laptops) cannot run a GPU
// build, but the GPU strategy's decisions (which thread computes what,
// which scalars move into which kernel, where each temporary lives) can
// still be checked numerically: each launch becomes loops over its blocks
// and threads, run serially on the host, and the step is compared with
// PyTorch like a CPU build. Kernels without barriers mean the same run
// serially as in parallel.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_GPUEMULATELAUNCHESPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct GPUEmulateLaunchesPass
    : nnc::impl::GPUEmulateLaunchesPassBase<GPUEmulateLaunchesPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk(
        [&](gpu::LaunchOp launch) { launches.push_back(launch); });
    IRRewriter rewriter(&getContext());
    for (gpu::LaunchOp launch : launches)
      if (failed(emulate(rewriter, launch)))
        return signalPassFailure();
  }

  LogicalResult emulate(IRRewriter &rewriter, gpu::LaunchOp launch) {
    if (!launch.getBody().hasOneBlock())
      return launch.emitOpError("expects a kernel body of one block to "
                                "emulate on the host");
    if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
        launch.hasClusterSize() || launch.getDynamicSharedMemorySize() ||
        !launch.getWorkgroupAttributions().empty() ||
        !launch.getPrivateAttributions().empty())
      return launch.emitOpError("expects a synchronous launch without "
                                "clusters, shared memory or attributions to "
                                "emulate on the host");
    WalkResult barriers = launch.walk([](gpu::BarrierOp barrier) {
      barrier.emitOpError("cannot be emulated by threads run one after "
                          "another");
      return WalkResult::interrupt();
    });
    if (barriers.wasInterrupted())
      return failure();

    Location loc = launch.getLoc();
    rewriter.setInsertionPoint(launch);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    // Blocks outermost, then threads; z, y, x from the outside in.
    SmallVector<Value> bounds = {grid.z,  grid.y,  grid.x,
                                 block.z, block.y, block.x};
    SmallVector<Value> ivs;
    for (Value bound : bounds) {
      auto loop = scf::ForOp::create(rewriter, loc, zero, bound, one);
      ivs.push_back(loop.getInductionVar());
      rewriter.setInsertionPoint(loop.getBody()->getTerminator());
    }
    Block &body = launch.getBody().front();
    rewriter.eraseOp(body.getTerminator());
    // The body's arguments: block ids, thread ids, grid and block sizes,
    // each x, y, z.
    if (body.getNumArguments() != 12)
      return launch.emitOpError("expects 12 kernel body arguments");
    rewriter.inlineBlockBefore(
        &body, rewriter.getInsertionBlock(), rewriter.getInsertionPoint(),
        {ivs[2], ivs[1], ivs[0], ivs[5], ivs[4], ivs[3], grid.x, grid.y, grid.z,
         block.x, block.y, block.z});
    rewriter.eraseOp(launch);
    return success();
  }
};

} // namespace
