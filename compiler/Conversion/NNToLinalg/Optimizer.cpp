//===- Optimizer.cpp - Clipping, instrumentation, optimizer updates -------===//
//
// Gradient clipping, gradient RMS, and one multi-result generic per
// parameter for each optimizer update.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/NNToLinalg/Utils.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

NNC_LOWERING(ClipGradNormLowering, nn::ClipGradNormOp) {
  // norm = sqrt(sum_i sum(g_i^2)); coef = min(1, max_norm / (norm + 1e-6)).
  Type et = tensorType(a.getGradients()[0]).getElementType();
  Value total;
  for (Value g : a.getGradients()) {
    Value sq = scalarOf(
        b, loc,
        sumAll(b, loc, g, [&](OpBuilder &nb, Location nloc, ValueRange v) {
          return Scalar{nb, nloc, et}.mul(v[0], v[0]);
        }));
    total = total ? Scalar{b, loc, et}.add(total, sq) : sq;
  }
  Scalar s{b, loc, et};
  Value norm = s.sqrt(total);
  Value coef = s.min(s.c(1), s.div(s.c(op.getMaxNorm().convertToDouble()),
                                   s.add(norm, s.c(1e-6))));
  SmallVector<Value> results;
  for (Value g : a.getGradients())
    results.push_back(
        elementwise(b, loc, tensorType(g), g,
                    [&](OpBuilder &nb, Location nloc, ValueRange v) {
                      return Scalar{nb, nloc, et}.mul(v[0], coef);
                    }));
  auto normType = RankedTensorType::get({}, et);
  results.push_back(tensor::FromElementsOp::create(b, loc, normType, norm));
  return results;
}

NNC_LOWERING(GradientRmsLowering, nn::GradientRmsOp) {
  // Squares are summed in f64, where those of f32 values cannot overflow.
  Type f64 = b.getF64Type();
  SmallVector<Value> rms;
  for (Value g : a.getGradients()) {
    Value sum = scalarOf(b, loc,
                         sumAll(
                             b, loc, g,
                             [&](OpBuilder &nb, Location nloc, ValueRange v) {
                               Value x = castTo(nb, nloc, v[0], f64);
                               return Scalar{nb, nloc, f64}.mul(x, x);
                             },
                             f64));
    Scalar s{b, loc, f64};
    rms.push_back(s.sqrt(
        s.div(sum, s.c(static_cast<double>(tensorType(g).getNumElements())))));
  }
  return SmallVector<Value>{
      tensor::FromElementsOp::create(b, loc, op.getType(), rms)};
}

NNC_LOWERING(SgdUpdateLowering, nn::SgdUpdateOp) {
  RankedTensorType type = tensorType(a.getParam());
  Type et = type.getElementType();
  Scalar s{b, loc, et};
  Value lr = castTo(b, loc, scalarOf(b, loc, a.getLr()), et);
  Value step = castTo(b, loc, scalarOf(b, loc, a.getStep()), et);
  double momentum = op.getMomentum().convertToDouble();
  double dampening = op.getDampening().convertToDouble();
  double wd = op.getWeightDecay().convertToDouble();
  bool nesterov = op.getNesterov();
  // The first step takes the buffer to be the gradient itself.
  Value first =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE, step, s.c(1));
  return elementwiseMulti(
      b, loc, type,
      ValueRange{a.getParam(), a.getGrad(), a.getMomentumBuffer()}, 2,
      [&](OpBuilder &nb, Location nloc, ValueRange v) {
        Scalar e{nb, nloc, et};
        Value p = v[0], g = v[1], buf = v[2];
        if (wd != 0)
          g = e.add(g, e.mul(e.c(wd), p));
        Value next =
            e.add(e.mul(e.c(momentum), buf), e.mul(e.c(1 - dampening), g));
        next = e.select(first, g, next);
        Value dir = nesterov ? e.add(g, e.mul(e.c(momentum), next)) : next;
        return SmallVector<Value>{e.sub(p, e.mul(lr, dir)), next};
      });
}

NNC_LOWERING(AdamUpdateLowering, nn::AdamUpdateOp) {
  RankedTensorType type = tensorType(a.getParam());
  Type et = type.getElementType();
  double beta1 = op.getBeta1().convertToDouble();
  double beta2 = op.getBeta2().convertToDouble();
  double eps = op.getEps().convertToDouble();
  double wd = op.getWeightDecay().convertToDouble();
  bool decoupled = op.getDecoupled();
  // Bias corrections are per step, not per element: compute them once, in
  // f64 as PyTorch does in Python floats.
  Type f64 = b.getF64Type();
  Scalar d{b, loc, f64};
  Value lr = castTo(b, loc, scalarOf(b, loc, a.getLr()), f64);
  Value step = castTo(b, loc, scalarOf(b, loc, a.getStep()), f64);
  Value bc1 = d.sub(d.c(1), math::PowFOp::create(b, loc, d.c(beta1), step));
  Value bc2 = d.sub(d.c(1), math::PowFOp::create(b, loc, d.c(beta2), step));
  Value stepSize = castTo(b, loc, d.div(lr, bc1), et);
  Value bc2Sqrt = castTo(b, loc, d.sqrt(bc2), et);
  Value decay = castTo(b, loc, d.sub(d.c(1), d.mul(lr, d.c(wd))), et);
  return elementwiseMulti(
      b, loc, type,
      ValueRange{a.getParam(), a.getGrad(), a.getExpAvg(), a.getExpAvgSq()}, 3,
      [&](OpBuilder &nb, Location nloc, ValueRange v) {
        Scalar e{nb, nloc, et};
        Value p = v[0], g = v[1];
        if (wd != 0) {
          if (decoupled)
            p = e.mul(p, decay);
          else
            g = e.add(g, e.mul(e.c(wd), p));
        }
        Value m = e.add(e.mul(e.c(beta1), v[2]), e.mul(e.c(1 - beta1), g));
        Value sq =
            e.add(e.mul(e.c(beta2), v[3]), e.mul(e.c(1 - beta2), e.mul(g, g)));
        Value denom = e.add(e.div(e.sqrt(sq), bc2Sqrt), e.c(eps));
        Value next = e.sub(p, e.mul(stepSize, e.div(m, denom)));
        return SmallVector<Value>{next, m, sq};
      });
}

} // namespace

void nnc::populateNNToLinalgOptimizerPatterns(RewritePatternSet &patterns) {
  patterns.add<ClipGradNormLowering, GradientRmsLowering, SgdUpdateLowering,
               AdamUpdateLowering>(patterns.getContext());
}
