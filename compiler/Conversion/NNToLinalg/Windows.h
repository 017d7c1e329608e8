//===- Windows.h - Window geometry of convolutions and pooling --*- C++ -*-===//
//
// Sliding-window views, im2col, and the scatter that is their adjoint,
// shared by the convolution and pooling lowerings.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_CONVERSION_NNTOLINALG_WINDOWS_H
#define NNC_COMPILER_CONVERSION_NNTOLINALG_WINDOWS_H

#include "compiler/Conversion/NNToLinalg/Utils.h"

namespace nnc::nn_to_linalg {

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//
/// `x` with dimension `dims[i]` spread `strides[i]` apart (zeros between)
/// and padded by `low[i]` / `high[i]` elements of `value` on either side.
Value spreadAndPad(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> dims,
                   ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                   ArrayRef<int64_t> strides, double value);

/// The output size of a window along one dimension.
int64_t windowCount(int64_t size, int64_t kernel, int64_t stride,
                    int64_t padding, int64_t dilation);

/// Window geometry of a conv or pool op, `[rows, columns]` each.
struct Window {
  SmallVector<int64_t, 2> kernel, stride, padding, dilation;
};

/// The elements kernel offset `(i, j)` reads from `padded` (`[a, b, rows,
/// columns]`, already padded): `[a, b, oh, ow]` with rows `i * d0 + oh * s0`
/// and columns `j * d1 + ow * s1`. A strided view, so that ops reading it
/// keep plain indexing maps, which linalg vectorizes; maps with strides or
/// offsets in them it does not.
Value windowView(OpBuilder &b, Location loc, Value padded, const Window &w,
                 int64_t i, int64_t j, int64_t oh, int64_t ow);

/// A parallel generic over `type` whose inputs are read through `maps`
/// (projected permutations); `body` gets one scalar per input.
Value mapOver(OpBuilder &b, Location loc, RankedTensorType type,
              ValueRange inputs, ArrayRef<AffineMap> maps, BodyFn body);

/// Swaps dimensions 0 and 1 in a map of rank 4.
AffineMap swapFirstTwo(MLIRContext *ctx);

/// im2col, transposed: `col[c, i, j, n, oh, ow] = x[n, c, oh * s0 + i * d0
/// - p0, ow * s1 + j * d1 - p1]`, and `padValue` outside `x`. Output columns
/// innermost, so that the copies read rows of `x` and the matrix product
/// `weight [out, c * kh * kw] x col [c * kh * kw, n * oh * ow]` needs no
/// packing. One copy per kernel offset.
Value im2col(OpBuilder &b, Location loc, Value x, const Window &w,
             double padValue);

/// `x` with the rows of dimensions `dims` placed `strides[k]` apart, row
/// `r` at `r * strides[k] + offsets[k]` of a dimension of `sizes[k]`
/// (offsets may be negative: leading rows fall off), `value` elsewhere.
Value spreadInto(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> dims,
                 ArrayRef<int64_t> strides, ArrayRef<int64_t> offsets,
                 ArrayRef<int64_t> sizes, double value);

/// A view of a rearranged source for one kernel offset, and the map the
/// scatter reads it with.
using SourceView = std::pair<Value, AffineMap>;

/// The adjoint of gathering windows: `dx[n, c, h, w]` is the sum of
/// `contribution(sources, fi, fj)` over the kernel offsets, where each
/// source is read at the window `(oh, ow)` that kernel offset `(i, j)` maps
/// onto `(h, w)` (`oh * s0 + i * d0 - p0 = h`, likewise `w`; nothing if
/// none). The offsets come flipped, `fi = kh - 1 - i`: each source is
/// spread `stride` apart along its `windowDims` and shifted by
/// `(kh - 1) d - p`, after which offset `fi` reads rows `h + fi * d`.
/// `view(source, fi, fj)` cuts those rows out of a rearranged source.
/// All reads are plain maps: the generic vectorizes along `w`.
Value scatterWindows(
    OpBuilder &b, Location loc, ValueRange sources, ArrayRef<double> padValues,
    ArrayRef<int64_t> windowDims, RankedTensorType resultType, const Window &w,
    function_ref<SourceView(Value, int64_t, int64_t)> view,
    function_ref<Value(Scalar &, ValueRange, int64_t, int64_t)> contribution);

/// The view of a `[a, b, rows, columns]` source (rows and columns as
/// scatterWindows rearranged them) for flipped offset `(fi, fj)`, the
/// image's `[a, b, h, w]`.
SourceView imageView(OpBuilder &b, Location loc, Value src, const Window &w,
                     int64_t fi, int64_t fj, RankedTensorType resultType);

/// `w` with both kernel dimensions reversed: `[o, c, kh - 1 - i, kw - 1 - j]`
/// at `[o, c, i, j]`. A gather, so that no indexing map needs a constant;
/// weights are small.
Value flipKernel(OpBuilder &b, Location loc, Value w);

/// Columns (`dim` 1) or rows (`dim` 0) `[offset, offset + size)` of a
/// matrix.
Value sliceMatrix(OpBuilder &b, Location loc, Value m, int64_t dim,
                  int64_t offset, int64_t size);

/// Runs one matrix product per group: `product(g, init)` computes the block
/// of `init` that group `g` owns (columns or rows, by `dim`) from that
/// block's initial value.
Value perGroup(OpBuilder &b, Location loc, int64_t groups, Value init,
               int64_t dim, function_ref<Value(int64_t, Value)> product);

/// Swaps the two leading dimensions: `[n, c, h, w]` to `[c, n, h, w]` and
/// back; rows of `h * w` move as a whole.
Value swapLeading(OpBuilder &b, Location loc, Value x);

/// `[n, c, h, w]` as the matrix `[c, n * h * w]`, the layout of im2col
/// columns.
Value channelRows(OpBuilder &b, Location loc, Value x);

template <typename OpTy> Window convWindow(OpTy op, RankedTensorType weight) {
  return Window{{weight.getDimSize(2), weight.getDimSize(3)},
                SmallVector<int64_t, 2>(op.getStride()),
                SmallVector<int64_t, 2>(op.getPadding()),
                SmallVector<int64_t, 2>(op.getDilation())};
}

template <typename OpTy> Window poolWindow(OpTy op) {
  return Window{SmallVector<int64_t, 2>(op.getKernel()),
                SmallVector<int64_t, 2>(op.getStride()),
                SmallVector<int64_t, 2>(op.getPadding()),
                {1, 1}};
}

/// The im2col matrix `[c * kh * kw, n * oh * ow]` of `x`.
Value im2colMatrix(OpBuilder &b, Location loc, Value x, const Window &w);

/// `[out, in / groups, kh, kw]` as `[out, in / groups * kh * kw]`.
Value weightMatrix(OpBuilder &b, Location loc, Value w);

} // namespace nnc::nn_to_linalg

#endif // NNC_COMPILER_CONVERSION_NNTOLINALG_WINDOWS_H
