//===- Pooling.cpp - Pooling and its gradients ----------------------------===//
//
// Max and average pooling, forwards and backwards.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/NNToLinalg/Windows.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

/// `PoolOp` (`linalg.pooling_nchw_max` or `_sum`) over the windows of `x`,
/// padded with `padValue`, into a fill of `init`. The padding is the
/// model's; how the windows are read is the target's choice.
template <typename PoolOp>
Value pool(OpBuilder &b, Location loc, Value x, const Window &w,
           RankedTensorType resultType, double padValue, double init) {
  Value padded =
      spreadAndPad(b, loc, x, {2, 3}, w.padding, w.padding, {1, 1}, padValue);
  // The window operand only carries the kernel's shape.
  Value window = empty(b, loc,
                       RankedTensorType::get({w.kernel[0], w.kernel[1]},
                                             resultType.getElementType()));
  return PoolOp::create(
             b, loc, TypeRange{resultType}, ValueRange{padded, window},
             ValueRange{filled(b, loc, resultType, init)},
             b.getI64VectorAttr(w.stride), b.getI64VectorAttr(w.dilation))
      ->getResult(0);
}

NNC_LOWERING(MaxPool2dLowering, nn::MaxPool2dOp) {
  auto type = cast<RankedTensorType>(op.getType());
  return SmallVector<Value>{pool<linalg::PoolingNchwMaxOp>(
      b, loc, a.getInput(), poolWindow(op), type, -INFINITY, -INFINITY)};
}

NNC_LOWERING(AvgPool2dLowering, nn::AvgPool2dOp) {
  auto type = cast<RankedTensorType>(op.getType());
  Window w = poolWindow(op);
  double count = w.kernel[0] * w.kernel[1];
  Value sum =
      pool<linalg::PoolingNchwSumOp>(b, loc, a.getInput(), w, type, 0.0, 0.0);
  return SmallVector<Value>{elementwise(
      b, loc, type, sum, [&](OpBuilder &nb, Location nloc, ValueRange v) {
        Scalar s{nb, nloc, type.getElementType()};
        return s.div(v[0], s.c(count));
      })};
}

NNC_LOWERING(AvgPool2dGradLowering, nn::AvgPool2dGradOp) {
  auto type = cast<RankedTensorType>(op.getType());
  Window w = poolWindow(op);
  double count = w.kernel[0] * w.kernel[1];
  return SmallVector<Value>{scatterWindows(
      b, loc, a.getResultGrad(), {0.0}, {2, 3}, type, w,
      [&](Value src, int64_t fi, int64_t fj) {
        return imageView(b, loc, src, w, fi, fj, type);
      },
      [&](Scalar &s, ValueRange v, int64_t, int64_t) {
        return s.div(v[0], s.c(count));
      })};
}

NNC_LOWERING(MaxPool2dGradLowering, nn::MaxPool2dGradOp) {
  // First the offset of each window's first maximum, as PyTorch picks it;
  // then each input element collects the cotangents of the windows whose
  // maximum it is.
  auto type = cast<RankedTensorType>(op.getType());
  RankedTensorType dyType = tensorType(a.getResultGrad());
  Type et = type.getElementType();
  Window w = poolWindow(op);
  Value padded = spreadAndPad(b, loc, a.getInput(), {2, 3}, w.padding,
                              w.padding, {1, 1}, -INFINITY);
  SmallVector<Value> views;
  for (int64_t i = 0; i < w.kernel[0]; ++i)
    for (int64_t j = 0; j < w.kernel[1]; ++j)
      views.push_back(windowView(b, loc, padded, w, i, j, dyType.getDimSize(2),
                                 dyType.getDimSize(3)));
  SmallVector<AffineMap> maps(
      views.size(), AffineMap::getMultiDimIdentityMap(4, b.getContext()));
  auto indexType = RankedTensorType::get(dyType.getShape(), b.getI32Type());
  auto i32 = [](OpBuilder &nb, Location nloc, int64_t v) -> Value {
    return arith::ConstantOp::create(nb, nloc, nb.getI32IntegerAttr(v));
  };
  // Windows that tile the input (stride = kernel, no padding): every input
  // element is in at most one window, so dx is one pass over the covered
  // rows and columns, seen as [n, c, oh, kh, ow, kw] and iterated with ow
  // innermost (the loop that vectorizes): element (i, j) of a window gets
  // the window's cotangent if it is the window's first maximum.
  if (w.stride == w.kernel && w.padding[0] == 0 && w.padding[1] == 0) {
    MLIRContext *ctx = b.getContext();
    int64_t n = type.getDimSize(0), c = type.getDimSize(1);
    int64_t oh = dyType.getDimSize(2), ow = dyType.getDimSize(3);
    int64_t kh = w.kernel[0], kw = w.kernel[1];
    bool covered =
        oh * kh == type.getDimSize(2) && ow * kw == type.getDimSize(3);
    // Rows and columns past the last window get no gradient.
    Value dx = covered ? Value() : filled(b, loc, type, 0.0);
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    // Iteration (n, c, oh, i, j, ow).
    AffineMap window = AffineMap::get(6, 0, {d(0), d(1), d(2), d(5)}, ctx);
    SmallVector<Value> inputs(views);
    inputs.push_back(a.getResultGrad());
    SmallVector<AffineMap> tiledMaps(inputs.size(), window);
    tiledMaps.push_back(
        AffineMap::get(6, 0, {d(0), d(1), d(2), d(3), d(5), d(4)}, ctx));
    auto windowsType = RankedTensorType::get({n, c, oh, kh, ow, kw}, et);
    Value windows =
        linalg::GenericOp::create(
            b, loc, TypeRange{windowsType}, inputs,
            ValueRange{empty(b, loc, windowsType)}, tiledMaps,
            {IteratorType::parallel, IteratorType::parallel,
             IteratorType::parallel, IteratorType::parallel,
             IteratorType::parallel, IteratorType::parallel},
            [&](OpBuilder &nb, Location nloc, ValueRange v) {
              Scalar s{nb, nloc, et};
              Value best = v[0], index = i32(nb, nloc, 0);
              for (int64_t k = 1, e = views.size(); k < e; ++k) {
                // Strictly greater: ties keep the first maximum.
                Value take = s.gt(v[k], best);
                best = s.select(take, v[k], best);
                index = s.select(take, i32(nb, nloc, k), index);
              }
              Value offset = arith::AddIOp::create(
                  nb, nloc,
                  arith::MulIOp::create(
                      nb, nloc, linalg::IndexOp::create(nb, nloc, 3),
                      arith::ConstantIndexOp::create(nb, nloc, kw)),
                  linalg::IndexOp::create(nb, nloc, 4));
              offset =
                  arith::IndexCastOp::create(nb, nloc, nb.getI32Type(), offset);
              Value hit = arith::CmpIOp::create(
                  nb, nloc, arith::CmpIPredicate::eq, index, offset);
              linalg::YieldOp::create(
                  nb, nloc, ValueRange{s.select(hit, v[views.size()], s.c(0))});
            })
            .getResult(0);
    Value coveredDx = reshape(
        b, loc, windows, RankedTensorType::get({n, c, oh * kh, ow * kw}, et));
    if (covered)
      return SmallVector<Value>{coveredDx};
    SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)),
        strides(4, b.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(n), b.getIndexAttr(c),
                                       b.getIndexAttr(oh * kh),
                                       b.getIndexAttr(ow * kw)};
    return SmallVector<Value>{tensor::InsertSliceOp::create(
        b, loc, coveredDx, dx, offsets, sizes, strides)};
  }
  Value argmax = mapOver(b, loc, indexType, views, maps,
                         [&](OpBuilder &nb, Location nloc, ValueRange v) {
                           Scalar s{nb, nloc, et};
                           Value best = v[0], index = i32(nb, nloc, 0);
                           for (auto [k, x] : llvm::enumerate(v.drop_front())) {
                             // Strictly greater: ties keep the first maximum.
                             Value take = s.gt(x, best);
                             best = s.select(take, x, best);
                             index =
                                 s.select(take, i32(nb, nloc, k + 1), index);
                           }
                           return index;
                         });
  int64_t kw = w.kernel[1];
  return SmallVector<Value>{scatterWindows(
      b, loc, ValueRange{a.getResultGrad(), argmax}, {0.0, -1.0}, {2, 3}, type,
      w,
      [&](Value src, int64_t fi, int64_t fj) {
        return imageView(b, loc, src, w, fi, fj, type);
      },
      [&](Scalar &s, ValueRange v, int64_t fi, int64_t fj) {
        // Flipped offsets: (fi, fj) is kernel offset (kh - 1 - fi, ...).
        int64_t offset = (w.kernel[0] - 1 - fi) * kw + (kw - 1 - fj);
        Value hit = arith::CmpIOp::create(s.b, s.loc, arith::CmpIPredicate::eq,
                                          v[1], i32(s.b, s.loc, offset));
        return s.select(hit, v[0], s.c(0));
      })};
}

} // namespace

void nnc::populateNNToLinalgPoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPool2dLowering, AvgPool2dLowering, AvgPool2dGradLowering,
               MaxPool2dGradLowering>(patterns.getContext());
}
