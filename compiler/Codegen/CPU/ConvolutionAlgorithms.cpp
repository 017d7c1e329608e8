//===- ConvolutionAlgorithms.cpp - CPU algorithms for convolutions --------===//
//
// The algorithms nnc-cpu-strategy chooses between for a convolution, its
// input gradient and its weight gradient: direct window contractions on a
// flat, channels-innermost layout (stride 1), the same on the
// space-to-depth input (strided), and im2col with one matrix product per
// group (everything else). Each builds linalg on tensors that
// nnc-cpu-tile-and-vectorize register-tiles.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/ConvolutionAlgorithms.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;
using nnc::cpu::ConvAlgorithm;
using nnc::cpu::VectorShape;
using nnc::cpu::windowOverValidPositions;

namespace {

//===----------------------------------------------------------------------===//
// Direct convolution: window contractions on a flat layout
//===----------------------------------------------------------------------===//

/// A stride-1 convolution reads kernel offset `(i, j)` of output position
/// `(y, x)` at input `(y + i * d0 - p0, x + j * d1 - p1)`. Stored flat, with
/// each image row followed by `g1` zero columns and each image by `g0` zero
/// rows, that is the output's flat position plus a constant: reads that
/// leave the image by at most `g` land on the zeros after this row or
/// image, or after the previous one. So the convolution is one contraction
/// over `(i, j, c)` whose input is read at a shifted row, with no im2col
/// copy; the CPU backend tiles it like a matrix product. The gap `g` is the
/// padding, or more where the last output's window reaches further past
/// the image's end (a padding that is larger on the right, as for the
/// space-to-depth form of a strided convolution).
///
/// The grid: rows of `ws = w + g1`, images of `hs = h + g0` rows. The flat
/// input is position-major, `[blocks * hs * ws, c]` (channels innermost, so
/// that a register tile's reads stay within a few cache lines), with image
/// `n` in block `n + 1` (block 0 and the trailing blocks are zeros, so every
/// shifted read stays inside), and output position `q = n * hs * ws + y *
/// ws + x` for `q < positions`, a multiple of 192 (register tiles of 4, 6
/// or 16 positions, times up to four threads). A contraction over the whole
/// grid computes the positions outside the output (the gap columns and
/// rows, the rounding tail) and drops them; one over the valid positions
/// `(n, y, x)` computes none of them.
struct FlatGrid {
  int64_t batch, rows, cols, hs, ws, positions, blocks;
  /// Flat input column of output position 0 at kernel offset (0, 0).
  int64_t base;

  FlatGrid(int64_t batch, int64_t h, int64_t w, int64_t oh, int64_t ow,
           ArrayRef<int64_t> kernel, ArrayRef<int64_t> padding,
           ArrayRef<int64_t> dilation)
      : batch(batch), rows(h), cols(w) {
    // The gap holds the reads before an image row or column (the padding)
    // and those after it (where the last output's window ends).
    int64_t size[2] = {h, w}, out[2] = {oh, ow}, gap[2];
    for (int64_t d = 0; d < 2; ++d)
      gap[d] = std::max(padding[d], out[d] - 1 + (kernel[d] - 1) * dilation[d] -
                                        padding[d] - (size[d] - 1));
    hs = h + gap[0];
    ws = w + gap[1];
    positions = llvm::alignTo(batch * block(), 192);
    base = block() - padding[0] * ws - padding[1];
    int64_t lastShift = base + (kernel[0] - 1) * dilation[0] * ws +
                        (kernel[1] - 1) * dilation[1];
    blocks = std::max<int64_t>(
        batch + 1, llvm::divideCeil(positions + lastShift, block()));
  }
  int64_t block() const { return hs * ws; }
};

/// Whether a convolution with this geometry has a direct lowering: stride
/// 1, no groups, and padding within the kernel's reach (a larger padding
/// would need more zeros than the gaps hold).
bool hasDirectLowering(const Window &w, int64_t groups) {
  for (int64_t k = 0; k < 2; ++k)
    if (w.stride[k] != 1 || w.padding[k] > (w.kernel[k] - 1) * w.dilation[k])
      return false;
  return groups == 1;
}

/// `[n, c, h, w]` as `[n, h, w, c]`.
Value channelsLast(OpBuilder &b, Location loc, Value x) {
  return transpose(b, loc, x, {0, 2, 3, 1});
}

/// `x` (`[n, c, h, w]`) in the flat layout of `grid`: `[blocks * hs * ws,
/// c]`, zeros around the images.
Value flatImages(OpBuilder &b, Location loc, Value x, const FlatGrid &grid) {
  RankedTensorType type = tensorType(x);
  Type et = type.getElementType();
  int64_t c = type.getDimSize(1), n = grid.batch;
  // The images first, then zeros in the gaps only: a zero buffer built
  // before the images would be one value for every flat layout of that
  // shape after CSE, and bufferization would copy it for each.
  auto insert = [&](Value source, Value into, ArrayRef<int64_t> offsets) {
    SmallVector<OpFoldResult> offsetAttrs, sizeAttrs,
        strides(4, b.getIndexAttr(1));
    for (int64_t o : offsets)
      offsetAttrs.push_back(b.getIndexAttr(o));
    for (int64_t s : tensorType(source).getShape())
      sizeAttrs.push_back(b.getIndexAttr(s));
    return tensor::InsertSliceOp::create(b, loc, source, into, offsetAttrs,
                                         sizeAttrs, strides)
        .getResult();
  };
  auto zeros = [&](Value into, ArrayRef<int64_t> offsets,
                   ArrayRef<int64_t> sizes) -> Value {
    if (llvm::is_contained(sizes, 0))
      return into;
    return insert(filled(b, loc, RankedTensorType::get(sizes, et), 0.0), into,
                  offsets);
  };
  Value blocks = empty(
      b, loc, RankedTensorType::get({grid.blocks, grid.hs, grid.ws, c}, et));
  blocks = insert(channelsLast(b, loc, x), blocks, {1, 0, 0, 0});
  blocks = zeros(blocks, {0, 0, 0, 0}, {1, grid.hs, grid.ws, c});
  blocks = zeros(blocks, {n + 1, 0, 0, 0},
                 {grid.blocks - n - 1, grid.hs, grid.ws, c});
  blocks =
      zeros(blocks, {1, grid.rows, 0, 0}, {n, grid.hs - grid.rows, grid.ws, c});
  blocks = zeros(blocks, {1, 0, grid.cols, 0},
                 {n, grid.rows, grid.ws - grid.cols, c});
  return reshape(b, loc, blocks,
                 RankedTensorType::get({grid.blocks * grid.block(), c}, et));
}

/// The window contraction that the CPU backend register-tiles (see
/// nnc-cpu-tile-and-vectorize): `out[p..., o] = init[p..., o] + sum over
/// (i, j, c) of wT[i, j, c, o] * flat[row(p) + base + i * d0 * ws + j * d1,
/// c]`, loops `(p..., o, i, j, c)`. Over the whole grid, one position loop
/// `q` (`row = q`, `out` is `[positions, out]`); over the valid output
/// positions only, `(n, y, x)` (`row = n * hs * ws + y * ws + x`, `out` is
/// `[n, oh, ow, out]`).
Value windowContraction(OpBuilder &b, Location loc, Value wT, Value flat,
                        Value init, const FlatGrid &grid,
                        ArrayRef<int64_t> dilation, bool validPositions) {
  MLIRContext *ctx = b.getContext();
  unsigned numPositions = validPositions ? 3 : 1, loops = numPositions + 4;
  SmallVector<AffineExpr> out;
  for (unsigned p = 0; p <= numPositions; ++p)
    out.push_back(getAffineDimExpr(p, ctx));
  AffineExpr i = getAffineDimExpr(numPositions + 1, ctx),
             j = getAffineDimExpr(numPositions + 2, ctx),
             c = getAffineDimExpr(numPositions + 3, ctx);
  AffineExpr row = validPositions
                       ? out[0] * grid.block() + out[1] * grid.ws + out[2]
                       : out[0];
  row = row + i * (dilation[0] * grid.ws) + j * dilation[1] + grid.base;
  SmallVector<AffineMap> maps = {
      AffineMap::get(loops, 0, {i, j, c, out.back()}, ctx),
      AffineMap::get(loops, 0, {row, c}, ctx),
      AffineMap::get(loops, 0, out, ctx)};
  SmallVector<IteratorType> iters(numPositions + 1, IteratorType::parallel);
  iters.append(3, IteratorType::reduction);
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()},
                                   ValueRange{wT, flat}, ValueRange{init}, maps,
                                   iters, yieldMulAdd)
      .getResult(0);
}

/// A stride-1, ungrouped convolution of `x` (`[n, c, h, w]`) with `wT`
/// (`[kh, kw, c, out]`) plus `bias` (or none), as one window contraction;
/// the result is `resultType` (`[n, out, oh, ow]`). Over the valid output
/// positions where the target's register tiles fill within a row
/// (windowOverValidPositions), else over the whole flat grid, cut to the
/// valid positions afterwards.
Value directConv(OpBuilder &b, Location loc, Value x, Value wT, Value bias,
                 const Window &w, RankedTensorType resultType,
                 const VectorShape &vector) {
  RankedTensorType xType = tensorType(x);
  Type et = xType.getElementType();
  int64_t out = resultType.getDimSize(1);
  int64_t oh = resultType.getDimSize(2), ow = resultType.getDimSize(3);
  FlatGrid grid(xType.getDimSize(0), xType.getDimSize(2), xType.getDimSize(3),
                oh, ow, w.kernel, w.padding, w.dilation);
  Value flat = flatImages(b, loc, x, grid);
  auto initOf = [&](RankedTensorType type) -> Value {
    if (!bias)
      return filled(b, loc, type, 0.0);
    SmallVector<int64_t> dims;
    for (int64_t d = 0; d + 1 < type.getRank(); ++d)
      dims.push_back(d);
    return linalg::BroadcastOp::create(b, loc, bias, empty(b, loc, type), dims)
        .getResult()[0];
  };
  if (windowOverValidPositions(out, ow, vector)) {
    auto outType = RankedTensorType::get({grid.batch, oh, ow, out}, et);
    Value product = windowContraction(b, loc, wT, flat, initOf(outType), grid,
                                      w.dilation, /*validPositions=*/true);
    return transpose(b, loc, product, {0, 3, 1, 2});
  }
  auto outType = RankedTensorType::get({grid.positions, out}, et);
  Value product = windowContraction(b, loc, wT, flat, initOf(outType), grid,
                                    w.dilation, /*validPositions=*/false);
  // The valid positions, [n, oh, ow, out] of the [n, hs, ws, out] grid, read
  // in place and transposed to [n, out, oh, ow].
  int64_t used = grid.batch * grid.block();
  Value grid4 =
      reshape(b, loc, sliceMatrix(b, loc, product, 0, 0, used),
              RankedTensorType::get({grid.batch, grid.hs, grid.ws, out}, et));
  SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)),
      strides(4, b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(grid.batch),
                                     b.getIndexAttr(oh), b.getIndexAttr(ow),
                                     b.getIndexAttr(out)};
  Value valid = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({grid.batch, oh, ow, out}, et), grid4,
      offsets, sizes, strides);
  return transpose(b, loc, valid, {0, 3, 1, 2});
}

/// The window of the transposed convolution that propagates a stride-1
/// convolution's output gradient back: padded by what the forward padding
/// left of the kernel's reach.
Window transposedWindow(const Window &w) {
  Window transposed = w;
  for (int64_t k = 0; k < 2; ++k)
    transposed.padding[k] = (w.kernel[k] - 1) * w.dilation[k] - w.padding[k];
  return transposed;
}

/// `dW[o, c, i, j] = sum over (n, y, x) of dy[n, o, y, x] * x[n, c, y + i *
/// d0 - p0, x + j * d1 - p1]` for a stride-1, ungrouped convolution: the
/// window contraction `dWT[i, j, c, o] += flat[n * hs * ws + y * ws + x +
/// shift(i, j), c] * dy[n, y, x, o]` over the flat input of the forward
/// convolution and the output gradient channels-last, loops `(i, j, c, o,
/// n, y, x)`: the valid output positions only. Then `[kh, kw, c, out]` to
/// `[out, c, kh, kw]`.
Value directConvGradWeight(OpBuilder &b, Location loc, Value x, Value dy,
                           const Window &w, RankedTensorType resultType) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType xType = tensorType(x), dyType = tensorType(dy);
  Type et = xType.getElementType();
  int64_t c = xType.getDimSize(1), out = resultType.getDimSize(0);
  FlatGrid grid(xType.getDimSize(0), xType.getDimSize(2), xType.getDimSize(3),
                dyType.getDimSize(2), dyType.getDimSize(3), w.kernel, w.padding,
                w.dilation);
  Value flat = flatImages(b, loc, x, grid);
  Value dyLast = channelsLast(b, loc, dy);
  // Loops (i, j, c, o, n, y, x).
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx),
             ch = getAffineDimExpr(2, ctx), o = getAffineDimExpr(3, ctx),
             n = getAffineDimExpr(4, ctx), y = getAffineDimExpr(5, ctx),
             xs = getAffineDimExpr(6, ctx);
  AffineExpr row = n * grid.block() + y * grid.ws + xs +
                   i * (w.dilation[0] * grid.ws) + j * w.dilation[1] +
                   grid.base;
  SmallVector<AffineMap> maps = {AffineMap::get(7, 0, {row, ch}, ctx),
                                 AffineMap::get(7, 0, {n, y, xs, o}, ctx),
                                 AffineMap::get(7, 0, {i, j, ch, o}, ctx)};
  SmallVector<IteratorType> iters(4, IteratorType::parallel);
  iters.append(3, IteratorType::reduction);
  auto dWTType = RankedTensorType::get({w.kernel[0], w.kernel[1], c, out}, et);
  Value dWT =
      linalg::GenericOp::create(
          b, loc, TypeRange{dWTType}, ValueRange{flat, dyLast},
          ValueRange{filled(b, loc, dWTType, 0.0)}, maps, iters, yieldMulAdd)
          .getResult(0);
  return transpose(b, loc, dWT, {3, 2, 0, 1});
}

/// `w` (`[out, c, kh, kw]`) as the window contraction's `[kh, kw, c, out]`.
Value windowWeight(OpBuilder &b, Location loc, Value w) {
  return transpose(b, loc, w, {2, 3, 1, 0});
}

/// The input gradient of a direct convolution: the transposed convolution,
/// dy convolved with the flipped kernel, input and output channels
/// exchanged (`[kh, kw, out, c]`), padded by what the forward padding left
/// of the kernel's reach.
Value directConvGradInput(OpBuilder &b, Location loc, Value dy, Value w,
                          const Window &window, RankedTensorType resultType,
                          const VectorShape &vector) {
  Value wT = transpose(b, loc, flipKernel(b, loc, w), {2, 3, 0, 1});
  return directConv(b, loc, dy, wT, Value(), transposedWindow(window),
                    resultType, vector);
}

/// A strided convolution rewritten as a stride-1 one on the space-to-depth
/// input: with stride `s`, input row `s * u + r` becomes row `u` of channel
/// `(c, r)` (and likewise for columns), so kernel row `i` reads phase `r`
/// at row `a + m` of output row `a`, where `i - p = s * m + r`. Over the
/// kernel, `m` runs from `floor(-p / s)` to `floor((k - 1 - p) / s)`: a
/// `k'`-row kernel whose rows `i` are padded by zeros where no kernel row
/// falls (`s * k'` rows in all, the first at `i = p + s * floor(-p / s)`).
/// The stride-1 convolution then has padding `-floor(-p / s)`, and the
/// space-to-depth image has `oh + floor((k - 1 - p) / s)` rows, so that
/// every row it reads is inside it.
struct SpaceToDepth {
  int64_t stride[2], kernel[2], padding[2], rows[2], first[2];

  SpaceToDepth(const Window &w, int64_t oh, int64_t ow) {
    int64_t outSize[2] = {oh, ow};
    for (int64_t d = 0; d < 2; ++d) {
      int64_t s = w.stride[d], p = w.padding[d], k = w.kernel[d];
      int64_t low = llvm::divideFloorSigned(-p, s),
              high = llvm::divideFloorSigned(k - 1 - p, s);
      stride[d] = s;
      kernel[d] = high - low + 1;
      padding[d] = -low;
      rows[d] = outSize[d] + high;
      first[d] = p + s * low;
    }
  }
  /// The stride-1 window on the space-to-depth input.
  Window window() const {
    return Window{
        {kernel[0], kernel[1]}, {1, 1}, {padding[0], padding[1]}, {1, 1}};
  }
  /// The channels of the space-to-depth input, for `c` channels.
  int64_t channels(int64_t c) const { return c * stride[0] * stride[1]; }
};

/// Whether a convolution goes to a direct convolution on its space-to-depth
/// input: strided, ungrouped, undilated, padding within the kernel's reach,
/// and at most twice the work of the strided convolution (a 3x3 kernel at
/// stride 2 becomes 2x2 on four phases, 16/9 of the work; a 1x1 kernel at
/// stride 2 would do four times the work, three quarters of it on zeros).
bool hasSpaceToDepthLowering(const Window &w, int64_t groups) {
  if (groups != 1 || (w.stride[0] == 1 && w.stride[1] == 1))
    return false;
  int64_t work = 1, useful = 1;
  for (int64_t d = 0; d < 2; ++d) {
    if (w.dilation[d] != 1 || w.padding[d] > w.kernel[d] - 1)
      return false;
    int64_t s = w.stride[d], p = w.padding[d], k = w.kernel[d];
    int64_t taps = llvm::divideFloorSigned(k - 1 - p, s) -
                   llvm::divideFloorSigned(-p, s) + 1;
    work *= taps * s;
    useful *= k;
  }
  return work <= 2 * useful;
}

/// `x` (`[n, c, h, w]`) cropped or padded with zeros (at the bottom and
/// right) to `rows` x `cols`.
Value fitImage(OpBuilder &b, Location loc, Value x, int64_t rows,
               int64_t cols) {
  RankedTensorType type = tensorType(x);
  int64_t h = type.getDimSize(2), w = type.getDimSize(3);
  if (h == rows && w == cols)
    return x;
  Type et = type.getElementType();
  SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)),
      ones(4, b.getIndexAttr(1));
  SmallVector<OpFoldResult> kept = {
      b.getIndexAttr(type.getDimSize(0)), b.getIndexAttr(type.getDimSize(1)),
      b.getIndexAttr(std::min(h, rows)), b.getIndexAttr(std::min(w, cols))};
  Value crop = tensor::ExtractSliceOp::create(
      b, loc,
      RankedTensorType::get({type.getDimSize(0), type.getDimSize(1),
                             std::min(h, rows), std::min(w, cols)},
                            et),
      x, zeros, kept, ones);
  if (h >= rows && w >= cols)
    return crop;
  Value padded =
      filled(b, loc,
             RankedTensorType::get(
                 {type.getDimSize(0), type.getDimSize(1), rows, cols}, et),
             0.0);
  return tensor::InsertSliceOp::create(b, loc, crop, padded, zeros, kept, ones)
      .getResult();
}

/// `[a, b, s0 * r, s1 * q]` as `[a, b * s0 * s1, r, q]`: row `s0 * u + i`
/// and column `s1 * v + j` of channel `b` go to channel `(b, i, j)`, row `u`
/// and column `v`.
Value spaceToDepth(OpBuilder &b, Location loc, Value x, int64_t s0,
                   int64_t s1) {
  RankedTensorType type = tensorType(x);
  Type et = type.getElementType();
  int64_t n = type.getDimSize(0), c = type.getDimSize(1),
          r = type.getDimSize(2) / s0, q = type.getDimSize(3) / s1;
  Value split =
      reshape(b, loc, x, RankedTensorType::get({n, c, r, s0, q, s1}, et));
  Value phases = transpose(b, loc, split, {0, 1, 3, 5, 2, 4});
  return reshape(b, loc, phases,
                 RankedTensorType::get({n, c * s0 * s1, r, q}, et));
}

/// The inverse of `spaceToDepth`.
Value depthToSpace(OpBuilder &b, Location loc, Value x, int64_t s0,
                   int64_t s1) {
  RankedTensorType type = tensorType(x);
  Type et = type.getElementType();
  int64_t n = type.getDimSize(0), c = type.getDimSize(1) / (s0 * s1),
          r = type.getDimSize(2), q = type.getDimSize(3);
  Value phases =
      reshape(b, loc, x, RankedTensorType::get({n, c, s0, s1, r, q}, et));
  Value split = transpose(b, loc, phases, {0, 1, 4, 2, 5, 3});
  return reshape(b, loc, split,
                 RankedTensorType::get({n, c, r * s0, q * s1}, et));
}

/// The weight `[out, c, kh, kw]` of a strided convolution as the weight of
/// its space-to-depth form, `[out, c * s0 * s1, kh', kw']` (zeros where no
/// kernel row or column falls).
Value spaceToDepthWeight(OpBuilder &b, Location loc, Value w,
                         const SpaceToDepth &sd) {
  RankedTensorType type = tensorType(w);
  int64_t kh = type.getDimSize(2), kw = type.getDimSize(3);
  int64_t rows = sd.stride[0] * sd.kernel[0],
          cols = sd.stride[1] * sd.kernel[1];
  // Kernel row i goes to padded row i - first.
  Value padded = spreadAndPad(
      b, loc, w, {2, 3}, {-sd.first[0], -sd.first[1]},
      {rows - kh + sd.first[0], cols - kw + sd.first[1]}, {1, 1}, 0.0);
  return spaceToDepth(b, loc, padded, sd.stride[0], sd.stride[1]);
}

/// The inverse of `spaceToDepthWeight` (the rows and columns of zeros
/// dropped).
Value depthToSpaceWeight(OpBuilder &b, Location loc, Value w,
                         const SpaceToDepth &sd, RankedTensorType resultType) {
  Value padded = depthToSpace(b, loc, w, sd.stride[0], sd.stride[1]);
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                       b.getIndexAttr(-sd.first[0]),
                                       b.getIndexAttr(-sd.first[1])},
                            sizes, strides(4, b.getIndexAttr(1));
  for (int64_t d : resultType.getShape())
    sizes.push_back(b.getIndexAttr(d));
  return tensor::ExtractSliceOp::create(b, loc, resultType, padded, offsets,
                                        sizes, strides);
}

/// `x` as the space-to-depth input of `sd`.
Value spaceToDepthInput(OpBuilder &b, Location loc, Value x,
                        const SpaceToDepth &sd) {
  return spaceToDepth(
      b, loc,
      fitImage(b, loc, x, sd.stride[0] * sd.rows[0], sd.stride[1] * sd.rows[1]),
      sd.stride[0], sd.stride[1]);
}

/// The type of the space-to-depth input of `sd` for `x`'s type.
RankedTensorType spaceToDepthType(RankedTensorType x, const SpaceToDepth &sd) {
  return RankedTensorType::get(
      {x.getDimSize(0), sd.channels(x.getDimSize(1)), sd.rows[0], sd.rows[1]},
      x.getElementType());
}

} // namespace

const char *nnc::cpu::stringifyConvAlgorithm(ConvAlgorithm algorithm) {
  switch (algorithm) {
  case ConvAlgorithm::Direct:
    return "direct";
  case ConvAlgorithm::SpaceToDepth:
    return "space-to-depth";
  case ConvAlgorithm::Im2col:
    return "im2col";
  }
  llvm_unreachable("unknown convolution algorithm");
}

std::optional<ConvAlgorithm>
nnc::cpu::symbolizeConvAlgorithm(llvm::StringRef name) {
  for (ConvAlgorithm a : {ConvAlgorithm::Direct, ConvAlgorithm::SpaceToDepth,
                          ConvAlgorithm::Im2col})
    if (name == stringifyConvAlgorithm(a))
      return a;
  return std::nullopt;
}

ConvAlgorithm nnc::cpu::chooseConvAlgorithm(ConvForm form, const Window &w,
                                            int64_t groups,
                                            int64_t inputChannels) {
  // Direct when the input has channels enough for a register tile; a first
  // layer's few channels make im2col (with the im2col matrix packed) faster
  // for the weight gradient.
  if (hasDirectLowering(w, groups) &&
      (form != ConvForm::GradWeight || inputChannels >= 4))
    return ConvAlgorithm::Direct;
  if (hasSpaceToDepthLowering(w, groups))
    return ConvAlgorithm::SpaceToDepth;
  return ConvAlgorithm::Im2col;
}

bool nnc::cpu::supportsConvAlgorithm(ConvAlgorithm algorithm, const Window &w,
                                     int64_t groups) {
  switch (algorithm) {
  case ConvAlgorithm::Direct:
    return hasDirectLowering(w, groups);
  case ConvAlgorithm::SpaceToDepth:
    return hasSpaceToDepthLowering(w, groups);
  case ConvAlgorithm::Im2col:
    return true;
  }
  llvm_unreachable("unknown convolution algorithm");
}

Value nnc::cpu::buildConv2d(OpBuilder &b, Location loc, ConvAlgorithm algorithm,
                            Value x, Value weight, Value bias, const Window &w,
                            int64_t groups, RankedTensorType type,
                            const VectorShape &vector) {
  RankedTensorType wType = tensorType(weight);
  if (algorithm == ConvAlgorithm::Direct)
    return directConv(b, loc, x, windowWeight(b, loc, weight), bias, w, type,
                      vector);
  if (algorithm == ConvAlgorithm::SpaceToDepth) {
    SpaceToDepth sd(w, type.getDimSize(2), type.getDimSize(3));
    Value sdWeight = spaceToDepthWeight(b, loc, weight, sd);
    return directConv(b, loc, spaceToDepthInput(b, loc, x, sd),
                      windowWeight(b, loc, sdWeight), bias, sd.window(), type,
                      vector);
  }
  // im2col, then one matrix product per group of the weight rows with the
  // group's im2col rows: [out, c / g * kh * kw] x [c * kh * kw, n * oh * ow].
  // Hand-written rather than linalg::rewriteInIm2Col: upstream's form
  // gathers the columns element by element (tensor.extract in a generic)
  // and multiplies per image (a batched contraction the register tiling
  // does not take). A training step around one 1x1 stride-2 convolution
  // (32x64x28x28 -> 128 channels) took 77.3 ms with it, 3.6 ms with this
  // (medians of 5, one core, AMD EPYC, 2026-12-07).
  int64_t out = wType.getDimSize(0), outPerGroup = out / groups;
  int64_t k = wType.getNumElements() / out;
  Value col = im2colMatrix(b, loc, x, w);
  Value matrix = weightMatrix(b, loc, weight);
  int64_t cols = tensorType(col).getDimSize(1);
  auto outType = RankedTensorType::get({out, cols}, type.getElementType());
  Value init =
      bias ? linalg::BroadcastOp::create(b, loc, bias, empty(b, loc, outType),
                                         ArrayRef<int64_t>{1})
                 .getResult()[0]
           : filled(b, loc, outType, 0.0);
  Value product =
      perGroup(b, loc, groups, init, 0, [&](int64_t g, Value blockInit) {
        return contraction(
            b, loc,
            sliceMatrix(b, loc, matrix, 0, g * outPerGroup, outPerGroup),
            sliceMatrix(b, loc, col, 0, g * k, k), blockInit, false, false);
      });
  // [out, n, oh, ow] to [n, out, oh, ow].
  Value cnhw =
      reshape(b, loc, product,
              RankedTensorType::get({out, type.getDimSize(0),
                                     type.getDimSize(2), type.getDimSize(3)},
                                    type.getElementType()));
  return swapLeading(b, loc, cnhw);
}

Value nnc::cpu::buildConv2dGradWeight(OpBuilder &b, Location loc,
                                      ConvAlgorithm algorithm, Value x,
                                      Value resultGrad, const Window &w,
                                      int64_t groups, RankedTensorType type) {
  Type et = type.getElementType();
  if (algorithm == ConvAlgorithm::Direct)
    return directConvGradWeight(b, loc, x, resultGrad, w, type);
  RankedTensorType dyType = tensorType(resultGrad);
  if (algorithm == ConvAlgorithm::SpaceToDepth) {
    SpaceToDepth sd(w, dyType.getDimSize(2), dyType.getDimSize(3));
    auto weightType = RankedTensorType::get({type.getDimSize(0),
                                             sd.channels(type.getDimSize(1)),
                                             sd.kernel[0], sd.kernel[1]},
                                            et);
    Value grad = directConvGradWeight(b, loc, spaceToDepthInput(b, loc, x, sd),
                                      resultGrad, sd.window(), weightType);
    return depthToSpaceWeight(b, loc, grad, sd, type);
  }
  // dW[o, k] = sum over columns of dy[o, col] * col[k, col], per group.
  // Both operands are stored along the long reduction, so one of them is
  // packed (transposed) for the product: the smaller one, i.e. the im2col
  // matrix when it has fewer rows than dy (a first layer), else dy, and
  // then the small result dW^T is transposed at the end.
  int64_t out = type.getDimSize(0), outPerGroup = out / groups;
  int64_t k = type.getNumElements() / out;
  Value col = im2colMatrix(b, loc, x, w);
  Value dy = channelRows(b, loc, resultGrad);
  auto matrixType = RankedTensorType::get({out, k}, et);
  Value product = perGroup(
      b, loc, groups, empty(b, loc, matrixType), 0,
      [&](int64_t g, Value) -> Value {
        if (k < outPerGroup)
          return contraction(
              b, loc, sliceMatrix(b, loc, dy, 0, g * outPerGroup, outPerGroup),
              sliceMatrix(b, loc, col, 0, g * k, k),
              filled(b, loc, RankedTensorType::get({outPerGroup, k}, et), 0.0),
              false, true);
        auto blockType = RankedTensorType::get({k, outPerGroup}, et);
        Value blockT = contraction(
            b, loc, sliceMatrix(b, loc, col, 0, g * k, k),
            sliceMatrix(b, loc, dy, 0, g * outPerGroup, outPerGroup),
            filled(b, loc, blockType, 0.0), false, true);
        return transpose(b, loc, blockT, {1, 0});
      });
  return reshape(b, loc, product, type);
}

Value nnc::cpu::buildConv2dGradInput(OpBuilder &b, Location loc,
                                     ConvAlgorithm algorithm, Value resultGrad,
                                     Value weight, const Window &w,
                                     int64_t groups, RankedTensorType type,
                                     const VectorShape &vector) {
  RankedTensorType wType = tensorType(weight);
  RankedTensorType dyType = tensorType(resultGrad);
  if (algorithm == ConvAlgorithm::Direct)
    return directConvGradInput(b, loc, resultGrad, weight, w, type, vector);
  if (algorithm == ConvAlgorithm::SpaceToDepth) {
    SpaceToDepth sd(w, dyType.getDimSize(2), dyType.getDimSize(3));
    Value grad = directConvGradInput(
        b, loc, resultGrad, spaceToDepthWeight(b, loc, weight, sd), sd.window(),
        spaceToDepthType(type, sd), vector);
    return fitImage(b, loc,
                    depthToSpace(b, loc, grad, sd.stride[0], sd.stride[1]),
                    type.getDimSize(2), type.getDimSize(3));
  }
  // dcol = W^T dy per group, then col2im adds each im2col entry back to the
  // input element it was gathered from.
  int64_t out = wType.getDimSize(0), outPerGroup = out / groups;
  int64_t k = wType.getNumElements() / out;
  Type et = type.getElementType();
  Value dy = channelRows(b, loc, resultGrad);
  // Flipped kernel offsets, as scatterWindows indexes its sources.
  Value matrix = weightMatrix(b, loc, flipKernel(b, loc, weight));
  int64_t cols = tensorType(dy).getDimSize(1);
  auto colType = RankedTensorType::get({k * groups, cols}, et);
  Value dcol = perGroup(
      b, loc, groups, filled(b, loc, colType, 0.0), 0,
      [&](int64_t g, Value blockInit) {
        return contraction(
            b, loc,
            sliceMatrix(b, loc, matrix, 0, g * outPerGroup, outPerGroup),
            sliceMatrix(b, loc, dy, 0, g * outPerGroup, outPerGroup), blockInit,
            true, false);
      });
  Value col6 = reshape(
      b, loc, dcol,
      RankedTensorType::get({type.getDimSize(1), w.kernel[0], w.kernel[1],
                             type.getDimSize(0), dyType.getDimSize(2),
                             dyType.getDimSize(3)},
                            et));
  return scatterWindows(
      b, loc, col6, {0.0}, {4, 5}, type, w,
      [&](Value src, int64_t fi, int64_t fj) -> SourceView {
        // col[c, fi, fj, n, h + fi * d0, w + fj * d1] as [c, n, h, w].
        RankedTensorType srcType = tensorType(src);
        SmallVector<OpFoldResult> offsets = {
            b.getIndexAttr(0),
            b.getIndexAttr(fi),
            b.getIndexAttr(fj),
            b.getIndexAttr(0),
            b.getIndexAttr(fi * w.dilation[0]),
            b.getIndexAttr(fj * w.dilation[1])};
        int64_t c = srcType.getDimSize(0), n = srcType.getDimSize(3);
        int64_t h = type.getDimSize(2), x = type.getDimSize(3);
        SmallVector<OpFoldResult> sizes = {
            b.getIndexAttr(c), b.getIndexAttr(1), b.getIndexAttr(1),
            b.getIndexAttr(n), b.getIndexAttr(h), b.getIndexAttr(x)};
        SmallVector<OpFoldResult> strides(6, b.getIndexAttr(1));
        Value view = tensor::ExtractSliceOp::create(
            b, loc, RankedTensorType::get({c, n, h, x}, et), src, offsets,
            sizes, strides);
        return {view, swapFirstTwo(b.getContext())};
      },
      [](Scalar &, ValueRange v, int64_t, int64_t) { return v[0]; });
}
