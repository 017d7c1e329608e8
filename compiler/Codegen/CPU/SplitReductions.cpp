//===- SplitReductions.cpp - Reduce leading dimensions first --------------===//
//
// A reduction over, say, the batch and the image of [n, c, h, w] (a bias
// gradient, batch-norm statistics, or all of a gradient for its norm)
// reduces the innermost dimension, which
// the CPU strategy vectorizes: every row then ends in a horizontal sum. Split
// in two, the bulk of the work (over n) becomes vertical vector adds into a
// small [c, h, w] partial, and only that partial is reduced across rows.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace nnc {
#define GEN_PASS_DEF_SPLITREDUCTIONSPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using utils::IteratorType;

namespace {

/// The neutral element of `combine` (addf, maximumf, minimumf) in `type`,
/// or null.
TypedAttr neutralElement(Operation *combine, Type type) {
  auto floatType = dyn_cast<FloatType>(type);
  if (!floatType)
    return nullptr;
  double value;
  if (isa<arith::AddFOp>(combine))
    value = 0.0;
  else if (isa<arith::MaximumFOp>(combine))
    value = -INFINITY;
  else if (isa<arith::MinimumFOp>(combine))
    value = INFINITY;
  else
    return nullptr;
  return FloatAttr::get(floatType, value);
}

/// The iterator types and static loop bounds of `op`, which must be on
/// tensors with at least `minRank` loops.
LogicalResult matchLoops(linalg::GenericOp op, PatternRewriter &rewriter,
                         int64_t minRank, SmallVectorImpl<IteratorType> &iters,
                         SmallVectorImpl<int64_t> &bounds) {
  if (!op.hasPureTensorSemantics())
    return rewriter.notifyMatchFailure(op, "expects tensors");
  iters = op.getIteratorTypesArray();
  bounds = op.getStaticLoopRanges();
  if (int64_t(iters.size()) < minRank || ShapedType::isDynamicShape(bounds))
    return rewriter.notifyMatchFailure(op, "expects static loops");
  return success();
}

/// The op that combines each result of `op` with its accumulator, into
/// `combines`: each result must be `combine(accumulator, value)` with
/// `combine` one `neutralElement` knows and the accumulator used nowhere
/// else, and each output map a projected permutation.
LogicalResult matchCombines(linalg::GenericOp op, PatternRewriter &rewriter,
                            SmallVectorImpl<Operation *> &combines) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  for (OpOperand &init : op.getDpsInitsMutable()) {
    if (!op.getMatchingIndexingMap(&init).isProjectedPermutation())
      return rewriter.notifyMatchFailure(op, "expects plain output maps");
    BlockArgument acc = op.getMatchingBlockArgument(&init);
    Operation *combine =
        yield.getOperand(init.getOperandNumber() - op.getNumDpsInputs())
            .getDefiningOp();
    if (!combine || combine->getNumOperands() != 2 ||
        !neutralElement(combine, acc.getType()) || !acc.hasOneUse() ||
        *acc.getUsers().begin() != combine)
      return rewriter.notifyMatchFailure(
          op, "expects each result to combine its accumulator once");
    combines.push_back(combine);
  }
  return success();
}

/// Fills of the neutral element of each of `combines`, shaped `shape`.
SmallVector<Value> neutralInits(PatternRewriter &rewriter, Location loc,
                                linalg::GenericOp op, ArrayRef<int64_t> shape,
                                ArrayRef<Operation *> combines) {
  SmallVector<Value> inits;
  for (auto [init, combine] : llvm::zip(op.getDpsInits(), combines)) {
    Type et = cast<RankedTensorType>(init.getType()).getElementType();
    Value empty = tensor::EmptyOp::create(rewriter, loc, shape, et);
    Value neutral =
        arith::ConstantOp::create(rewriter, loc, neutralElement(combine, et));
    inits.push_back(
        linalg::FillOp::create(rewriter, loc, neutral, empty).getResult(0));
  }
  return inits;
}

/// `results[k] = combine_k(inits[k], partials[k])` over `maps` and `iters`
/// (partials first, then the accumulators), replacing `op`.
void combinePartials(PatternRewriter &rewriter, linalg::GenericOp op,
                     ValueRange partials, ArrayRef<AffineMap> maps,
                     ArrayRef<IteratorType> iters,
                     ArrayRef<Operation *> combines) {
  auto stage2 = linalg::GenericOp::create(
      rewriter, op.getLoc(), op.getResultTypes(), partials, op.getDpsInits(),
      maps, iters, [&](OpBuilder &b, Location l, ValueRange args) {
        SmallVector<Value> results;
        int64_t n = combines.size();
        for (int64_t k = 0; k < n; ++k) {
          Operation *combined = b.clone(*combines[k]);
          combined->setOperands({args[n + k], args[k]});
          results.push_back(combined->getResult(0));
        }
        linalg::YieldOp::create(b, l, results);
      });
  rewriter.replaceOp(op, stage2.getResults());
}

struct SplitLeadingReduction : OpRewritePattern<linalg::GenericOp> {
  SplitLeadingReduction(MLIRContext *ctx, int64_t minLeading)
      : OpRewritePattern(ctx), minLeading(minLeading) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<IteratorType> iters;
    SmallVector<int64_t> bounds;
    if (failed(matchLoops(op, rewriter, 2, iters, bounds)))
      return failure();
    int64_t rank = iters.size();
    // Leading reduction dimensions, then a parallel one, and the innermost
    // dimension reduced.
    int64_t leading = 0, leadingSize = 1;
    while (leading < rank && iters[leading] == IteratorType::reduction)
      leadingSize *= bounds[leading++];
    // A full reduction (a gradient's squared norm, `[m, n] -> []`) keeps
    // its innermost dimension for stage 2: partials `[n]`. Otherwise every
    // step of its one vectorized loop ends in a horizontal, ordered sum
    // through the accumulator in memory: the MLP's clipping norm took 9%
    // of its step that way.
    if (leading == rank) {
      leadingSize /= bounds[--leading];
    }
    if (leading == 0 || iters.back() != IteratorType::reduction)
      return rewriter.notifyMatchFailure(
          op, "expects leading and innermost reduction dimensions");
    if (leadingSize < minLeading)
      return rewriter.notifyMatchFailure(op, "leading reduction too small");
    SmallVector<Operation *> combines;
    if (failed(matchCombines(op, rewriter, combines)))
      return failure();

    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    // Stage 1: the same body over the same space, reducing only the leading
    // dimensions, into partials shaped like the other dimensions.
    SmallVector<AffineExpr> rest;
    SmallVector<int64_t> restShape;
    for (int64_t d = leading; d < rank; ++d) {
      rest.push_back(getAffineDimExpr(d, ctx));
      restShape.push_back(bounds[d]);
    }
    AffineMap partialMap = AffineMap::get(rank, 0, rest, ctx);
    SmallVector<AffineMap> maps;
    for (OpOperand *input : op.getDpsInputOperands())
      maps.push_back(op.getMatchingIndexingMap(input));
    SmallVector<Value> partialInits =
        neutralInits(rewriter, loc, op, restShape, combines);
    SmallVector<Type> partialTypes;
    for (Value init : partialInits) {
      partialTypes.push_back(init.getType());
      maps.push_back(partialMap);
    }
    SmallVector<IteratorType> stage1Iters(rank, IteratorType::parallel);
    for (int64_t d = 0; d < leading; ++d)
      stage1Iters[d] = IteratorType::reduction;
    auto stage1 = linalg::GenericOp::create(rewriter, loc, partialTypes,
                                            op.getDpsInputs(), partialInits,
                                            maps, stage1Iters);
    rewriter.cloneRegionBefore(op.getRegion(), stage1.getRegion(),
                               stage1.getRegion().end());

    // Stage 2: combine the partials over the remaining reductions, into
    // the original accumulators.
    int64_t restRank = rank - leading;
    SmallVector<AffineMap> stage2Maps(
        op.getNumDpsInits(), AffineMap::getMultiDimIdentityMap(restRank, ctx));
    for (OpOperand &init : op.getDpsInitsMutable())
      stage2Maps.push_back(
          op.getMatchingIndexingMap(&init).shiftDims(-leading));
    SmallVector<IteratorType> stage2Iters(iters.begin() + leading, iters.end());
    combinePartials(rewriter, op, stage1.getResults(), stage2Maps, stage2Iters,
                    combines);
    return success();
  }

  int64_t minLeading;
};

/// A reduction over its leading dimensions with the innermost one parallel
/// (say batch-norm statistics channels-last, `[n, h, w, c] -> [c]`): the
/// outermost dimension becomes parallel partials (`[n, c]`), which threads
/// can split, and a second, small reduction combines them.
struct SplitOutermostReduction : OpRewritePattern<linalg::GenericOp> {
  SplitOutermostReduction(MLIRContext *ctx, int64_t minLeading)
      : OpRewritePattern(ctx), minLeading(minLeading) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<IteratorType> iters;
    SmallVector<int64_t> bounds;
    if (failed(matchLoops(op, rewriter, 3, iters, bounds)))
      return failure();
    int64_t rank = iters.size();
    // Two leading reductions at least (stage 2 below has one, so it does not
    // match again), and the innermost dimension parallel.
    if (iters[0] != IteratorType::reduction ||
        iters[1] != IteratorType::reduction ||
        iters.back() != IteratorType::parallel)
      return rewriter.notifyMatchFailure(
          op, "expects two leading reductions and an innermost parallel "
              "dimension");
    if (bounds[0] < minLeading)
      return rewriter.notifyMatchFailure(op, "outermost reduction too small");
    SmallVector<Operation *> combines;
    if (failed(matchCombines(op, rewriter, combines)))
      return failure();

    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    // Stage 1: the same body with the outermost dimension parallel, into
    // partials [d0, output dimensions...].
    SmallVector<AffineMap> maps;
    for (OpOperand *input : op.getDpsInputOperands())
      maps.push_back(op.getMatchingIndexingMap(input));
    SmallVector<AffineMap> stage2Maps;
    SmallVector<Value> partialInits;
    SmallVector<Type> partialTypes;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      AffineMap map = op.getMatchingIndexingMap(&init);
      SmallVector<AffineExpr> exprs = {getAffineDimExpr(0, ctx)};
      llvm::append_range(exprs, map.getResults());
      maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
      SmallVector<int64_t> shape = {bounds[0]};
      llvm::append_range(
          shape, cast<RankedTensorType>(init.get().getType()).getShape());
      partialTypes.push_back(RankedTensorType::get(
          shape,
          cast<RankedTensorType>(init.get().getType()).getElementType()));
    }
    SmallVector<int64_t> partialShape(
        cast<RankedTensorType>(partialTypes.front()).getShape());
    for (auto [k, init] : llvm::enumerate(op.getDpsInits()))
      if (cast<RankedTensorType>(partialTypes[k]).getShape() !=
          ArrayRef(partialShape))
        return rewriter.notifyMatchFailure(op, "expects outputs of one shape");
    partialInits = neutralInits(rewriter, loc, op, partialShape, combines);
    SmallVector<IteratorType> stage1Iters = iters;
    stage1Iters[0] = IteratorType::parallel;
    auto stage1 = linalg::GenericOp::create(rewriter, loc, partialTypes,
                                            op.getDpsInputs(), partialInits,
                                            maps, stage1Iters);
    rewriter.cloneRegionBefore(op.getRegion(), stage1.getRegion(),
                               stage1.getRegion().end());

    // Stage 2: reduce the partials over d0 into the original accumulators.
    int64_t outRank = partialShape.size() - 1;
    stage2Maps.assign(op.getNumDpsInits(),
                      AffineMap::getMultiDimIdentityMap(outRank + 1, ctx));
    stage2Maps.append(
        op.getNumDpsInits(),
        AffineMap::getMultiDimIdentityMap(outRank + 1, ctx).dropResult(0));
    SmallVector<IteratorType> stage2Iters(outRank + 1, IteratorType::parallel);
    stage2Iters[0] = IteratorType::reduction;
    combinePartials(rewriter, op, stage1.getResults(), stage2Maps, stage2Iters,
                    combines);
    return success();
  }

  int64_t minLeading;
};

struct SplitReductionsPass
    : nnc::impl::SplitReductionsPassBase<SplitReductionsPass> {
  using SplitReductionsPassBase::SplitReductionsPassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitLeadingReduction>(&getContext(), minLeading);
    if (threads > 1)
      patterns.add<SplitOutermostReduction>(&getContext(), minLeading);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
