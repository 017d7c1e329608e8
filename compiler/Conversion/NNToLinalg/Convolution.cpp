//===- Convolution.cpp - Convolutions and their gradients -----------------===//
//
// `nn.conv2d`, `nn.conv2d_grad_input` and `nn.conv2d_grad_weight` as
// `linalg.conv_2d_nchw_fchw` in the model's NCHW layout, with no algorithm
// chosen: that is the target's strategy (for the CPU,
// compiler/Codegen/CPU/Strategy.cpp). The three forms, one named
// convolution per group:
//
// - forward: `y = conv(pad(x), w)` into the bias broadcast over
//   `[n, oh, ow]` (or zeros), strides and dilations the op's;
// - input gradient, the transposed convolution: `dx = conv(spread(dy),
//   flip(w))` at stride 1, where `spread` places `dy`'s rows `s` apart with
//   `(k - 1) d - p` zero rows in front, and `flip(w)` is `w[o, c, kh - 1 -
//   i, kw - 1 - j]` at `[c, o, i, j]` (a gather, then a transpose);
// - weight gradient: `dw = transpose(conv(transpose(pad(x)),
//   transpose(dy)))`, the batch and channel dimensions of both operands
//   exchanged, strides and dilations exchanged, so that `dy` is the filter;
//   the output is cut to the kernel's size.
//
// Zero padding and spreading are a `tensor.insert_slice` into a zero fill.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/NNToLinalg/Windows.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

/// `x` (`[a, b, h, w]`) with its rows spread `stride` apart and `low` /
/// `high` zero rows and columns around them.
Value spreadImage(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> low,
                  ArrayRef<int64_t> high, ArrayRef<int64_t> stride) {
  return spreadAndPad(b, loc, x, {2, 3}, low, high, stride, 0.0);
}

/// A `linalg.conv_2d_nchw_fchw` of `input` with `filter` into `init`.
Value namedConv(OpBuilder &b, Location loc, Value input, Value filter,
                Value init, ArrayRef<int64_t> strides,
                ArrayRef<int64_t> dilations) {
  auto attr = [&](ArrayRef<int64_t> v) {
    return DenseIntElementsAttr::get(RankedTensorType::get({2}, b.getI64Type()),
                                     v);
  };
  return linalg::Conv2DNchwFchwOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{input, filter},
             ValueRange{init},
             ArrayRef<NamedAttribute>{
                 b.getNamedAttr("strides", attr(strides)),
                 b.getNamedAttr("dilations", attr(dilations))})
      .getResult(0);
}

/// Dimensions `[offset, offset + size)` of dimension `dim` of `x`.
Value sliceDim(OpBuilder &b, Location loc, Value x, int64_t dim, int64_t offset,
               int64_t size) {
  RankedTensorType type = tensorType(x);
  if (offset == 0 && size == type.getDimSize(dim))
    return x;
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes,
      strides(rank, b.getIndexAttr(1));
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = size;
  for (int64_t d : shape)
    sizes.push_back(b.getIndexAttr(d));
  offsets[dim] = b.getIndexAttr(offset);
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x, offsets,
      sizes, strides);
}

/// Writes `part` into dimension `dim` of `into` from `offset`.
Value insertDim(OpBuilder &b, Location loc, Value part, Value into, int64_t dim,
                int64_t offset) {
  RankedTensorType type = tensorType(part);
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes,
      strides(rank, b.getIndexAttr(1));
  for (int64_t d : type.getShape())
    sizes.push_back(b.getIndexAttr(d));
  offsets[dim] = b.getIndexAttr(offset);
  return tensor::InsertSliceOp::create(b, loc, part, into, offsets, sizes,
                                       strides);
}

/// One named convolution per group: `conv(g)` computes group `g`'s block of
/// `init` along dimension `dim` (of `blockSize` elements) from that block.
Value groupwise(OpBuilder &b, Location loc, int64_t groups, Value init,
                int64_t dim, int64_t blockSize,
                function_ref<Value(int64_t, Value)> conv) {
  if (groups == 1)
    return conv(0, init);
  Value result = init;
  for (int64_t g = 0; g < groups; ++g) {
    Value block =
        conv(g, sliceDim(b, loc, init, dim, g * blockSize, blockSize));
    result = insertDim(b, loc, block, result, dim, g * blockSize);
  }
  return result;
}

/// `w` (`[o, c, kh, kw]`) as the filter of its transposed convolution:
/// `[c, o, kh, kw]` with both kernel dimensions reversed. The reversal is a
/// gather (flipKernel), so that no indexing map needs a constant: tiling
/// keeps such maps on the tiles, where they no longer fit.
Value flippedTransposedKernel(OpBuilder &b, Location loc, Value w) {
  return swapLeading(b, loc, flipKernel(b, loc, w));
}

NNC_LOWERING(Conv2dLowering, nn::Conv2dOp) {
  auto type = cast<RankedTensorType>(op.getType());
  RankedTensorType wType = tensorType(a.getWeight());
  int64_t groups = op.getGroups();
  Value init = a.getBias()
                   ? linalg::BroadcastOp::create(b, loc, a.getBias(),
                                                 empty(b, loc, type),
                                                 ArrayRef<int64_t>{0, 2, 3})
                         .getResult()[0]
                   : filled(b, loc, type, 0.0);
  int64_t outPerGroup = wType.getDimSize(0) / groups;
  int64_t inPerGroup = wType.getDimSize(1);
  return SmallVector<Value>{groupwise(
      b, loc, groups, init, 1, outPerGroup, [&](int64_t g, Value blockInit) {
        Value x = sliceDim(b, loc, a.getInput(), 1, g * inPerGroup, inPerGroup);
        return namedConv(
            b, loc,
            spreadImage(b, loc, x, op.getPadding(), op.getPadding(), {1, 1}),
            sliceDim(b, loc, a.getWeight(), 0, g * outPerGroup, outPerGroup),
            blockInit, op.getStride(), op.getDilation());
      })};
}

NNC_LOWERING(Conv2dGradInputLowering, nn::Conv2dGradInputOp) {
  auto type = cast<RankedTensorType>(op.getType());
  RankedTensorType wType = tensorType(a.getWeight());
  RankedTensorType dyType = tensorType(a.getResultGrad());
  Window w = convWindow(op, wType);
  int64_t groups = op.getGroups();
  // Kernel row i of output row y reads input row y s + i d - p, so input
  // row h gets output rows (h + p - i d) / s: the flipped kernel over dy
  // spread s apart, (k - 1) d - p zero rows in front. Where the padding
  // reaches beyond the kernel the rows in front are computed and dropped
  // instead, and so are the rows at the end that only dy's last rows
  // (which saw nothing but padding) would reach.
  SmallVector<int64_t> low(2), high(2), front(2), rows(2);
  for (int64_t k = 0; k < 2; ++k) {
    int64_t reach = (w.kernel[k] - 1) * w.dilation[k];
    int64_t lead = reach - w.padding[k];
    low[k] = std::max<int64_t>(lead, 0);
    front[k] = low[k] - lead;
    int64_t spread = (dyType.getDimSize(2 + k) - 1) * w.stride[k] + 1;
    int64_t needed = type.getDimSize(2 + k) + front[k] + reach;
    high[k] = std::max<int64_t>(needed - low[k] - spread, 0);
    rows[k] = low[k] + spread + high[k] - reach;
  }
  Type et = type.getElementType();
  auto fullType = RankedTensorType::get(
      {type.getDimSize(0), type.getDimSize(1), rows[0], rows[1]}, et);
  int64_t outPerGroup = wType.getDimSize(0) / groups;
  int64_t inPerGroup = wType.getDimSize(1);
  Value grad = groupwise(
      b, loc, groups, filled(b, loc, fullType, 0.0), 1, inPerGroup,
      [&](int64_t g, Value blockInit) {
        Value dy = sliceDim(b, loc, a.getResultGrad(), 1, g * outPerGroup,
                            outPerGroup);
        return namedConv(
            b, loc, spreadImage(b, loc, dy, low, high, w.stride),
            flippedTransposedKernel(b, loc,
                                    sliceDim(b, loc, a.getWeight(), 0,
                                             g * outPerGroup, outPerGroup)),
            blockInit, {1, 1}, w.dilation);
      });
  grad =
      sliceDim(b, loc, sliceDim(b, loc, grad, 2, front[0], type.getDimSize(2)),
               3, front[1], type.getDimSize(3));
  return SmallVector<Value>{grad};
}

NNC_LOWERING(Conv2dGradWeightLowering, nn::Conv2dGradWeightOp) {
  auto type = cast<RankedTensorType>(op.getType());
  Window w = convWindow(op, type);
  int64_t groups = op.getGroups();
  RankedTensorType dyType = tensorType(a.getResultGrad());
  Type et = type.getElementType();
  int64_t outPerGroup = type.getDimSize(0) / groups;
  int64_t inPerGroup = type.getDimSize(1);
  // dw[o, c, i, j] = sum over (n, y, x) of dy[n, o, y, x] xp[n, c, y s + i
  // d, x s + j d]: a convolution of xp^T ([c, n, ...]) with dy^T as the
  // filter, stride d and dilation s; the rows past the kernel are dropped.
  RankedTensorType xType = tensorType(a.getInput());
  SmallVector<int64_t> reach(2);
  for (int64_t k = 0; k < 2; ++k)
    reach[k] = (xType.getDimSize(2 + k) + 2 * w.padding[k] -
                (dyType.getDimSize(2 + k) - 1) * w.stride[k] - 1) /
                   w.dilation[k] +
               1;
  // Group g's block is rows [g c', (g + 1) c') and columns [g o', (g + 1) o')
  // of dw^T; the other blocks are not computed.
  SmallVector<Value> blocks;
  for (int64_t g = 0; g < groups; ++g) {
    auto blockType = RankedTensorType::get(
        {inPerGroup, outPerGroup, reach[0], reach[1]}, et);
    Value x = sliceDim(b, loc, a.getInput(), 1, g * inPerGroup, inPerGroup);
    Value dy =
        sliceDim(b, loc, a.getResultGrad(), 1, g * outPerGroup, outPerGroup);
    blocks.push_back(
        namedConv(b, loc,
                  swapLeading(b, loc,
                              spreadImage(b, loc, x, op.getPadding(),
                                          op.getPadding(), {1, 1})),
                  swapLeading(b, loc, dy), filled(b, loc, blockType, 0.0),
                  w.dilation, w.stride));
  }
  // [c', o', kh', kw'] to [o', c', kh, kw], group after group.
  auto cropped = [&](Value blockT) {
    return sliceDim(b, loc, sliceDim(b, loc, blockT, 2, 0, w.kernel[0]), 3, 0,
                    w.kernel[1]);
  };
  if (groups == 1)
    return SmallVector<Value>{swapLeading(b, loc, cropped(blocks.front()))};
  Value result = empty(b, loc, type);
  for (auto [g, blockT] : llvm::enumerate(blocks))
    result = insertDim(b, loc, swapLeading(b, loc, cropped(blockT)), result, 0,
                       g * outPerGroup);
  return SmallVector<Value>{result};
}

} // namespace

void nnc::populateNNToLinalgConvolutionPatterns(RewritePatternSet &patterns) {
  patterns
      .add<Conv2dLowering, Conv2dGradWeightLowering, Conv2dGradInputLowering>(
          patterns.getContext());
}
