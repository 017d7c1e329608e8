//===- Windows.cpp - Window geometry of convolutions and pooling ----------===//

#include "compiler/Conversion/NNToLinalg/Windows.h"

namespace nnc::nn_to_linalg {

Value spreadAndPad(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> dims,
                   ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                   ArrayRef<int64_t> strides, double value) {
  RankedTensorType type = tensorType(x);
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(type.getShape());
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes,
      steps(rank, b.getIndexAttr(1));
  for (int64_t d : type.getShape())
    sizes.push_back(b.getIndexAttr(d));
  bool identity = true;
  for (auto [i, d] : llvm::enumerate(dims)) {
    shape[d] = (shape[d] - 1) * strides[i] + 1 + low[i] + high[i];
    offsets[d] = b.getIndexAttr(low[i]);
    steps[d] = b.getIndexAttr(strides[i]);
    identity &= low[i] == 0 && high[i] == 0 && strides[i] == 1;
  }
  if (identity)
    return x;
  Value result = filled(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value);
  return tensor::InsertSliceOp::create(b, loc, x, result, offsets, sizes,
                                       steps);
}

int64_t windowCount(int64_t size, int64_t kernel, int64_t stride,
                    int64_t padding, int64_t dilation) {
  return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

Value windowView(OpBuilder &b, Location loc, Value padded, const Window &w,
                 int64_t i, int64_t j, int64_t oh, int64_t ow) {
  RankedTensorType type = tensorType(padded);
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                       b.getIndexAttr(i * w.dilation[0]),
                                       b.getIndexAttr(j * w.dilation[1])};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(type.getDimSize(0)),
                                     b.getIndexAttr(type.getDimSize(1)),
                                     b.getIndexAttr(oh), b.getIndexAttr(ow)};
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1),
                                       b.getIndexAttr(w.stride[0]),
                                       b.getIndexAttr(w.stride[1])};
  return tensor::ExtractSliceOp::create(
      b, loc,
      RankedTensorType::get({type.getDimSize(0), type.getDimSize(1), oh, ow},
                            type.getElementType()),
      padded, offsets, sizes, strides);
}

Value mapOver(OpBuilder &b, Location loc, RankedTensorType type,
              ValueRange inputs, ArrayRef<AffineMap> maps, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  SmallVector<AffineMap> all(maps);
  all.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, inputs, ValueRange{empty(b, loc, type)},
             all, SmallVector<IteratorType>(rank, IteratorType::parallel),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc,
                                       body(nb, nloc, args.drop_back()));
             })
      .getResult(0);
}

AffineMap swapFirstTwo(MLIRContext *ctx) {
  return AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0, 2, 3}, ctx);
}

Value im2col(OpBuilder &b, Location loc, Value x, const Window &w,
             double padValue) {
  RankedTensorType type = tensorType(x);
  Type et = type.getElementType();
  int64_t n = type.getDimSize(0), c = type.getDimSize(1);
  int64_t oh = windowCount(type.getDimSize(2), w.kernel[0], w.stride[0],
                           w.padding[0], w.dilation[0]);
  int64_t ow = windowCount(type.getDimSize(3), w.kernel[1], w.stride[1],
                           w.padding[1], w.dilation[1]);
  Value padded =
      spreadAndPad(b, loc, x, {2, 3}, w.padding, w.padding, {1, 1}, padValue);
  Value col = empty(
      b, loc,
      RankedTensorType::get({c, w.kernel[0], w.kernel[1], n, oh, ow}, et));
  auto blockType = RankedTensorType::get({c, n, oh, ow}, et);
  for (int64_t i = 0; i < w.kernel[0]; ++i) {
    for (int64_t j = 0; j < w.kernel[1]; ++j) {
      Value block = mapOver(
          b, loc, blockType, windowView(b, loc, padded, w, i, j, oh, ow),
          swapFirstTwo(b.getContext()),
          [](OpBuilder &, Location, ValueRange v) { return v[0]; });
      SmallVector<OpFoldResult> offsets = {
          b.getIndexAttr(0), b.getIndexAttr(i), b.getIndexAttr(j),
          b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {
          b.getIndexAttr(c), b.getIndexAttr(1),  b.getIndexAttr(1),
          b.getIndexAttr(n), b.getIndexAttr(oh), b.getIndexAttr(ow)};
      SmallVector<OpFoldResult> strides(6, b.getIndexAttr(1));
      col = tensor::InsertSliceOp::create(b, loc, block, col, offsets, sizes,
                                          strides);
    }
  }
  return col;
}

Value spreadInto(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> dims,
                 ArrayRef<int64_t> strides, ArrayRef<int64_t> offsets,
                 ArrayRef<int64_t> sizes, double value) {
  RankedTensorType type = tensorType(x);
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(type.getShape()), kept(type.getShape());
  for (auto [k, d] : llvm::enumerate(dims))
    shape[d] = sizes[k];
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> srcOffsets(rank, b.getIndexAttr(0)), srcSizes,
      dstOffsets(rank, b.getIndexAttr(0)), steps(rank, b.getIndexAttr(1)),
      ones(rank, b.getIndexAttr(1));
  for (auto [k, d] : llvm::enumerate(dims)) {
    int64_t s = strides[k], off = offsets[k];
    int64_t first = off < 0 ? (-off + s - 1) / s : 0;
    int64_t last = std::min(type.getDimSize(d), (sizes[k] - 1 - off) / s + 1);
    if (last <= first)
      return filled(b, loc, resultType, value);
    kept[d] = last - first;
    srcOffsets[d] = b.getIndexAttr(first);
    dstOffsets[d] = b.getIndexAttr(first * s + off);
    steps[d] = b.getIndexAttr(s);
  }
  for (int64_t d : kept)
    srcSizes.push_back(b.getIndexAttr(d));
  Value rows = x;
  if (kept != SmallVector<int64_t>(type.getShape()))
    rows = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(kept, type.getElementType()), x,
        srcOffsets, srcSizes, ones);
  return tensor::InsertSliceOp::create(b, loc, rows,
                                       filled(b, loc, resultType, value),
                                       dstOffsets, srcSizes, steps);
}

Value scatterWindows(
    OpBuilder &b, Location loc, ValueRange sources, ArrayRef<double> padValues,
    ArrayRef<int64_t> windowDims, RankedTensorType resultType, const Window &w,
    function_ref<SourceView(Value, int64_t, int64_t)> view,
    function_ref<Value(Scalar &, ValueRange, int64_t, int64_t)> contribution) {
  SmallVector<int64_t> offsets, sizes;
  for (int64_t k = 0; k < 2; ++k) {
    int64_t extent = (w.kernel[k] - 1) * w.dilation[k];
    offsets.push_back(extent - w.padding[k]);
    sizes.push_back(resultType.getDimSize(2 + k) + extent);
  }
  SmallVector<Value> spread;
  for (auto [src, value] : llvm::zip(sources, padValues))
    spread.push_back(
        spreadInto(b, loc, src, windowDims, w.stride, offsets, sizes, value));
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (int64_t fi = 0; fi < w.kernel[0]; ++fi)
    for (int64_t fj = 0; fj < w.kernel[1]; ++fj)
      for (Value src : spread) {
        auto [v, map] = view(src, fi, fj);
        inputs.push_back(v);
        maps.push_back(map);
      }
  size_t perOffset = spread.size();
  return mapOver(b, loc, resultType, inputs, maps,
                 [&](OpBuilder &nb, Location nloc, ValueRange args) {
                   Scalar s{nb, nloc, resultType.getElementType()};
                   Value total;
                   for (int64_t fi = 0, k = 0; fi < w.kernel[0]; ++fi)
                     for (int64_t fj = 0; fj < w.kernel[1]; ++fj, ++k) {
                       Value c = contribution(
                           s, args.slice(k * perOffset, perOffset), fi, fj);
                       total = total ? s.add(total, c) : c;
                     }
                   return total;
                 });
}

SourceView imageView(OpBuilder &b, Location loc, Value src, const Window &w,
                     int64_t fi, int64_t fj, RankedTensorType resultType) {
  Window shifted = w;
  shifted.stride = {1, 1};
  return {windowView(b, loc, src, shifted, fi, fj, resultType.getDimSize(2),
                     resultType.getDimSize(3)),
          AffineMap::getMultiDimIdentityMap(4, b.getContext())};
}

Value flipKernel(OpBuilder &b, Location loc, Value w) {
  RankedTensorType type = tensorType(w);
  MLIRContext *ctx = b.getContext();
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{},
             ValueRange{empty(b, loc, type)},
             SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(4, ctx)},
             SmallVector<IteratorType>(4, IteratorType::parallel),
             [&](OpBuilder &nb, Location nloc, ValueRange) {
               SmallVector<Value> idx;
               for (int64_t d = 0; d < 4; ++d) {
                 Value v = linalg::IndexOp::create(nb, nloc, d);
                 if (d >= 2)
                   v = arith::SubIOp::create(
                       nb, nloc,
                       arith::ConstantIndexOp::create(nb, nloc,
                                                      type.getDimSize(d) - 1),
                       v);
                 idx.push_back(v);
               }
               linalg::YieldOp::create(
                   nb, nloc,
                   ValueRange{tensor::ExtractOp::create(nb, nloc, w, idx)});
             })
      .getResult(0);
}

Value sliceMatrix(OpBuilder &b, Location loc, Value m, int64_t dim,
                  int64_t offset, int64_t size) {
  RankedTensorType type = tensorType(m);
  if (offset == 0 && size == type.getDimSize(dim))
    return m;
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0)),
      sizes = {b.getIndexAttr(type.getDimSize(0)),
               b.getIndexAttr(type.getDimSize(1))},
      strides(2, b.getIndexAttr(1));
  offsets[dim] = b.getIndexAttr(offset);
  sizes[dim] = b.getIndexAttr(size);
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = size;
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), m, offsets,
      sizes, strides);
}

Value perGroup(OpBuilder &b, Location loc, int64_t groups, Value init,
               int64_t dim, function_ref<Value(int64_t, Value)> product) {
  if (groups == 1)
    return product(0, init);
  RankedTensorType type = tensorType(init);
  int64_t size = type.getDimSize(dim) / groups;
  Value result = init;
  for (int64_t g = 0; g < groups; ++g) {
    Value block = product(g, sliceMatrix(b, loc, init, dim, g * size, size));
    SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0)),
        sizes = {b.getIndexAttr(tensorType(block).getDimSize(0)),
                 b.getIndexAttr(tensorType(block).getDimSize(1))},
        strides(2, b.getIndexAttr(1));
    offsets[dim] = b.getIndexAttr(g * size);
    result = tensor::InsertSliceOp::create(b, loc, block, result, offsets,
                                           sizes, strides);
  }
  return result;
}

Value swapLeading(OpBuilder &b, Location loc, Value x) {
  return transpose(b, loc, x, {1, 0, 2, 3});
}

Value channelRows(OpBuilder &b, Location loc, Value x) {
  RankedTensorType type = tensorType(x);
  return reshape(
      b, loc, swapLeading(b, loc, x),
      RankedTensorType::get(
          {type.getDimSize(1), type.getNumElements() / type.getDimSize(1)},
          type.getElementType()));
}

Value im2colMatrix(OpBuilder &b, Location loc, Value x, const Window &w) {
  Value col = im2col(b, loc, x, w, 0.0);
  RankedTensorType type = tensorType(col);
  int64_t rows = type.getDimSize(0) * type.getDimSize(1) * type.getDimSize(2);
  int64_t cols = type.getDimSize(3) * type.getDimSize(4) * type.getDimSize(5);
  return reshape(b, loc, col,
                 RankedTensorType::get({rows, cols}, type.getElementType()));
}

Value weightMatrix(OpBuilder &b, Location loc, Value w) {
  RankedTensorType type = tensorType(w);
  return reshape(
      b, loc, w,
      RankedTensorType::get(
          {type.getDimSize(0), type.getNumElements() / type.getDimSize(0)},
          type.getElementType()));
}

} // namespace nnc::nn_to_linalg
