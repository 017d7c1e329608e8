//===- TileAndVectorize.cpp - CPU tiling and vectorization ----------------===//
//
// Register-tiled matrix products and vectorized elementwise ops, built from
// upstream tiling (TilingInterface) and linalg vectorization.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"

#include "compiler/Codegen/CPU/TilePlan.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/FoldUtils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace nnc {
#define GEN_PASS_DEF_CPUTILEANDVECTORIZEPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc::cpu;

namespace {

/// The largest of `candidates` that divides `size`, or `size` itself when
/// it is smaller than all of them.
int64_t pickTile(int64_t size, ArrayRef<int64_t> candidates) {
  if (size <= candidates.front())
    return size;
  for (int64_t c : candidates)
    if (size % c == 0)
      return c;
  return 1;
}

/// Tiles `op` with `sizes` (0 = untiled) using `loopType`; returns the tiled
/// op, or null if tiling did not apply.
Operation *tile(RewriterBase &rewriter, TilingInterface op,
                ArrayRef<int64_t> sizes,
                scf::SCFTilingOptions::LoopType loopType,
                ArrayRef<int64_t> interchange = {}) {
  if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
    return op;
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  options.setLoopType(loopType);
  if (!interchange.empty())
    options.setInterchange(interchange);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, op, options);
  if (failed(result) || result->tiledOps.empty())
    return nullptr;
  rewriter.eraseOp(op);
  return result->tiledOps.front();
}

/// Returns the allocation `v` is a view of, or null.
memref::AllocOp rootAlloc(Value v) {
  while (auto view = v.getDefiningOp<memref::SubViewOp>())
    v = view.getSource();
  return v.getDefiningOp<memref::AllocOp>();
}

/// The buffer `v` is a view of: an allocation, or an argument of the
/// function (a step's buffers are `restrict`, see nnc-step-buffer-abi, so
/// two arguments never alias); null otherwise.
Value rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<memref::SubViewOp>())
    v = view.getSource();
  if (v.getDefiningOp<memref::AllocOp>())
    return v;
  auto argument = dyn_cast<BlockArgument>(v);
  if (argument && isa<FunctionOpInterface>(argument.getOwner()->getParentOp()))
    return v;
  return Value();
}

/// Vector transfers whose innermost vector dimension is strided in memory
/// (a product tile's column of the left operand: one scalar per row of the
/// register tile; a stride-2 pooling window; a packed transpose's column)
/// become one scalar load or store per element. vector-to-scf would lower
/// them to a loop over the elements of each row, which only LLVM's loop
/// unrolling turned back into straight-line code, and unrolling every other
/// loop as well cost a third of the MLP's compile time.
template <typename TransferOp>
struct UnrollStridedTransfer : OpRewritePattern<TransferOp> {
  using OpRewritePattern<TransferOp>::OpRewritePattern;

  /// Larger transfers stay vector-to-scf's loops.
  static constexpr int64_t kMaxElements = 64;

  LogicalResult matchAndRewrite(TransferOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<MemRefType>(op.getBase().getType());
    VectorType vectorType = op.getVectorType();
    if (!type || type.getElementType() != vectorType.getElementType() ||
        op.getMask() || op.hasOutOfBoundsDim() || vectorType.getRank() == 0 ||
        vectorType.isScalable() || vectorType.getNumElements() > kMaxElements)
      return rewriter.notifyMatchFailure(
          op, "expects an in-bounds, unmasked, small transfer of a memref of "
              "scalars");
    SmallVector<unsigned> dims;
    for (AffineExpr result : op.getPermutationMap().getResults()) {
      auto dim = dyn_cast<AffineDimExpr>(result);
      if (!dim)
        return rewriter.notifyMatchFailure(op, "broadcasting transfer");
      dims.push_back(dim.getPosition());
    }
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        strides[dims.back()] == 1)
      return rewriter.notifyMatchFailure(
          op, "rows contiguous in memory are vector loads and stores");
    Location loc = op.getLoc();
    ArrayRef<int64_t> shape = vectorType.getShape();
    SmallVector<Value> elements;
    for (int64_t linear = 0, e = vectorType.getNumElements(); linear < e;
         ++linear) {
      SmallVector<Value> indices(op.getIndices());
      SmallVector<int64_t> position(shape.size());
      for (int64_t k = shape.size() - 1, rest = linear; k >= 0; --k) {
        position[k] = rest % shape[k];
        rest /= shape[k];
        if (position[k])
          indices[dims[k]] = arith::AddIOp::create(
              rewriter, loc, indices[dims[k]],
              arith::ConstantIndexOp::create(rewriter, loc, position[k]));
      }
      if constexpr (std::is_same_v<TransferOp, vector::TransferReadOp>) {
        elements.push_back(
            memref::LoadOp::create(rewriter, loc, op.getBase(), indices));
      } else {
        Value element =
            vector::ExtractOp::create(rewriter, loc, op.getVector(), position);
        memref::StoreOp::create(rewriter, loc, element, op.getBase(), indices);
      }
    }
    if constexpr (std::is_same_v<TransferOp, vector::TransferReadOp>)
      rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, vectorType,
                                                          elements);
    else
      rewriter.eraseOp(op);
    return success();
  }
};

/// Turns a read-modify-write of one vector tile in every iteration of `loop`
/// into a loop-carried value: read before the loop, write after it. Only
/// tiles of a local allocation or of a function argument that nothing else
/// in the loop touches qualify, so no alias analysis is needed. (Without
/// arguments, a product written straight into a step's output, as in an
/// eval step, stored its accumulators at every step of K: 22% of OpenBLAS
/// at 2048^3.) Returns the new loop, or null when nothing was hoisted.
scf::ForOp hoistAccumulator(RewriterBase &rewriter, scf::ForOp loop) {
  for (auto write : loop.getBody()->getOps<vector::TransferWriteOp>()) {
    // Register tiles only: unit dimensions are better left to the
    // transfer lowering, which drops them.
    if (llvm::is_contained(write.getVectorType().getShape(), 1) ||
        write.getVectorType().getRank() == 0)
      continue;
    Value base = write.getBase();
    Value alloc = rootBuffer(base);
    if (!alloc || !loop.isDefinedOutsideOfLoop(base) ||
        !llvm::all_of(write.getIndices(),
                      [&](Value i) { return loop.isDefinedOutsideOfLoop(i); }))
      continue;
    vector::TransferReadOp read;
    bool clean = true;
    loop.getBody()->walk([&](Operation *op) {
      if (op == write)
        return;
      for (Value operand : op->getOperands()) {
        if (!isa<MemRefType>(operand.getType()) || rootBuffer(operand) != alloc)
          continue;
        auto r = dyn_cast<vector::TransferReadOp>(op);
        if (r && !read && r.getBase() == base &&
            llvm::equal(r.getIndices(), write.getIndices(),
                        [](Value a, Value b) {
                          return isEqualConstantIntOrValue(a, b);
                        }) &&
            r.getVectorType() == write.getVectorType() &&
            r.getPermutationMap() == write.getPermutationMap() &&
            r->getBlock() == loop.getBody() && r->isBeforeInBlock(write))
          read = r;
        else
          clean = false;
      }
    });
    if (!read || !clean)
      continue;
    rewriter.setInsertionPoint(loop);
    Operation *hoistedRead = rewriter.clone(*read);
    auto newLoop = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
        rewriter, hoistedRead->getResult(0),
        /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{write.getVector()};
        }));
    rewriter.replaceAllUsesWith(read.getResult(),
                                newLoop.getRegionIterArgs().back());
    rewriter.eraseOp(read);
    rewriter.setInsertionPointAfter(newLoop);
    rewriter.clone(*write)->setOperand(0, newLoop.getResults().back());
    rewriter.eraseOp(write);
    return newLoop;
  }
  return nullptr;
}

/// Builds the hand-made loop nests of window contractions at the rewriter's
/// insertion point, moving into each new loop's body.
struct NestBuilder {
  RewriterBase &rewriter;
  Location loc;

  Value index(int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  }
  /// An `scf.for` from `lb` to `ub`; returns its induction variable.
  Value loop(Value lb, Value ub, int64_t step) {
    auto forOp = scf::ForOp::create(rewriter, loc, lb, ub, index(step));
    rewriter.setInsertionPointToStart(forOp.getBody());
    return forOp.getInductionVar();
  }
  /// An `scf.forall` over `threads`; returns the thread's `[begin, end)` of
  /// `extent`, which `threads` divides.
  std::pair<Value, Value> threadSlice(int64_t threads, int64_t extent) {
    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(threads)},
        ValueRange{}, std::nullopt);
    rewriter.setInsertionPointToStart(forall.getBody());
    Value slice = index(extent / threads);
    Value begin =
        arith::MulIOp::create(rewriter, loc, forall.getInductionVar(0), slice);
    return {begin, arith::AddIOp::create(rewriter, loc, begin, slice)};
  }
  /// `a * i + b * j + s` of `shifted`.
  Value shift(const ShiftedIndex &shifted, Value i, Value j) {
    return arith::AddIOp::create(
        rewriter, loc,
        arith::AddIOp::create(
            rewriter, loc,
            arith::MulIOp::create(rewriter, loc, i, index(shifted.a)),
            arith::MulIOp::create(rewriter, loc, j, index(shifted.b))),
        index(shifted.s));
  }
};

struct CPUTileAndVectorizePass
    : nnc::impl::CPUTileAndVectorizePassBase<CPUTileAndVectorizePass> {
  using CPUTileAndVectorizePassBase::CPUTileAndVectorizePassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (chunk < 1 || threads < 1 || vectorBits < 128 || vectorBits % 32 ||
        vectorRegisters < 8) {
      func.emitError() << "expects positive chunk and threads options, "
                          "vector-bits a multiple of 32 of at least 128 and "
                          "vector-registers at least 8";
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    // Copies between strided views would otherwise become calls into MLIR's
    // runtime library (memrefCopy); as linalg.copy they vectorize.
    func.walk([&](memref::CopyOp copy) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    });
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() &&
          !ShapedType::isDynamicShape(op.getStaticLoopRanges()))
        ops.push_back(op);
    });
    pendingVectorize.clear();
    tilingFailed = false;
    SmallVector<Operation *> &toVectorize = pendingVectorize;
    // Window contractions first: each may absorb the op that initializes
    // its accumulator, which must not be tiled on its own then.
    llvm::SmallPtrSet<Operation *, 8> done;
    // Each product's plan: the one the strategy recorded, else planned now.
    llvm::DenseMap<Operation *, std::pair<ProductShape, ProductTiles>> plans;
    for (linalg::LinalgOp op : ops) {
      std::optional<ProductShape> shape = matchProduct(op);
      if (!shape)
        continue;
      FailureOr<std::optional<ProductTiles>> recorded =
          recordedTiles(op, *shape);
      if (failed(recorded))
        return signalPassFailure();
      if (recorded->has_value() && (*recorded)->threads != threads) {
        int64_t count = threads;
        op->emitError() << "expects a plan ('" << kTilesAttr << "') for "
                        << count << " thread(s), the threads this pass "
                        << "compiles for, got one for " << (*recorded)->threads
                        << "; plan with nnc-cpu-strategy{threads=" << count
                        << "}";
        return signalPassFailure();
      }
      plans[op] = {*shape, recorded->has_value()
                               ? **recorded
                               : planProduct(*shape, threads,
                                             {vectorBits, vectorRegisters})};
    }
    // A matrix product whose K is not blocked sweeps each accumulator tile
    // once: the fill or bias broadcast that initializes its output moves
    // into the tile (tileContraction), instead of a pass over memory whose
    // result the tile then reads back from there.
    initProducers.clear();
    for (linalg::LinalgOp op : ops) {
      auto plan = plans.find(op);
      if (plan == plans.end() ||
          plan->second.first.form != ProductForm::MatrixProduct ||
          (plan->second.second.kc &&
           plan->second.second.kc < plan->second.first.k))
        continue;
      if (linalg::LinalgOp producer = accumulatorInit(op, plan->second.first)) {
        initProducers[op] = producer;
        done.insert(producer);
      }
    }
    for (linalg::LinalgOp op : ops) {
      auto plan = plans.find(op);
      if (plan == plans.end() ||
          plan->second.first.form == ProductForm::MatrixProduct)
        continue;
      auto [shape, tiles] = plan->second;
      auto generic = cast<linalg::GenericOp>(op.getOperation());
      if (shape.form == ProductForm::Window) {
        Operation *init = nullptr;
        tileWindowContraction(rewriter, generic, shape, tiles, init);
        done.insert(op);
        if (init)
          done.insert(init);
      } else if (shape.form == ProductForm::WindowWeightGradient) {
        tileWindowWeightGradient(rewriter, generic, shape, tiles);
        done.insert(op);
      }
    }
    for (linalg::LinalgOp op : ops) {
      if (done.contains(op))
        continue;
      auto transpose = dyn_cast<linalg::TransposeOp>(op.getOperation());
      // A permutation that keeps the innermost dimension moves whole rows:
      // that is a copy, tiled like any elementwise op.
      if (transpose && transpose.getPermutation().back() !=
                           int64_t(transpose.getPermutation().size()) - 1) {
        tileTranspose(rewriter, transpose);
        continue;
      }
      auto plan = plans.find(op);
      if (plan != plans.end()) {
        tileContraction(rewriter, op, plan->second.first, plan->second.second);
        continue;
      }
      if (Operation *tiled = tileGeneric(rewriter, op))
        toVectorize.push_back(tiled);
    }
    for (Operation *op : toVectorize) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
          rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          /*createNamedContraction=*/true);
      if (succeeded(result))
        rewriter.eraseOp(op);
    }
    // Keep accumulator tiles in registers across the K loop: hoist the
    // (now loop-invariant) subviews, then the read/write pair of the tile.
    // Upstream's linalg::hoistRedundantVectorTransfers declines transfers
    // on subviews, which every tile here is: with it instead, the MLP step
    // took 9.47 ms and the CNN's 102 ms, against 5.11 and 51.1 ms
    // (bench/run.py --threads 1, AMD EPYC, 2026-12-07).
    func.walk([](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
    SmallVector<scf::ForOp> loops;
    func.walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops)
      while (scf::ForOp next = hoistAccumulator(rewriter, loop))
        loop = next;
    if (tilingFailed)
      return signalPassFailure();
    if (lowerVectors)
      lowerVectorOps(func);
  }

  /// M and N to the register tile, K one step at a time, after the plan's
  /// thread split and K blocking; the rows past the last whole tile, if
  /// any, are split off (linalg::splitOp) and get a tile of their own.
  /// The tiles go to `pendingVectorize`.
  void tileContraction(RewriterBase &rewriter, linalg::LinalgOp op,
                       const ProductShape &shape, const ProductTiles &tiles) {
    SmallVector<int64_t> bounds = op.getStaticLoopRanges();
    unsigned m = shape.mLoop, n = shape.nLoop, k = shape.kLoop;
    if (failed(packRightOperand(rewriter, op, n, k)))
      return;
    Value panels =
        tiles.packPanels ? allocatePanels(rewriter, op, shape, tiles) : Value();
    Operation *current = op;
    if (tiles.split != ThreadSplit::None) {
      unsigned split = tiles.split == ThreadSplit::M ? m : n;
      SmallVector<int64_t> sizes(bounds.size(), 0);
      sizes[split] = bounds[split] / tiles.threads;
      current = tile(rewriter, cast<TilingInterface>(current), sizes,
                     scf::SCFTilingOptions::LoopType::ForallOp);
      if (!current)
        return;
    }
    if (tiles.kc && tiles.kc < bounds[k]) {
      SmallVector<int64_t> blocks(bounds.size(), 0);
      blocks[k] = tiles.kc;
      current = tile(rewriter, cast<TilingInterface>(current), blocks,
                     scf::SCFTilingOptions::LoopType::ForOp);
      if (!current)
        return;
    }
    // N outside M: the M loop sweeps one [K, nr] panel of the right
    // operand, which stays in cache, instead of streaming all of it.
    if (panels) {
      current = packPanels(rewriter, current, panels, shape, tiles);
      if (!current)
        return;
    }
    SmallVector<int64_t> order = {int64_t(n), int64_t(m), int64_t(k)};
    linalg::LinalgOp producer = initProducers.lookup(op);
    Value out = producer ? producer.getDpsInits()[0] : Value();
    // Whether every tile initialized its accumulator itself.
    bool initialized = true;
    auto registerTile = [&](Operation *part, int64_t rows) {
      SmallVector<int64_t> sizes(bounds.size(), 0);
      sizes[m] = rows;
      sizes[n] = panels ? 0 : tiles.nr;
      sizes[k] = producer ? 0 : 1;
      Operation *tiled = tile(rewriter, cast<TilingInterface>(part), sizes,
                              scf::SCFTilingOptions::LoopType::ForOp,
                              bounds.size() == 3 ? ArrayRef<int64_t>(order)
                                                 : ArrayRef<int64_t>());
      if (tiled && producer) {
        initialized &= initializeTile(rewriter, producer, out,
                                      cast<linalg::LinalgOp>(tiled));
        SmallVector<int64_t> steps(bounds.size(), 0);
        steps[k] = 1;
        tiled = tile(rewriter, cast<TilingInterface>(tiled), steps,
                     scf::SCFTilingOptions::LoopType::ForOp);
      }
      if (tiled)
        pendingVectorize.push_back(tiled);
      else
        initialized = false;
    };
    auto finish = [&] {
      if (!producer)
        return;
      if (initialized)
        rewriter.eraseOp(producer);
      else if (Operation *tiled = tileGeneric(rewriter, producer))
        pendingVectorize.push_back(tiled);
    };
    if (!tiles.tail) {
      registerTile(current, tiles.mr);
      return finish();
    }
    int64_t rows = cast<linalg::LinalgOp>(current).getStaticLoopRanges()[m];
    rewriter.setInsertionPoint(current);
    auto [main, rest] =
        linalg::splitOp(rewriter, cast<TilingInterface>(current), m,
                        rewriter.getIndexAttr(rows - tiles.tail));
    if (!main) {
      initialized = false;
      return finish();
    }
    registerTile(main, tiles.mr);
    if (rest)
      registerTile(rest, tiles.tail);
    finish();
  }

  /// Each unblocked matrix product's accumulator initialization (see
  /// runOnOperation).
  llvm::DenseMap<Operation *, linalg::LinalgOp> initProducers;

  /// Whether `op` or an op nested in it may write to a view of `root` (or
  /// to memory it does not name).
  static bool mayWrite(Operation *op, Value root) {
    return op
        ->walk([&](Operation *nested) {
          auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
          if (!effects)
            return nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>()
                       ? WalkResult::advance()
                       : WalkResult::interrupt();
          SmallVector<MemoryEffects::EffectInstance> instances;
          effects.getEffects(instances);
          for (const MemoryEffects::EffectInstance &effect : instances) {
            Value target = effect.getValue();
            if (isa<MemoryEffects::Write>(effect.getEffect()) &&
                (!target || rootBuffer(target) == root))
              return WalkResult::interrupt();
          }
          return WalkResult::advance();
        })
        .wasInterrupted();
  }

  /// The fill or broadcast that initializes all of `op`'s output (an
  /// allocation indexed `[m, n]`) for `op` alone, if its inputs are not
  /// written between it and `op` either: then it can run tile by tile
  /// inside `op`'s loops. Null otherwise.
  static linalg::LinalgOp accumulatorInit(linalg::LinalgOp op,
                                          const ProductShape &shape) {
    if (op.getNumDpsInits() != 1)
      return nullptr;
    OpOperand *init = op.getDpsInitOperand(0);
    MLIRContext *ctx = op->getContext();
    if (op.getMatchingIndexingMap(init) !=
        AffineMap::get(op.getNumLoops(), 0,
                       {getAffineDimExpr(shape.mLoop, ctx),
                        getAffineDimExpr(shape.nLoop, ctx)},
                       ctx))
      return nullptr;
    linalg::LinalgOp producer = initProducer(op, init->get());
    if (!producer)
      return nullptr;
    for (Value input : producer.getDpsInputs()) {
      if (!isa<MemRefType>(input.getType()))
        continue;
      Value root = rootBuffer(input);
      if (!root)
        return nullptr;
      for (Operation *between = producer->getNextNode(); between != op;
           between = between->getNextNode())
        if (mayWrite(between, root))
          return nullptr;
    }
    return producer;
  }

  /// `producer`'s part for the accumulator tile of `tiled` (a register tile
  /// of a product whose output is `out`), right before `tiled`. False if
  /// the tile is no unit-stride view of `out`.
  bool initializeTile(RewriterBase &rewriter, linalg::LinalgOp producer,
                      Value out, linalg::LinalgOp tiled) {
    Value acc = tiled.getDpsInits()[0];
    auto accType = cast<MemRefType>(acc.getType());
    Location loc = tiled.getLoc();
    rewriter.setInsertionPoint(tiled);
    // The tile's offsets in `out`: the sum of its chain of subviews.
    SmallVector<OpFoldResult> offsets(accType.getRank(),
                                      rewriter.getIndexAttr(0));
    Value v = acc;
    while (v != out) {
      auto subview = v.getDefiningOp<memref::SubViewOp>();
      if (!subview || subview.getSourceType().getRank() != accType.getRank() ||
          !llvm::all_of(subview.getStaticStrides(),
                        [](int64_t s) { return s == 1; }))
        return false;
      for (auto [d, offset] : llvm::enumerate(subview.getMixedOffsets())) {
        AffineExpr a = getAffineDimExpr(0, rewriter.getContext()),
                   b = getAffineDimExpr(1, rewriter.getContext());
        offsets[d] = affine::makeComposedFoldedAffineApply(
            rewriter, loc, a + b, {offsets[d], offset});
      }
      v = subview.getSource();
    }
    SmallVector<OpFoldResult> sizes;
    for (int64_t size : accType.getShape())
      sizes.push_back(rewriter.getIndexAttr(size));
    FailureOr<TilingResult> part =
        cast<TilingInterface>(producer.getOperation())
            .getTiledImplementation(rewriter, offsets, sizes);
    if (failed(part))
      return false;
    llvm::append_range(pendingVectorize, part->tiledOps);
    return true;
  }

  /// The buffer of packPanels (one `[kc, nr]` panel per thread), allocated
  /// next to `op` in the step's entry block; null where `op` has no `[k, n]`
  /// right operand or is not in the entry block.
  Value allocatePanels(RewriterBase &rewriter, linalg::LinalgOp op,
                       const ProductShape &shape, const ProductTiles &tiles) {
    OpOperand *rhs = inputIndexedBy(op, shape.kLoop, shape.nLoop);
    if (!rhs || op->getBlock() != &op->getParentOfType<func::FuncOp>().front())
      return Value();
    auto elementType = cast<MemRefType>(rhs->get().getType()).getElementType();
    int64_t kc = tiles.kc ? tiles.kc : shape.k;
    int64_t slots = tiles.split == ThreadSplit::None ? 1 : tiles.threads;
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    Value buffer = memref::AllocOp::create(
        rewriter, loc, MemRefType::get({slots, kc, tiles.nr}, elementType));
    rewriter.setInsertionPointAfter(op);
    memref::DeallocOp::create(rewriter, loc, buffer);
    return buffer;
  }

  /// The N loop of a product's register tile, with a copy of each `[kc,
  /// nr]` panel of the right operand into `buffer` (allocatePanels) at the
  /// start of its body, which the M loop then reads (BLIS's packed B): the
  /// operand's own rows are a whole row apart, and at a power-of-two row
  /// length every row of the panel falls into the same L1 set. Returns the
  /// op inside the N loop, or null if tiling failed.
  Operation *packPanels(RewriterBase &rewriter, Operation *current,
                        Value buffer, const ProductShape &shape,
                        const ProductTiles &tiles) {
    unsigned n = shape.nLoop, k = shape.kLoop;
    MLIRContext *ctx = current->getContext();
    int64_t kc = tiles.kc ? tiles.kc : shape.k;
    int64_t slots = cast<MemRefType>(buffer.getType()).getDimSize(0);
    Location loc = current->getLoc();
    SmallVector<int64_t> sizes(cast<linalg::LinalgOp>(current).getNumLoops(),
                               0);
    sizes[n] = tiles.nr;
    auto panelOp = cast_or_null<linalg::LinalgOp>(
        tile(rewriter, cast<TilingInterface>(current), sizes,
             scf::SCFTilingOptions::LoopType::ForOp));
    if (!panelOp)
      return nullptr;
    OpOperand *rhs = inputIndexedBy(panelOp, k, n);
    rewriter.setInsertionPoint(panelOp);
    // This thread's slot: the forall's offset over the slice it splits.
    OpFoldResult slot = rewriter.getIndexAttr(0);
    if (slots > 1) {
      auto forall = panelOp->getParentOfType<scf::ForallOp>();
      std::optional<int64_t> lb =
          getConstantIntValue(forall.getMixedLowerBound()[0]);
      std::optional<int64_t> step =
          getConstantIntValue(forall.getMixedStep()[0]);
      if (!lb || !step || *step < 1) {
        panelOp.emitError() << "expects a thread loop with constant bounds "
                               "around a product with packed panels";
        tilingFailed = true;
        return nullptr;
      }
      AffineExpr iv = getAffineDimExpr(0, ctx);
      slot = affine::makeComposedFoldedAffineApply(
          rewriter, loc, (iv - *lb).floorDiv(*step),
          {OpFoldResult(forall.getInductionVars()[0])});
    }
    SmallVector<OpFoldResult> offsets = {slot, rewriter.getIndexAttr(0),
                                         rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> extents = {rewriter.getIndexAttr(1),
                                         rewriter.getIndexAttr(kc),
                                         rewriter.getIndexAttr(tiles.nr)};
    SmallVector<OpFoldResult> unit(3, rewriter.getIndexAttr(1));
    auto panelType =
        cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
            {kc, tiles.nr}, cast<MemRefType>(buffer.getType()), offsets,
            extents, unit));
    Value panel = memref::SubViewOp::create(rewriter, loc, panelType, buffer,
                                            offsets, extents, unit);
    auto copy = linalg::CopyOp::create(rewriter, loc, rhs->get(), panel);
    rewriter.modifyOpInPlace(panelOp, [&] { rhs->set(panel); });
    // One row of the panel per step: `nr` is at most two vectors.
    if (Operation *rows =
            tile(rewriter, cast<TilingInterface>(copy.getOperation()), {1, 0},
                 scf::SCFTilingOptions::LoopType::ForOp))
      pendingVectorize.push_back(rows);
    return panelOp;
  }

  /// The window contraction of a direct convolution (see the pass
  /// description): `out[p..., o] += wT[i, j, c, o] * flat[row(p) + a * i +
  /// b * j + s, c]` with loops `(p..., o, i, j, c)`. Builds the loop nest
  /// by hand, since the shifted map is no projected permutation: the
  /// position loops (the innermost in tiles of `mr`), `o` tiles, then `i`,
  /// `j`, `c`, around an `[mr, nr]` matrix-product tile: `mr` positions
  /// (broadcast from `flat`'s rows at the shifted row, a few cache lines
  /// apart) times `nr` output channels (vectors of `wT`). A fill or bias
  /// broadcast that only initializes the accumulator is moved into the tile
  /// (and erased, returned in `init`), so that the accumulator starts in
  /// registers instead of making a pass over memory. The sizes and the
  /// thread split (of the outermost position loop) are `tiles'`.
  void tileWindowContraction(RewriterBase &rewriter, linalg::GenericOp op,
                             const ProductShape &shape,
                             const ProductTiles &tiles, Operation *&init) {
    Value w = op.getDpsInputs()[0], flat = op.getDpsInputs()[1],
          out = op.getDpsInits()[0];
    auto wType = cast<MemRefType>(w.getType());
    int64_t kh = wType.getDimSize(0), kw = wType.getDimSize(1),
            channels = shape.k, outs = shape.n;
    int64_t mr = tiles.mr, nr = tiles.nr;
    size_t numPositions = shape.positions.size();
    linalg::LinalgOp producer = initProducer(op, out);

    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    NestBuilder nest{rewriter, loc};
    SmallVector<OpFoldResult> tileOffsets, tileSizes;
    Value row;
    for (size_t p = 0; p < numPositions; ++p) {
      int64_t extent = shape.positions[p];
      auto [begin, end] =
          p == 0 && tiles.split == ThreadSplit::M
              ? nest.threadSlice(tiles.threads, extent)
              : std::pair<Value, Value>{nest.index(0), nest.index(extent)};
      bool inner = p + 1 == numPositions;
      Value position = nest.loop(begin, end, inner ? mr : 1);
      tileOffsets.push_back(position);
      tileSizes.push_back(rewriter.getIndexAttr(inner ? mr : 1));
      Value term =
          inner ? position
                : arith::MulIOp::create(rewriter, loc, position,
                                        nest.index(shape.row.strides[p]));
      row = row ? arith::AddIOp::create(rewriter, loc, row, term) : term;
    }
    Value o0 = nest.loop(nest.index(0), nest.index(outs), nr);
    tileOffsets.push_back(o0);
    tileSizes.push_back(rewriter.getIndexAttr(nr));
    if (producer) {
      FailureOr<TilingResult> tiled =
          cast<TilingInterface>(producer.getOperation())
              .getTiledImplementation(rewriter, tileOffsets, tileSizes);
      if (failed(tiled)) {
        producer = nullptr;
      } else {
        llvm::append_range(pendingVectorize, tiled->tiledOps);
        init = producer;
      }
    }
    Value i = nest.loop(nest.index(0), nest.index(kh), 1);
    Value j = nest.loop(nest.index(0), nest.index(kw), 1);
    Value ch = nest.loop(nest.index(0), nest.index(channels), 1);
    // flat[row(p) + a * i + b * j + s, c].
    Value shifted =
        arith::AddIOp::create(rewriter, loc, row, nest.shift(shape.row, i, j));
    // [mr, 1] of flat (m, k), [1, nr] of wT (k, n), [mr, nr] of out.
    SmallVector<int64_t> accSizes(numPositions - 1, 1);
    accSizes.append({mr, nr});
    Value lhs = view(rewriter, loc, flat, {shifted, ch}, {mr, 1}, {mr, 1});
    Value rhs = view(rewriter, loc, w, {i, j, ch, o0}, {1, 1, 1, nr}, {1, nr});
    Value acc = view(rewriter, loc, out, tileOffsets, accSizes, {mr, nr});
    linalg::GenericOp tileOp =
        productTile(rewriter, loc, lhs, rhs, acc, /*transposeLhs=*/false);
    pendingVectorize.push_back(tileOp);
    rewriter.eraseOp(op);
    if (producer)
      rewriter.eraseOp(producer);
  }

  /// The fill or broadcast that writes all of `out` for `op` alone: earlier
  /// in the same block, with nothing in between touching `out`'s
  /// allocation. Null if there is none.
  static linalg::LinalgOp initProducer(Operation *op, Value out) {
    memref::AllocOp alloc = rootAlloc(out);
    if (!alloc)
      return nullptr;
    auto touches = [&](Operation *candidate) {
      return candidate
          ->walk([&](Operation *nested) {
            for (Value v : nested->getOperands())
              if (isa<MemRefType>(v.getType()) && rootAlloc(v) == alloc)
                return WalkResult::interrupt();
            return WalkResult::advance();
          })
          .wasInterrupted();
    };
    for (Operation *prev = op->getPrevNode(); prev;
         prev = prev->getPrevNode()) {
      if (!touches(prev))
        continue;
      if (!isa<linalg::FillOp, linalg::BroadcastOp>(prev))
        return nullptr;
      auto producer = cast<linalg::LinalgOp>(prev);
      return producer.getDpsInits()[0] == out ? producer : nullptr;
    }
    return nullptr;
  }

  /// The weight gradient of a direct convolution, as nnc-cpu-strategy
  /// writes it: `dW[i, j, c, o] += flat[row(p) + a * i + b * j + s, c] *
  /// dy[p..., o]` with loops `(i, j, c, o, p...)`. A matrix product per
  /// kernel offset whose left operand is the input at that offset's shift,
  /// tiled by hand like one product over all offsets: the positions
  /// blocked (the one position loop, or the line loops of several; see
  /// lineBlocks) so that the `[kc, nr]` panel of `dy` stays in L1, then `o`
  /// tiles, the offsets and `c` tiles (as `tiles` splits them across threads),
  /// around a `[mr, nr]` register tile with the positions innermost.
  void tileWindowWeightGradient(RewriterBase &rewriter, linalg::GenericOp op,
                                const ProductShape &shape,
                                const ProductTiles &tiles) {
    Value flat = op.getDpsInputs()[0], dy = op.getDpsInputs()[1],
          out = op.getDpsInits()[0];
    auto outType = cast<MemRefType>(out.getType());
    int64_t kh = outType.getDimSize(0), kw = outType.getDimSize(1),
            channels = shape.m, outs = shape.n;
    int64_t mr = tiles.mr, nr = tiles.nr, kc = tiles.kc ? tiles.kc : shape.k;
    size_t numPositions = shape.positions.size();

    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    NestBuilder nest{rewriter, loc};
    // Threads split the output channels, or else the input channels.
    std::pair<Value, Value> oRange = {nest.index(0), nest.index(outs)},
                            cRange = {nest.index(0), nest.index(channels)};
    if (tiles.split == ThreadSplit::N)
      oRange = nest.threadSlice(tiles.threads, outs);
    else if (tiles.split == ThreadSplit::M)
      cRange = nest.threadSlice(tiles.threads, channels);
    // The K blocks: of the one position loop, or of the line loops (all
    // position loops but the innermost), each block whole inner loops and
    // a part of one.
    SmallVector<int64_t, 3> blocks = {kc};
    if (numPositions > 1)
      blocks = *lineBlocks(shape.positions, kc);
    SmallVector<Value> blockStarts;
    for (auto [extent, block] : llvm::zip(shape.positions, blocks))
      blockStarts.push_back(
          block < extent ? nest.loop(nest.index(0), nest.index(extent), block)
                         : Value());
    Value o0 = nest.loop(oRange.first, oRange.second, nr);
    Value i = nest.loop(nest.index(0), nest.index(kh), 1);
    Value j = nest.loop(nest.index(0), nest.index(kw), 1);
    Value c0 = nest.loop(cRange.first, cRange.second, mr);
    Value acc =
        view(rewriter, loc, out, {i, j, c0, o0}, {1, 1, mr, nr}, {mr, nr});
    Value shift = nest.shift(shape.row, i, j);
    SmallVector<OpFoldResult> dyOffsets;
    Value shifted = shift;
    for (size_t p = 0; p < numPositions; ++p) {
      int64_t extent = shape.positions[p];
      Value position;
      if (p >= blocks.size() || !blockStarts[p])
        position = nest.loop(nest.index(0), nest.index(extent), 1);
      else if (blocks[p] == 1)
        position = blockStarts[p];
      else
        position =
            nest.loop(blockStarts[p],
                      arith::AddIOp::create(rewriter, loc, blockStarts[p],
                                            nest.index(blocks[p])),
                      1);
      dyOffsets.push_back(position);
      Value term =
          p + 1 == numPositions
              ? position
              : arith::MulIOp::create(rewriter, loc, position,
                                      nest.index(shape.row.strides[p]));
      shifted = arith::AddIOp::create(rewriter, loc, shifted, term);
    }
    dyOffsets.push_back(o0);
    // [1, mr] of flat (k, m), [1, nr] of dy (k, n), [mr, nr] of dW.
    SmallVector<int64_t> dySizes(numPositions, 1);
    dySizes.push_back(nr);
    Value lhs = view(rewriter, loc, flat, {shifted, c0}, {1, mr}, {1, mr});
    Value rhs = view(rewriter, loc, dy, dyOffsets, dySizes, {1, nr});
    pendingVectorize.push_back(
        productTile(rewriter, loc, lhs, rhs, acc, /*transposeLhs=*/true));
    rewriter.eraseOp(op);
  }

  /// A `[sizes]` view of `source` at `offsets` (values or constants), with
  /// unit dimensions dropped down to `shape`.
  static Value view(RewriterBase &rewriter, Location loc, Value source,
                    ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes,
                    ArrayRef<int64_t> shape) {
    auto type = cast<MemRefType>(source.getType());
    SmallVector<OpFoldResult> sizeAttrs,
        ones(offsets.size(), rewriter.getIndexAttr(1));
    for (int64_t size : sizes)
      sizeAttrs.push_back(rewriter.getIndexAttr(size));
    MemRefType viewType = memref::SubViewOp::inferRankReducedResultType(
        shape, type, offsets, sizeAttrs, ones);
    return memref::SubViewOp::create(rewriter, loc, viewType, source, offsets,
                                     sizeAttrs, ones)
        .getResult();
  }

  /// The register tile: `acc[m, n] += lhs[m, k] * rhs[k, n]` over one `k`
  /// (`lhs` read as `[k, m]` when `transposeLhs`).
  static linalg::GenericOp productTile(RewriterBase &rewriter, Location loc,
                                       Value lhs, Value rhs, Value acc,
                                       bool transposeLhs) {
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps = {
        AffineMap::get(3, 0,
                       transposeLhs ? ArrayRef<AffineExpr>{k, m}
                                    : ArrayRef<AffineExpr>{m, k},
                       ctx),
        AffineMap::get(3, 0, {k, n}, ctx), AffineMap::get(3, 0, {m, n}, ctx)};
    SmallVector<utils::IteratorType> iters = {utils::IteratorType::parallel,
                                              utils::IteratorType::parallel,
                                              utils::IteratorType::reduction};
    return linalg::GenericOp::create(
        rewriter, loc, TypeRange{}, ValueRange{lhs, rhs}, ValueRange{acc}, maps,
        iters, [&](OpBuilder &b, Location l, ValueRange args) {
          Value prod = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(
              b, l, ValueRange{arith::AddFOp::create(b, l, args[2], prod)});
        });
  }

  /// The register tile reads the right operand in rows along N. When it is
  /// stored [N, K] those reads would be strided gathers, so copy it once
  /// into a [K, N] buffer (packing) and read that instead.
  LogicalResult packRightOperand(RewriterBase &rewriter, linalg::LinalgOp op,
                                 unsigned n, unsigned k) {
    MLIRContext *ctx = op->getContext();
    OpOperand *rhs = inputIndexedBy(op, n, k);
    if (!rhs)
      return success();
    auto type = dyn_cast<MemRefType>(rhs->get().getType());
    if (!type || !type.getLayout().isIdentity())
      return success();
    rewriter.setInsertionPoint(op);
    Location loc = op.getLoc();
    auto packedType = MemRefType::get({type.getDimSize(1), type.getDimSize(0)},
                                      type.getElementType());
    Value packed = memref::AllocOp::create(rewriter, loc, packedType);
    auto transpose = linalg::TransposeOp::create(
        rewriter, loc, rhs->get(), packed, ArrayRef<int64_t>{1, 0});
    tileTranspose(rewriter, transpose);
    rewriter.setInsertionPointAfter(op);
    memref::DeallocOp::create(rewriter, loc, packed);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    maps[rhs->getOperandNumber()] = AffineMap::get(
        maps[0].getNumDims(), 0,
        {getAffineDimExpr(k, ctx), getAffineDimExpr(n, ctx)}, ctx);
    rewriter.modifyOpInPlace(op, [&] {
      rhs->set(packed);
      op->setAttr("indexing_maps", rewriter.getAffineMapArrayAttr(maps));
    });
    return success();
  }

  /// Blocks of up to 8x8 of the two dimensions that trade places, one
  /// element of the others: each vectorizes to one register transpose.
  void tileTranspose(RewriterBase &rewriter, linalg::TransposeOp op) {
    ArrayRef<int64_t> permutation = op.getPermutation();
    int64_t rank = permutation.size();
    Operation *current = splitForThreads(rewriter, op);
    if (!current)
      return;
    SmallVector<int64_t> bounds =
        cast<linalg::LinalgOp>(current).getStaticLoopRanges();
    // The result's innermost dimension and the one the input's innermost
    // dimension becomes: an [8, 8] block of those is one vector transpose.
    SmallVector<int64_t> sizes(rank, 1);
    for (int64_t d = 0; d < rank; ++d)
      if (d == rank - 1 || permutation[d] == rank - 1)
        sizes[d] = pickTile(bounds[d], {8, 4, 2, 1});
    if (Operation *tiled = tile(rewriter, cast<TilingInterface>(current), sizes,
                                scf::SCFTilingOptions::LoopType::ForOp))
      pendingVectorize.push_back(tiled);
  }

  /// Large ops: the outermost dimension split across threads (when it is
  /// parallel and divides evenly); returns the op to tile further (`op`
  /// itself when not split), or null if tiling failed. An op whose
  /// outermost loop is a reduction (a bias gradient, summed over the
  /// batch) splits its innermost dimension instead, if that is parallel
  /// and each thread's slice is a whole number of `innerTile`s (0: no
  /// such split).
  Operation *splitForThreads(RewriterBase &rewriter, linalg::LinalgOp op,
                             int64_t innerTile = 0) {
    SmallVector<int64_t> bounds = op.getStaticLoopRanges();
    int64_t total = 1;
    for (int64_t b : bounds)
      total *= b;
    SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
    if (threads <= 1 || total < 16384 || bounds.size() < 2)
      return op;
    size_t dim = 0;
    if (iters[0] != utils::IteratorType::parallel) {
      // On two threads, the sigmoid20 step's 20 fused sigmoid-gradient and
      // bias-gradient sums (over [128, 256]) ran on one thread: 5% of its
      // two-thread step.
      dim = bounds.size() - 1;
      if (!innerTile || iters[dim] != utils::IteratorType::parallel ||
          (bounds[dim] / threads) % innerTile)
        return op;
    }
    if (bounds[dim] % threads != 0)
      return op;
    SmallVector<int64_t> sizes(bounds.size(), 0);
    sizes[dim] = bounds[dim] / threads;
    return tile(rewriter, cast<TilingInterface>(op.getOperation()), sizes,
                scf::SCFTilingOptions::LoopType::ForallOp);
  }

  /// Rows of the innermost dimension, in vector-sized chunks.
  Operation *tileGeneric(RewriterBase &rewriter, linalg::LinalgOp op) {
    SmallVector<int64_t> bounds = op.getStaticLoopRanges();
    if (bounds.empty())
      return op;
    // Read `op` before the thread split, which replaces it.
    SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
    SmallVector<int64_t> sizes(bounds.size(), 1);
    SmallVector<int64_t> chunks;
    for (int64_t c :
         {int64_t(chunk), int64_t(64), int64_t(32), int64_t(16), int64_t(8)})
      if (c <= chunk && !llvm::is_contained(chunks, c))
        chunks.push_back(c);
    sizes.back() = pickTile(bounds.back(), chunks);
    // The innermost dimension may be split across threads only in whole
    // chunks (and not when it is one chunk: the rows below assume it whole).
    Operation *current = splitForThreads(
        rewriter, op, bounds.back() <= chunk ? 0 : sizes.back());
    if (!current)
      return nullptr;
    if (bounds.back() <= chunk) {
      sizes.back() = 0;
      // Short rows (channels-last images with few channels): take several
      // rows of the next parallel dimension per step, up to `chunk`
      // elements, so that loop overhead is paid less often.
      int64_t rank = bounds.size();
      if (rank >= 2 && iters[rank - 2] == utils::IteratorType::parallel &&
          2 * bounds.back() <= chunk) {
        SmallVector<int64_t> rows;
        for (int64_t r = chunk / bounds.back(); r >= 2; r /= 2)
          rows.push_back(r);
        sizes[rank - 2] = pickTile(bounds[rank - 2], rows);
      }
    }
    return tile(rewriter, cast<TilingInterface>(current), sizes,
                scf::SCFTilingOptions::LoopType::ForOp);
  }

  /// Ops tiled and waiting for vectorization.
  SmallVector<Operation *> pendingVectorize;
  /// Whether a product could not be tiled as planned (with a diagnostic).
  bool tilingFailed = false;

  void lowerVectorOps(func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    // The rewrites below concern vector values only: apply them to the ops
    // that produce or use one (and to the ops they create), not to every
    // op of the step, and leave region simplification (these rewrites leave
    // no unreachable blocks) to the canonicalizer. Sweeping the whole step
    // took half of the pass on deep48 (bench/compile).
    auto apply = [&](RewritePatternSet &&patterns) {
      SmallVector<Operation *> ops;
      func.walk([&](Operation *op) {
        auto isVector = [](Type t) { return isa<VectorType>(t); };
        if (isa<vector::VectorDialect>(op->getDialect()) ||
            llvm::any_of(op->getResultTypes(), isVector) ||
            llvm::any_of(op->getOperandTypes(), isVector))
          ops.push_back(op);
      });
      GreedyRewriteConfig config;
      config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
      config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
      (void)applyOpPatternsGreedily(ops, std::move(patterns), config);
    };
    // Contractions first, while their operands still have their tile shapes:
    // outer products are broadcast-FMA sequences on whole rows.
    {
      // Vectorization writes a product as broadcast-multiply-reduce; fold
      // that back into vector.contract.
      // The operands' transfer_reads broadcast through their permutation
      // maps; making those broadcasts explicit lets them fold into the
      // contraction's indexing maps.
      RewritePatternSet patterns(ctx);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorReductionToContractPatterns(patterns);
      apply(std::move(patterns));
    }
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      apply(std::move(patterns));
    }
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerParallel);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vector::VectorTransposeLowering::Shuffle1D);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      // Unit dimensions left by tiling would otherwise force transfers
      // through memory; drop them so transfers become plain vector loads.
      vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
      vector::populateVectorTransferDropUnitDimsPatterns(patterns);
      vector::populateVectorTransferLoweringPatterns(patterns,
                                                     /*maxTransferRank=*/1);
      vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
      vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
      patterns.add<UnrollStridedTransfer<vector::TransferReadOp>,
                   UnrollStridedTransfer<vector::TransferWriteOp>>(ctx);
      apply(std::move(patterns));
    }
    // One of each constant, at the top of the step, as a full sweep would
    // leave them (kernel outlining compares nests with their constants).
    SmallVector<Operation *> constants;
    func.walk([&](Operation *op) {
      if (op->hasTrait<OpTrait::ConstantLike>())
        constants.push_back(op);
    });
    OperationFolder folder(ctx);
    for (Operation *constant : constants)
      folder.insertKnownConstant(constant);
    linalg::hoistRedundantVectorTransfers(func, /*verifyNonZeroTrip=*/true);
  }
};

} // namespace
