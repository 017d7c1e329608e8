//===- Losses.cpp - Softmax and the losses --------------------------------===//
//
// Stable softmax and log-softmax, one-hot labels, and the losses.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/NNToLinalg/Utils.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

/// Applies `body(x, stat)` to every element, where `stat` is the reduction
/// of x's row along `dim` (a tensor missing that dimension).
Value withRowStat(OpBuilder &b, Location loc, Value x, Value stat, int64_t dim,
                  BodyFn body) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType type = tensorType(x);
  int64_t rank = type.getRank();
  SmallVector<int64_t> kept;
  for (int64_t i = 0; i < rank; ++i)
    if (i != dim)
      kept.push_back(i);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 projection(ctx, rank, kept),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<IteratorType> iters(rank, IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{x, stat},
             ValueRange{empty(b, loc, type)}, maps, iters,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc,
                                       body(nb, nloc, args.drop_back()));
             })
      .getResult(0);
}

/// Returns (x - max, log(sum(exp(x - max)))) along `dim`: the two halves of
/// a stable log-softmax.
std::pair<Value, Value> shiftedLogSumExp(OpBuilder &b, Location loc, Value x,
                                         int64_t dim) {
  RankedTensorType type = tensorType(x);
  Type et = type.getElementType();
  SmallVector<bool> reduced(type.getRank(), false);
  reduced[dim] = true;
  Value max = reduce(b, loc, x, reduced, -INFINITY, maxf);
  Value shifted = withRowStat(b, loc, x, max, dim,
                              [&](OpBuilder &nb, Location nloc, ValueRange v) {
                                return Scalar{nb, nloc, et}.sub(v[0], v[1]);
                              });
  Value sum = reduce(b, loc, shifted, reduced, 0.0, addf,
                     [&](OpBuilder &nb, Location nloc, ValueRange v) {
                       return Scalar{nb, nloc, et}.exp(v[0]);
                     });
  Value logSum = elementwise(b, loc, tensorType(sum), sum,
                             [&](OpBuilder &nb, Location nloc, ValueRange v) {
                               return Scalar{nb, nloc, et}.log(v[0]);
                             });
  return {shifted, logSum};
}

NNC_LOWERING(LogSoftmaxLowering, nn::LogSoftmaxOp) {
  Type et = tensorType(a.getInput()).getElementType();
  auto dim = static_cast<int64_t>(op.getDim());
  auto [shifted, logSum] = shiftedLogSumExp(b, loc, a.getInput(), dim);
  return SmallVector<Value>{
      withRowStat(b, loc, shifted, logSum, dim,
                  [&](OpBuilder &nb, Location nloc, ValueRange v) {
                    return Scalar{nb, nloc, et}.sub(v[0], v[1]);
                  })};
}

NNC_LOWERING(SoftmaxLowering, nn::SoftmaxOp) {
  Type et = tensorType(a.getInput()).getElementType();
  auto dim = static_cast<int64_t>(op.getDim());
  auto [shifted, logSum] = shiftedLogSumExp(b, loc, a.getInput(), dim);
  return SmallVector<Value>{
      withRowStat(b, loc, shifted, logSum, dim,
                  [&](OpBuilder &nb, Location nloc, ValueRange v) {
                    Scalar s{nb, nloc, et};
                    return s.exp(s.sub(v[0], v[1]));
                  })};
}

NNC_LOWERING(OneHotLowering, nn::OneHotOp) {
  auto type = cast<RankedTensorType>(op.getType());
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  SmallVector<int64_t> batch;
  for (int64_t i = 0; i + 1 < rank; ++i)
    batch.push_back(i);
  SmallVector<AffineMap> maps = {projection(ctx, rank, batch),
                                 AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<IteratorType> iters(rank, IteratorType::parallel);
  Value result = linalg::GenericOp::create(
                     b, loc, TypeRange{type}, ValueRange{a.getLabels()},
                     ValueRange{empty(b, loc, type)}, maps, iters,
                     [&](OpBuilder &nb, Location nloc, ValueRange args) {
                       Value cls = linalg::IndexOp::create(nb, nloc, rank - 1);
                       Value label = arith::IndexCastOp::create(
                           nb, nloc, nb.getIndexType(), args[0]);
                       Value hit = arith::CmpIOp::create(
                           nb, nloc, arith::CmpIPredicate::eq, cls, label);
                       Scalar s{nb, nloc, type.getElementType()};
                       linalg::YieldOp::create(
                           nb, nloc, ValueRange{s.select(hit, s.c(1), s.c(0))});
                     })
                     .getResult(0);
  return SmallVector<Value>{result};
}

NNC_LOWERING(CrossEntropyLowering, nn::CrossEntropyOp) {
  // mean_b(logsumexp(l_b) - l_b[y_b]) = mean_b(log(sum exp(s_b)) - s_b[y_b])
  // with s = l - max(l): the shift cancels.
  Value logits = a.getLogits();
  RankedTensorType type = tensorType(logits);
  Type et = type.getElementType();
  MLIRContext *ctx = b.getContext();
  auto [shifted, logSum] = shiftedLogSumExp(b, loc, logits, 1);
  // picked[b] = shifted[b, y_b].
  auto rowType = RankedTensorType::get({type.getDimSize(0)}, et);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(2, ctx),
                                 projection(ctx, 2, {0}),
                                 projection(ctx, 2, {0})};
  Value picked =
      linalg::GenericOp::create(
          b, loc, TypeRange{rowType}, ValueRange{shifted, a.getLabels()},
          ValueRange{filled(b, loc, rowType, 0.0)}, maps,
          {IteratorType::parallel, IteratorType::reduction},
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value cls = linalg::IndexOp::create(nb, nloc, 1);
            Value label = arith::IndexCastOp::create(
                nb, nloc, nb.getIndexType(), args[1]);
            Value hit = arith::CmpIOp::create(
                nb, nloc, arith::CmpIPredicate::eq, cls, label);
            Scalar s{nb, nloc, et};
            linalg::YieldOp::create(
                nb, nloc,
                ValueRange{s.add(args[2], s.select(hit, args[0], s.c(0)))});
          })
          .getResult(0);
  double batch = type.getDimSize(0);
  Value perRow = elementwise(b, loc, rowType, ValueRange{logSum, picked},
                             [&](OpBuilder &nb, Location nloc, ValueRange v) {
                               Scalar s{nb, nloc, et};
                               return s.mul(s.sub(v[0], v[1]), s.c(1 / batch));
                             });
  return SmallVector<Value>{sumAll(b, loc, perRow)};
}

/// The mean over every element of `term(prediction, target)`: the shape of
/// both pairwise losses.
Value meanOfTerms(OpBuilder &b, Location loc, Value prediction, Value target,
                  function_ref<Value(Scalar &, Value, Value)> term) {
  RankedTensorType type = tensorType(prediction);
  double n = type.getNumElements();
  Value terms = elementwise(b, loc, type, ValueRange{prediction, target},
                            [&](OpBuilder &nb, Location nloc, ValueRange v) {
                              Scalar s{nb, nloc, type.getElementType()};
                              return s.mul(term(s, v[0], v[1]), s.c(1 / n));
                            });
  return sumAll(b, loc, terms);
}

NNC_LOWERING(MseLowering, nn::MseOp) {
  return SmallVector<Value>{meanOfTerms(b, loc, a.getInput(), a.getTarget(),
                                        [](Scalar &s, Value x, Value t) {
                                          Value d = s.sub(x, t);
                                          return s.mul(d, d);
                                        })};
}

NNC_LOWERING(BceLowering, nn::BceWithLogitsOp) {
  // max(x, 0) - x t + log(1 + exp(-|x|)), stable for any x.
  return SmallVector<Value>{meanOfTerms(
      b, loc, a.getLogits(), a.getTarget(), [](Scalar &s, Value x, Value t) {
        return s.add(s.sub(s.max(x, s.c(0)), s.mul(x, t)),
                     s.log1p(s.exp(s.neg(s.abs(x)))));
      })};
}

} // namespace

void nnc::populateNNToLinalgLossPatterns(RewritePatternSet &patterns) {
  patterns.add<LogSoftmaxLowering, SoftmaxLowering, OneHotLowering,
               CrossEntropyLowering, MseLowering, BceLowering>(
      patterns.getContext());
}
