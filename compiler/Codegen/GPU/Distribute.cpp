//===- Distribute.cpp - One GPU kernel per linalg op ----------------------===//
//
// The GPU strategy's first stage: every bufferized linalg op becomes one
// `gpu.launch` with a thread per point of its parallel iteration space,
// each thread running the op's reduction loops sequentially. Consecutive
// threads take consecutive points of the innermost parallel dimension, so
// that a row-major output (and any operand indexed like it) is accessed
// coalesced.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_GPUDISTRIBUTEPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// The op's name without its dialect, for kernel names: `matmul`.
std::string shortName(Operation *op) {
  StringRef name = op->getName().getStringRef();
  return name.substr(name.find('.') + 1).str();
}

/// The loop order with parallel loops first, each group in its order.
SmallVector<unsigned> parallelFirst(linalg::LinalgOp op) {
  SmallVector<unsigned> order;
  for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
    if (type == utils::IteratorType::parallel)
      order.push_back(i);
  for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
    if (type != utils::IteratorType::parallel)
      order.push_back(i);
  return order;
}

/// Lets the kernel's multiplies and adds fuse into FMAs, as the CPU's
/// vector contractions do: one rounding instead of two, at twice the rate.
void allowContraction(gpu::LaunchOp launch) {
  launch.walk([](arith::ArithFastMathInterface op) {
    arith::FastMathFlags flags = arith::FastMathFlags::contract;
    if (arith::FastMathFlagsAttr attr = op.getFastMathFlagsAttr())
      flags = flags | attr.getValue();
    op->setAttr(op.getFastMathAttrName(),
                arith::FastMathFlagsAttr::get(op->getContext(), flags));
  });
}

struct GPUDistributePass
    : nnc::impl::GPUDistributePassBase<GPUDistributePass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *) override {
    if (threadsPerBlock < 32 || threadsPerBlock > 1024 || threadsPerBlock % 32)
      return emitError(UnknownLoc::get(&getContext()))
             << "nnc-gpu-distribute expects threads-per-block a multiple of "
                "32 in [32, 1024], got "
             << threadsPerBlock;
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());

    // Copies (from bufferization) are linalg ops like any other here.
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp copy) {
      if (!copy->getParentOfType<gpu::LaunchOp>())
        copies.push_back(copy);
    });
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }

    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>())
        ops.push_back(op);
    });
    for (auto [i, op] : llvm::enumerate(ops))
      if (failed(distribute(rewriter, op, func.getSymName().str() + "_" +
                                              std::to_string(i) + "_" +
                                              shortName(op))))
        return signalPassFailure();
  }

  LogicalResult distribute(IRRewriter &rewriter, linalg::LinalgOp op,
                           const std::string &kernelName) {
    if (!op.hasPureBufferSemantics())
      return op.emitOpError("expects buffers (run one-shot-bufferize first)");
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic))
      return op.emitOpError("expects static loop ranges on the GPU");

    Location loc = op.getLoc();
    int64_t parallel = op.getNumParallelLoops();
    SmallVector<unsigned> order = parallelFirst(op);
    SmallVector<int64_t> sizes;
    for (int64_t i = 0; i < parallel; ++i)
      sizes.push_back(ranges[order[i]]);
    int64_t total = 1;
    for (int64_t s : sizes)
      total *= s;
    if (total == 0) {
      rewriter.eraseOp(op);
      return success();
    }
    int64_t block = std::min<int64_t>(threadsPerBlock, total);
    int64_t grid = (total + block - 1) / block;

    // The launch, with the op moved into it: lowering it to loops there
    // keeps everything it generates on the device.
    rewriter.setInsertionPoint(op);
    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    Value one = cst(1);
    auto launch = gpu::LaunchOp::create(
        rewriter, loc, cst(grid), one, one, cst(block), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, /*workgroupAttributions=*/{},
        /*privateAttributions=*/{}, /*clusterSizeX=*/nullptr,
        /*clusterSizeY=*/nullptr, /*clusterSizeZ=*/nullptr,
        FlatSymbolRefAttr::get(rewriter.getContext(), kernelModule),
        FlatSymbolRefAttr::get(rewriter.getContext(), kernelName));
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToEnd(&body);
    auto terminator = gpu::TerminatorOp::create(rewriter, loc);
    rewriter.setInsertionPoint(terminator);
    Value id = arith::AddIOp::create(
        rewriter, loc,
        arith::MulIOp::create(rewriter, loc, launch.getBlockIds().x,
                              cst(block)),
        launch.getThreadIds().x);
    if (grid * block != total) {
      Value inBounds = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::ult, id, cst(total));
      auto guard = scf::IfOp::create(rewriter, loc, inBounds,
                                     /*withElseRegion=*/false);
      rewriter.setInsertionPoint(guard.thenBlock()->getTerminator());
    }
    // Row-major delinearization: the innermost parallel loop varies
    // fastest across threads.
    SmallVector<Value> ivs(parallel);
    Value rest = id;
    for (int64_t i = parallel - 1; i >= 0; --i) {
      if (i == 0) {
        ivs[i] = rest;
        break;
      }
      ivs[i] = arith::RemUIOp::create(rewriter, loc, rest, cst(sizes[i]));
      rest = arith::DivUIOp::create(rewriter, loc, rest, cst(sizes[i]));
    }
    op->moveBefore(rewriter.getInsertionBlock(), rewriter.getInsertionPoint());

    // Parallel loops outermost, then the whole op as a perfect loop nest.
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::GenericOp> generic =
        isa<linalg::GenericOp>(op) ? cast<linalg::GenericOp>(op.getOperation())
                                   : linalg::generalizeNamedOp(rewriter, op);
    if (failed(generic))
      return op.emitOpError("cannot be written as a linalg.generic for the "
                            "GPU");
    if (!llvm::equal(order, llvm::seq<unsigned>(0, order.size()))) {
      generic = linalg::interchangeGenericOp(rewriter, *generic, order);
      if (failed(generic))
        return op.emitOpError("cannot interchange its loops for the GPU");
    }
    rewriter.setInsertionPoint(*generic);
    FailureOr<linalg::LinalgLoops> loops =
        linalg::linalgOpToLoops(rewriter, *generic);
    if (failed(loops))
      return generic->emitOpError("cannot be lowered to loops for the GPU");
    rewriter.eraseOp(*generic);
    allowContraction(launch);
    if (parallel == 0)
      return success();

    // The thread's point replaces the parallel loops.
    auto outer = cast<scf::ForOp>((*loops)[0]);
    auto inner = cast<scf::ForOp>((*loops)[parallel - 1]);
    for (int64_t i = 0; i < parallel; ++i)
      rewriter.replaceAllUsesWith(
          cast<scf::ForOp>((*loops)[i]).getInductionVar(), ivs[i]);
    Block *innerBody = inner.getBody();
    rewriter.eraseOp(innerBody->getTerminator());
    rewriter.inlineBlockBefore(innerBody, outer, {ivs[parallel - 1]});
    rewriter.eraseOp(outer);
    return success();
  }
};

} // namespace
