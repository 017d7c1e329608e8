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
#include "compiler/Codegen/Utils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

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

/// Whether two index lists into one memref name different elements: they
/// differ in a position where both are constants.
bool distinctElements(ValueRange a, ValueRange b) {
  for (auto [x, y] : llvm::zip_equal(a, b)) {
    std::optional<int64_t> cx = getConstantIntValue(x),
                           cy = getConstantIntValue(y);
    if (cx && cy && *cx != *cy)
      return true;
  }
  return false;
}

/// In `loop`, a load and a later store of one buffer element at
/// loop-invariant indices, where nothing else in the loop touches that
/// buffer, become a loop-carried register: loaded before the loop, stored
/// after it. A thread's accumulators then live in registers across its
/// reduction loop instead of going to memory every iteration. Returns the
/// loop, which may have been replaced.
scf::ForOp promoteAccumulators(RewriterBase &rewriter, scf::ForOp loop) {
  // The indices (affine.apply of outer loop variables) leave the loop first.
  moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
  Block *body = loop.getBody();
  SmallVector<std::pair<memref::LoadOp, memref::StoreOp>> pairs;
  for (auto store : body->getOps<memref::StoreOp>()) {
    auto invariant = [&](Value v) { return loop.isDefinedOutsideOfLoop(v); };
    if (!invariant(store.getMemRef()) ||
        !llvm::all_of(store.getIndices(), invariant))
      continue;
    memref::LoadOp load;
    for (auto candidate : body->getOps<memref::LoadOp>())
      if (candidate.getMemRef() == store.getMemRef() &&
          candidate.getIndices() == store.getIndices() &&
          candidate->isBeforeInBlock(store)) {
        load = candidate;
        break;
      }
    if (!load)
      continue;
    Value root = nnc::viewRoot(store.getMemRef());
    WalkResult other = loop.walk([&](Operation *op) {
      if (op == load || op == store)
        return WalkResult::advance();
      // Another element of the same view (a register tile's neighbour).
      auto access = [&](Value memref, ValueRange indices) {
        return memref == store.getMemRef() &&
               distinctElements(indices, store.getIndices());
      };
      if (auto l = dyn_cast<memref::LoadOp>(op);
          l && access(l.getMemRef(), l.getIndices()))
        return WalkResult::advance();
      if (auto s = dyn_cast<memref::StoreOp>(op);
          s && access(s.getMemRef(), s.getIndices()))
        return WalkResult::advance();
      for (Value operand : op->getOperands())
        if (isa<MemRefType>(operand.getType()) &&
            nnc::viewRoot(operand) == root)
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (!other.wasInterrupted())
      pairs.push_back({load, store});
  }
  if (pairs.empty())
    return loop;

  rewriter.setInsertionPoint(loop);
  SmallVector<Value> inits;
  for (auto [load, store] : pairs)
    inits.push_back(memref::LoadOp::create(
        rewriter, load.getLoc(), load.getMemRef(), load.getIndices()));
  FailureOr<LoopLikeOpInterface> replaced = loop.replaceWithAdditionalYields(
      rewriter, inits, /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
        SmallVector<Value> yields;
        for (auto [load, store] : pairs)
          yields.push_back(store.getValueToStore());
        return yields;
      });
  if (failed(replaced))
    return loop;
  auto promoted = cast<scf::ForOp>(replaced->getOperation());
  unsigned first = promoted.getNumRegionIterArgs() - pairs.size();
  rewriter.setInsertionPointAfter(promoted);
  for (auto [i, pair] : llvm::enumerate(pairs)) {
    auto [load, store] = pair;
    memref::StoreOp::create(rewriter, store.getLoc(),
                            promoted.getResult(first + i), store.getMemRef(),
                            store.getIndices());
    rewriter.replaceAllUsesWith(load.getResult(),
                                promoted.getRegionIterArgs()[first + i]);
    rewriter.eraseOp(store);
    rewriter.eraseOp(load);
  }
  return promoted;
}

/// The side of the square block of outputs a matrix product's thread
/// computes.
constexpr int64_t kRegisterTile = 4;

struct GPUDistributePass : nnc::impl::GPUDistributePassBase<GPUDistributePass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (threadsPerBlock < 32 || threadsPerBlock > 1024 || threadsPerBlock % 32)
      return emitError(UnknownLoc::get(ctx))
             << "nnc-gpu-distribute expects threads-per-block a multiple of "
                "32 in [32, 1024], got "
             << static_cast<int64_t>(threadsPerBlock);
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

    // Scalar stores into buffers (a tensor.from_elements, bufferized) run
    // in a one-thread kernel; nnc-gpu-sink-host-scalars then moves the
    // scalars' computation in with them.
    SmallVector<SmallVector<memref::StoreOp>> storeGroups;
    for (Block &block : func.getBody()) {
      SmallVector<memref::StoreOp> group;
      for (Operation &op : block) {
        if (auto store = dyn_cast<memref::StoreOp>(op)) {
          group.push_back(store);
        } else if (!isMemoryEffectFree(&op) || op.getNumRegions()) {
          if (!group.empty())
            storeGroups.push_back(std::move(group));
          group.clear();
        }
      }
      if (!group.empty())
        storeGroups.push_back(std::move(group));
    }
    for (auto [i, group] : llvm::enumerate(storeGroups))
      wrapStores(rewriter, group,
                 func.getSymName().str() + "_store" + std::to_string(i));

    SmallVector<linalg::LinalgOp> found, ops;
    func.walk([&](linalg::LinalgOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>())
        found.push_back(op);
    });
    // Full reductions first become partials over their outermost loop
    // (one thread each) and a small reduction of those.
    for (linalg::LinalgOp op : found) {
      SmallVector<linalg::LinalgOp> split = splitFullReduction(rewriter, op);
      if (split.empty())
        ops.push_back(op);
      else
        llvm::append_range(ops, split);
    }
    for (auto [i, op] : llvm::enumerate(ops))
      if (failed(distribute(rewriter, op,
                            func.getSymName().str() + "_" + std::to_string(i) +
                                "_" + shortName(op))))
        return signalPassFailure();
  }

  /// A reduction of all its loops into one element, say a gradient's sum of
  /// squares for clipping, would run on one thread. Where the outermost
  /// loop has at least `kMinPartials` iterations and the body combines its
  /// accumulator with `arith.addf`, `maximumf` or `minimumf`, it becomes
  /// three ops: a fill of `partials[d0]` with the combiner's neutral
  /// element, the same body reducing into `partials[d0]` (parallel over d0),
  /// and a reduction of the partials into the original output. Returns
  /// them, or nothing if the op does not qualify. Reassociating a sum
  /// changes its rounding, as the CPU's split reductions do.
  SmallVector<linalg::LinalgOp> splitFullReduction(IRRewriter &rewriter,
                                                   linalg::LinalgOp op) {
    constexpr int64_t kMinPartials = 32, kMinIterations = 1024;
    if (!op.hasPureBufferSemantics() || op.getNumParallelLoops() != 0 ||
        op.getNumLoops() < 1 || op.getNumDpsInits() != 1 ||
        op->getBlock() != &op->getParentOfType<func::FuncOp>().front())
      return {};
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic) || ranges[0] < kMinPartials)
      return {};
    int64_t total = 1;
    for (int64_t r : ranges)
      total *= r;
    auto outType = dyn_cast<MemRefType>(op.getDpsInits()[0].getType());
    if (total < kMinIterations || !outType || outType.getRank() != 0 ||
        !isa<FloatType>(outType.getElementType()))
      return {};
    // The combiner: the yielded value is combine(acc, x) or combine(x, acc),
    // and the accumulator is used nowhere else.
    Block *body = op.getBlock();
    BlockArgument acc = body->getArguments().back();
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    Operation *combine = yield.getValues()[0].getDefiningOp();
    if (!combine || !acc.hasOneUse() ||
        acc.getUses().begin()->getOwner() != combine ||
        combine->getNumOperands() != 2)
      return {};
    auto floatType = cast<FloatType>(outType.getElementType());
    TypedAttr neutral;
    if (isa<arith::AddFOp>(combine))
      neutral = FloatAttr::get(floatType, 0.0);
    else if (isa<arith::MaximumFOp>(combine))
      neutral = FloatAttr::get(
          floatType, APFloat::getInf(floatType.getFloatSemantics(), true));
    else if (isa<arith::MinimumFOp>(combine))
      neutral = FloatAttr::get(
          floatType, APFloat::getInf(floatType.getFloatSemantics(), false));
    else
      return {};

    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    rewriter.setInsertionPoint(op);
    auto partialsType = MemRefType::get({ranges[0]}, floatType);
    Value partials = memref::AllocOp::create(rewriter, loc, partialsType);
    Value init = arith::ConstantOp::create(rewriter, loc, neutral);
    auto fill = linalg::FillOp::create(rewriter, loc, init, partials);

    // Stage 1: the op itself, its output now partials[d0].
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    maps.back() =
        AffineMap::get(op.getNumLoops(), 0, getAffineDimExpr(0, ctx), ctx);
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    iterators[0] = utils::IteratorType::parallel;
    auto stage1 =
        linalg::GenericOp::create(rewriter, loc, TypeRange(), op.getDpsInputs(),
                                  ValueRange{partials}, maps, iterators);
    rewriter.cloneRegionBefore(op->getRegion(0), stage1.getRegion(),
                               stage1.getRegion().end());

    // Stage 2: the partials combined into the original output.
    AffineMap identity = AffineMap::getMultiDimIdentityMap(1, ctx);
    AffineMap scalar = AffineMap::get(1, 0, {}, ctx);
    Operation *combineOp = combine;
    auto stage2 = linalg::GenericOp::create(
        rewriter, loc, TypeRange(), ValueRange{partials},
        ValueRange{op.getDpsInits()[0]}, ArrayRef<AffineMap>{identity, scalar},
        ArrayRef<utils::IteratorType>{utils::IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          OperationState state(l, combineOp->getName());
          state.addOperands({args[1], args[0]});
          state.addTypes(floatType);
          state.addAttributes(combineOp->getAttrs());
          Value combined = b.create(state)->getResult(0);
          linalg::YieldOp::create(b, l, combined);
        });
    rewriter.eraseOp(op);
    return {cast<linalg::LinalgOp>(fill.getOperation()),
            cast<linalg::LinalgOp>(stage1.getOperation()),
            cast<linalg::LinalgOp>(stage2.getOperation())};
  }

  /// Moves `stores` (in one block, with only memory-effect-free ops
  /// between them) into one single-thread launch where the last one was.
  void wrapStores(IRRewriter &rewriter, MutableArrayRef<memref::StoreOp> stores,
                  const std::string &kernelName) {
    Location loc = stores.back().getLoc();
    rewriter.setInsertionPointAfter(stores.back());
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto launch = gpu::LaunchOp::create(
        rewriter, loc, one, one, one, one, one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/{}, /*workgroupAttributions=*/{},
        /*privateAttributions=*/{}, /*clusterSizeX=*/nullptr,
        /*clusterSizeY=*/nullptr, /*clusterSizeZ=*/nullptr,
        FlatSymbolRefAttr::get(rewriter.getContext(), kernelModule),
        FlatSymbolRefAttr::get(rewriter.getContext(), kernelName));
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToEnd(&body);
    auto terminator = gpu::TerminatorOp::create(rewriter, loc);
    for (memref::StoreOp store : stores)
      rewriter.moveOpBefore(store, terminator);
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
    // A reduction that reads an operand independent of a parallel loop (a
    // product's A and n, B and m; a convolution's image and its output
    // channels) gives each thread kRegisterTile points of up to two such
    // loops: per reduction step it loads each operand element once for
    // several FMAs (4 + 4 loads for 16 in a product, where a thread per
    // output loads 2 for 1).
    SmallVector<int64_t> tiles(parallel, 1);
    if (op.getNumReductionLoops() > 0) {
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      int chosen = 0;
      for (int64_t i = parallel - 1; i >= 0 && chosen < 2; --i) {
        bool reuse = llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *in) {
          return !maps[in->getOperandNumber()].isFunctionOfDim(order[i]);
        });
        if (reuse && sizes[i] % kRegisterTile == 0) {
          tiles[i] = kRegisterTile;
          ++chosen;
        }
      }
    }
    bool product = llvm::any_of(tiles, [](int64_t t) { return t > 1; });
    int64_t total = 1;
    for (auto [i, s] : llvm::enumerate(sizes))
      total *= s / tiles[i];
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
      int64_t count = sizes[i] / tiles[i];
      if (i == 0) {
        ivs[i] = rest;
      } else {
        ivs[i] = arith::RemUIOp::create(rewriter, loc, rest, cst(count));
        rest = arith::DivUIOp::create(rewriter, loc, rest, cst(count));
      }
      if (tiles[i] > 1)
        ivs[i] = arith::MulIOp::create(rewriter, loc, ivs[i], cst(tiles[i]));
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
    if (product)
      return distributeTile(rewriter, launch, *generic, ivs, tiles);
    FailureOr<linalg::LinalgLoops> loops =
        linalg::linalgOpToLoops(rewriter, *generic);
    if (failed(loops))
      return generic->emitOpError("cannot be lowered to loops for the GPU");
    rewriter.eraseOp(*generic);
    allowContraction(launch);
    if (parallel > 0) {
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
    }
    // Accumulators in registers, from the innermost reduction loop out;
    // first one index computation per index, so that a load and a store
    // of the same element use the same values.
    DominanceInfo dominance(launch);
    eliminateCommonSubExpressions(rewriter, dominance, launch);
    for (int64_t i = loops->size() - 1; i >= parallel; --i)
      (void)promoteAccumulators(rewriter, cast<scf::ForOp>((*loops)[i]));
    return success();
  }

  /// The thread's part of `generic` (parallel loops first) in `launch`:
  /// the register tile of `tiles` points at `ivs`, with the reduction loops
  /// outermost and the tile's loops unrolled, so that its accumulators stay
  /// in registers across the reduction and each operand element is loaded
  /// once per step.
  LogicalResult distributeTile(IRRewriter &rewriter, gpu::LaunchOp launch,
                               linalg::GenericOp generic, ArrayRef<Value> ivs,
                               ArrayRef<int64_t> tiles) {
    int64_t parallel = tiles.size(), loopCount = generic.getNumLoops();
    SmallVector<int64_t> tileSizes(tiles);
    tileSizes.resize(loopCount, 0);
    linalg::LinalgTilingOptions options;
    options.setTileSizes(tileSizes);
    FailureOr<linalg::TiledLinalgOp> tiled =
        linalg::tileLinalgOp(rewriter, generic, options);
    if (failed(tiled) || static_cast<int64_t>(tiled->loops.size()) != parallel)
      return generic.emitOpError("cannot be tiled for the GPU's threads");
    rewriter.eraseOp(generic);
    auto outer = cast<scf::ForOp>(tiled->loops.front());
    auto inner = cast<scf::ForOp>(tiled->loops.back());
    for (int64_t i = 0; i < parallel; ++i)
      rewriter.replaceAllUsesWith(
          cast<scf::ForOp>(tiled->loops[i]).getInductionVar(), ivs[i]);
    Block *innerBody = inner.getBody();
    rewriter.eraseOp(innerBody->getTerminator());
    rewriter.inlineBlockBefore(innerBody, outer, {ivs.back()});
    rewriter.eraseOp(outer);

    // Reductions outermost, then the tile's points.
    auto tile = cast<linalg::GenericOp>(tiled->op.getOperation());
    SmallVector<unsigned> order;
    for (int64_t i = parallel; i < loopCount; ++i)
      order.push_back(i);
    for (int64_t i = 0; i < parallel; ++i)
      order.push_back(i);
    FailureOr<linalg::GenericOp> reductionsFirst =
        linalg::interchangeGenericOp(rewriter, tile, order);
    if (failed(reductionsFirst))
      return tile.emitOpError("cannot interchange its loops for the GPU");
    rewriter.setInsertionPoint(*reductionsFirst);
    FailureOr<linalg::LinalgLoops> loops =
        linalg::linalgOpToLoops(rewriter, *reductionsFirst);
    if (failed(loops) || static_cast<int64_t>(loops->size()) != loopCount)
      return reductionsFirst->emitOpError(
          "cannot be lowered to loops for the GPU");
    rewriter.eraseOp(*reductionsFirst);
    int64_t reductions = loopCount - parallel;
    for (int64_t i = loopCount - 1; i >= reductions; --i)
      if (failed(loopUnrollFull(cast<scf::ForOp>((*loops)[i]))))
        return launch.emitOpError("cannot unroll the register tile");
    // The unrolled iterations' indices fold to constants, which tells the
    // tile's elements apart.
    (void)applyPatternsGreedily(
        launch.getBody(),
        FrozenRewritePatternSet(RewritePatternSet(launch.getContext())));
    allowContraction(launch);
    DominanceInfo dominance(launch);
    eliminateCommonSubExpressions(rewriter, dominance, launch);
    for (int64_t i = reductions - 1; i >= 0; --i)
      (void)promoteAccumulators(rewriter, cast<scf::ForOp>((*loops)[i]));
    // With the stores out of the reduction loops, the tile's repeated loads
    // of one operand element become one.
    DominanceInfo after(launch);
    eliminateCommonSubExpressions(rewriter, after, launch);
    return success();
  }
};

} // namespace
