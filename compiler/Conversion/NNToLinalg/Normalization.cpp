//===- Normalization.cpp - Normalization and dropout ----------------------===//
//
// Batch and layer normalization (forwards and backwards) and dropout.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/NNToLinalg/Utils.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

//===----------------------------------------------------------------------===//
// Normalization and regularization
//===----------------------------------------------------------------------===//

/// A generic over `x`'s iteration space that reads `x` and `perDim` (each at
/// its dimensions `perDimDims[i]`) and writes a tensor indexed by `outDims`
/// of the iteration space: the other dimensions are reduced, starting from
/// zero. `body(args, acc)` gets x's element, the `perDim` elements and the
/// accumulator (or the unused output element for a map).
Value normGeneric(OpBuilder &b, Location loc, Value x, ValueRange perDim,
                  ArrayRef<SmallVector<int64_t>> perDimDims,
                  ArrayRef<int64_t> outDims,
                  function_ref<Value(Scalar &, ValueRange, Value)> body) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType type = tensorType(x);
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  for (ArrayRef<int64_t> dims : perDimDims)
    maps.push_back(projection(ctx, rank, dims));
  maps.push_back(projection(ctx, rank, outDims));
  SmallVector<int64_t> shape;
  SmallVector<IteratorType> iters(rank, IteratorType::reduction);
  for (int64_t d : outDims) {
    shape.push_back(type.getDimSize(d));
    iters[d] = IteratorType::parallel;
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  bool reduces = static_cast<int64_t>(outDims.size()) < rank;
  SmallVector<Value> inputs = {x};
  inputs.append(perDim.begin(), perDim.end());
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, inputs,
             ValueRange{reduces ? filled(b, loc, resultType, 0.0)
                                : empty(b, loc, resultType)},
             maps, iters,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Scalar s{nb, nloc, type.getElementType()};
               linalg::YieldOp::create(nb, nloc,
                                       body(s, args.drop_back(), args.back()));
             })
      .getResult(0);
}

/// Mean and `1 / sqrt(var + eps)` of `x` over all dimensions but `kept`,
/// with the biased variance; also returns the variance.
std::tuple<Value, Value, Value> moments(OpBuilder &b, Location loc, Value x,
                                        ArrayRef<int64_t> kept, double eps) {
  RankedTensorType type = tensorType(x);
  double n = type.getNumElements();
  for (int64_t d : kept)
    n /= type.getDimSize(d);
  SmallVector<int64_t> keptDims(kept);
  Value sum = normGeneric(
      b, loc, x, {}, {}, kept,
      [](Scalar &s, ValueRange v, Value acc) { return s.add(acc, v[0]); });
  Value mean = elementwise(b, loc, tensorType(sum), sum,
                           [&](OpBuilder &nb, Location nloc, ValueRange v) {
                             Scalar s{nb, nloc, type.getElementType()};
                             return s.div(v[0], s.c(n));
                           });
  Value sq = normGeneric(b, loc, x, mean, {keptDims}, kept,
                         [](Scalar &s, ValueRange v, Value acc) {
                           Value d = s.sub(v[0], v[1]);
                           return s.add(acc, s.mul(d, d));
                         });
  Value var = elementwise(b, loc, tensorType(sq), sq,
                          [&](OpBuilder &nb, Location nloc, ValueRange v) {
                            Scalar s{nb, nloc, type.getElementType()};
                            return s.div(v[0], s.c(n));
                          });
  return {mean, var, invStdOf(b, loc, var, eps)};
}

NNC_LOWERING(BatchNormLowering, nn::BatchNormOp) {
  RankedTensorType type = tensorType(a.getInput());
  int64_t rank = type.getRank();
  double eps = op.getEps().convertToDouble();
  double momentum = op.getMomentum().convertToDouble();
  Value mean = a.getRunningMean(), var = a.getRunningVar(), invstd;
  Value newMean = mean, newVar = var;
  if (op.getTraining()) {
    std::tie(mean, var, invstd) = moments(b, loc, a.getInput(), {1}, eps);
    double n = type.getNumElements() / type.getDimSize(1);
    // PyTorch keeps the unbiased variance; one element has none (it
    // divides by zero too).
    double unbias = n / (n - 1);
    SmallVector<Value> updated = elementwiseMulti(
        b, loc, tensorType(mean),
        ValueRange{a.getRunningMean(), a.getRunningVar(), mean, var}, 2,
        [&](OpBuilder &nb, Location nloc, ValueRange v) {
          Scalar s{nb, nloc, type.getElementType()};
          Value keep = s.c(1 - momentum), take = s.c(momentum);
          return SmallVector<Value>{
              s.add(s.mul(keep, v[0]), s.mul(take, v[2])),
              s.add(s.mul(keep, v[1]), s.mul(take, s.mul(v[3], s.c(unbias))))};
        });
    newMean = updated[0];
    newVar = updated[1];
  } else {
    invstd = invStdOf(b, loc, var, eps);
  }
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < rank; ++i)
    all.push_back(i);
  SmallVector<SmallVector<int64_t>> channel(4, SmallVector<int64_t>{1});
  Value result = normGeneric(
      b, loc, a.getInput(), {mean, invstd, a.getWeight(), a.getBias()}, channel,
      all, [](Scalar &s, ValueRange v, Value) {
        return s.add(s.mul(s.mul(s.sub(v[0], v[1]), v[2]), v[3]), v[4]);
      });
  return SmallVector<Value>{result, newMean, newVar};
}

NNC_LOWERING(BatchNormGradLowering, nn::BatchNormGradOp) {
  // The statistics as the forward lowering computes them (CSE shares them);
  // then sum(dy) and sum(dy * xhat) in one pass, dx in another.
  MLIRContext *ctx = b.getContext();
  RankedTensorType type = tensorType(a.getInput());
  Type et = type.getElementType();
  int64_t rank = type.getRank();
  double n = type.getNumElements() / type.getDimSize(1);
  auto [mean, var, invstd] =
      moments(b, loc, a.getInput(), {1}, op.getEps().convertToDouble());
  (void)var;
  RankedTensorType statType = tensorType(mean);
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap channel = projection(ctx, rank, {1});
  SmallVector<IteratorType> iters(rank, IteratorType::reduction);
  iters[1] = IteratorType::parallel;
  auto sums = linalg::GenericOp::create(
      b, loc, TypeRange{statType, statType},
      ValueRange{a.getInput(), a.getResultGrad(), mean, invstd},
      ValueRange{filled(b, loc, statType, 0.0), filled(b, loc, statType, 0.0)},
      SmallVector<AffineMap>{id, id, channel, channel, channel, channel}, iters,
      [&](OpBuilder &nb, Location nloc, ValueRange v) {
        Scalar s{nb, nloc, et};
        Value xhat = s.mul(s.sub(v[0], v[2]), v[3]);
        linalg::YieldOp::create(
            nb, nloc,
            ValueRange{s.add(v[4], v[1]), s.add(v[5], s.mul(v[1], xhat))});
      });
  Value sumDy = sums.getResult(0), sumDyXhat = sums.getResult(1);
  SmallVector<int64_t> all;
  for (int64_t i = 0; i < rank; ++i)
    all.push_back(i);
  SmallVector<SmallVector<int64_t>> dims = {all, {1}, {1}, {1}, {1}, {1}};
  Value dx = normGeneric(
      b, loc, a.getInput(),
      {a.getResultGrad(), mean, invstd, a.getWeight(), sumDy, sumDyXhat}, dims,
      all, [&](Scalar &s, ValueRange v, Value) {
        Value xhat = s.mul(s.sub(v[0], v[2]), v[3]);
        Value centered = s.sub(v[1], s.div(v[5], s.c(n)));
        Value projected = s.mul(xhat, s.div(v[6], s.c(n)));
        return s.mul(s.mul(v[4], v[3]), s.sub(centered, projected));
      });
  return SmallVector<Value>{dx, sumDyXhat, sumDy};
}

NNC_LOWERING(LayerNormLowering, nn::LayerNormOp) {
  RankedTensorType type = tensorType(a.getInput());
  int64_t rank = type.getRank();
  int64_t lead = rank - tensorType(a.getWeight()).getRank();
  SmallVector<int64_t> leading, trailing, all;
  for (int64_t i = 0; i < rank; ++i) {
    (i < lead ? leading : trailing).push_back(i);
    all.push_back(i);
  }
  auto [mean, var, invstd] =
      moments(b, loc, a.getInput(), leading, op.getEps().convertToDouble());
  (void)var;
  Value result = normGeneric(
      b, loc, a.getInput(), {mean, invstd, a.getWeight(), a.getBias()},
      {leading, leading, trailing, trailing}, all,
      [](Scalar &s, ValueRange v, Value) {
        return s.add(s.mul(s.mul(s.sub(v[0], v[1]), v[2]), v[3]), v[4]);
      });
  return SmallVector<Value>{result};
}

/// MurmurHash3's 32-bit finalizer.
Value fmix32(OpBuilder &b, Location loc, Value h) {
  auto c = [&](uint32_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  };
  auto shiftXor = [&](Value x, uint32_t k) {
    return arith::XOrIOp::create(b, loc, x,
                                 arith::ShRUIOp::create(b, loc, x, c(k)));
  };
  h = shiftXor(h, 16);
  h = arith::MulIOp::create(b, loc, h, c(0x85ebca6bu));
  h = shiftXor(h, 13);
  h = arith::MulIOp::create(b, loc, h, c(0xc2b2ae35u));
  return shiftXor(h, 16);
}

NNC_LOWERING(DropoutLowering, nn::DropoutOp) {
  // The dropout folder leaves only training-mode ops with p > 0 here.
  RankedTensorType type = tensorType(a.getInput());
  Type et = type.getElementType();
  double p = op.getP().convertToDouble();
  Type i32 = b.getI32Type();
  Value step = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
  if (a.getStep())
    step = arith::FPToUIOp::create(b, loc, i32, scalarOf(b, loc, a.getStep()));
  // key = fmix32(seed + 0x9E3779B9 * step), once per step.
  Value seed = arith::ConstantOp::create(
      b, loc, b.getI32IntegerAttr(static_cast<uint32_t>(op.getSeed())));
  Value key = fmix32(b, loc,
                     arith::AddIOp::create(
                         b, loc, seed,
                         arith::MulIOp::create(
                             b, loc, step,
                             arith::ConstantOp::create(
                                 b, loc, b.getI32IntegerAttr(0x9E3779B9u)))));
  int64_t rank = type.getRank();
  // The global index of the batch's first element, in 32 bits: offset
  // examples of (elements per example) each.
  Value first;
  if (a.getOffset()) {
    int64_t perExample = 1;
    for (int64_t d = 1; d < rank; ++d)
      perExample *= type.getDimSize(d);
    Value offset = arith::FPToUIOp::create(b, loc, b.getI64Type(),
                                           scalarOf(b, loc, a.getOffset()));
    first = arith::TruncIOp::create(
        b, loc, i32,
        arith::MulIOp::create(b, loc, offset,
                              arith::ConstantOp::create(
                                  b, loc, b.getI64IntegerAttr(perExample))));
  }
  return SmallVector<Value>{elementwise(
      b, loc, type, a.getInput(),
      [&](OpBuilder &nb, Location nloc, ValueRange v) {
        // The row-major index of the element, in 32 bits.
        Value index = arith::ConstantIndexOp::create(nb, nloc, 0);
        for (int64_t d = 0; d < rank; ++d) {
          index = arith::MulIOp::create(
              nb, nloc, index,
              arith::ConstantIndexOp::create(nb, nloc, type.getDimSize(d)));
          index = arith::AddIOp::create(nb, nloc, index,
                                        linalg::IndexOp::create(nb, nloc, d));
        }
        Value index32 =
            arith::IndexCastUIOp::create(nb, nloc, nb.getI32Type(), index);
        if (first)
          index32 = arith::AddIOp::create(nb, nloc, index32, first);
        Value h =
            fmix32(nb, nloc, arith::XOrIOp::create(nb, nloc, index32, key));
        Value bits = arith::ShRUIOp::create(
            nb, nloc, h,
            arith::ConstantOp::create(nb, nloc, nb.getI32IntegerAttr(8)));
        Scalar f{nb, nloc, nb.getF32Type()};
        Value u =
            f.mul(arith::UIToFPOp::create(nb, nloc, nb.getF32Type(), bits),
                  f.c(1.0 / (1 << 24)));
        Value keep = arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OGE,
                                           u, f.c(p));
        Scalar s{nb, nloc, et};
        return s.select(keep, s.mul(v[0], s.c(1 / (1 - p))), s.c(0));
      })};
}

} // namespace

void nnc::populateNNToLinalgNormalizationPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, BatchNormGradLowering, LayerNormLowering,
               DropoutLowering>(patterns.getContext());
}
