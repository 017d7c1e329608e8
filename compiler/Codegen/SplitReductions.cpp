//===- SplitReductions.cpp - Reduce leading dimensions first --------------===//
//
// A reduction over, say, the batch and the image of [n, c, h, w] (a bias
// gradient, batch-norm statistics) reduces the innermost dimension, which
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

struct SplitLeadingReduction : OpRewritePattern<linalg::GenericOp> {
  SplitLeadingReduction(MLIRContext *ctx, int64_t minLeading)
      : OpRewritePattern(ctx), minLeading(minLeading) {}

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "expects tensors");
    SmallVector<IteratorType> iters = op.getIteratorTypesArray();
    SmallVector<int64_t> bounds = op.getStaticLoopRanges();
    int64_t rank = iters.size();
    if (rank < 2 || ShapedType::isDynamicShape(bounds))
      return rewriter.notifyMatchFailure(op, "expects static loops");
    // Leading reduction dimensions, then a parallel one, and the innermost
    // dimension reduced.
    int64_t leading = 0, leadingSize = 1;
    while (leading < rank && iters[leading] == IteratorType::reduction)
      leadingSize *= bounds[leading++];
    if (leading == 0 || leading == rank ||
        iters.back() != IteratorType::reduction)
      return rewriter.notifyMatchFailure(
          op, "expects leading and innermost reduction dimensions");
    if (leadingSize < minLeading)
      return rewriter.notifyMatchFailure(op, "leading reduction too small");
    // Each result must be combine(its accumulator, a value that does not
    // read any accumulator).
    Block &body = op.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    SmallVector<Operation *> combines;
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
    SmallVector<Value> partialInits;
    SmallVector<Type> partialTypes;
    for (auto [init, combine] : llvm::zip(op.getDpsInits(), combines)) {
      Type et = cast<RankedTensorType>(init.getType()).getElementType();
      auto type = RankedTensorType::get(restShape, et);
      Value empty = tensor::EmptyOp::create(rewriter, loc, restShape, et);
      Value neutral =
          arith::ConstantOp::create(rewriter, loc, neutralElement(combine, et));
      partialInits.push_back(
          linalg::FillOp::create(rewriter, loc, neutral, empty).getResult(0));
      partialTypes.push_back(type);
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
    auto stage2 = linalg::GenericOp::create(
        rewriter, loc, op.getResultTypes(), stage1.getResults(),
        op.getDpsInits(), stage2Maps, stage2Iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
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
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
