//===- NNToLinalg.cpp - Lower nn ops to linalg ----------------------------===//
//
// Each nn op becomes linalg structured ops on tensors. Elementwise work is
// written as linalg.generic so that linalg's elementwise fusion can merge a
// bias, an activation and its derivative into their neighbours.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/Passes.h"

#include "dialects/NN/IR/NNOps.h"
#include "dialects/NN/IR/ScalarMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

#include "llvm/Support/MathExtras.h"

namespace nnc {
#define GEN_PASS_DEF_CONVERTNNTOLINALGPASS
#include "compiler/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;
namespace nn = mlir::nn;
using utils::IteratorType;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

Value constant(OpBuilder &b, Location loc, Type type, double value) {
  if (isa<IntegerType>(type))
    return arith::ConstantOp::create(
        b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value empty(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value filled(OpBuilder &b, Location loc, RankedTensorType type, double value) {
  Value init = empty(b, loc, type);
  return linalg::FillOp::create(
             b, loc, constant(b, loc, type.getElementType(), value), init)
      .getResult(0);
}

/// `x` transposed: result dimension `i` is dimension `permutation[i]` of
/// `x`.
Value transpose(OpBuilder &b, Location loc, Value x,
                ArrayRef<int64_t> permutation) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  for (int64_t d : permutation)
    shape.push_back(type.getDimSize(d));
  return linalg::TransposeOp::create(
             b, loc, x,
             empty(b, loc, RankedTensorType::get(shape, type.getElementType())),
             permutation)
      .getResult()[0];
}

/// Map of a tensor whose dimensions are the iteration dimensions `dims` of
/// a rank-`rank` iteration space; 0-d tensors broadcast everywhere.
AffineMap projection(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;
using MultiBodyFn =
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>;

/// A parallel linalg.generic over `type`'s shape. Each input has `type`'s
/// shape or is 0-d (a broadcast scalar). `body` gets one scalar per input.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange inputs, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(tensorType(in).getRank() == 0
                       ? AffineMap::get(rank, 0, {}, ctx)
                       : AffineMap::getMultiDimIdentityMap(rank, ctx));
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<IteratorType> iters(rank, IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, inputs, ValueRange{empty(b, loc, type)},
             maps, iters,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc,
                                       body(nb, nloc, args.drop_back()));
             })
      .getResult(0);
}

/// Reduces `input` over the dimensions marked in `reduced` with `combine`,
/// starting from `init`; the result keeps the other dimensions in order.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced,
             double init,
             function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
             BodyFn map = nullptr, Type resultElementType = nullptr) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType type = tensorType(input);
  int64_t rank = type.getRank();
  SmallVector<int64_t> kept, keptShape;
  SmallVector<IteratorType> iters;
  for (int64_t i = 0; i < rank; ++i) {
    iters.push_back(reduced[i] ? IteratorType::reduction
                               : IteratorType::parallel);
    if (!reduced[i]) {
      kept.push_back(i);
      keptShape.push_back(type.getDimSize(i));
    }
  }
  auto resultType = RankedTensorType::get(
      keptShape, resultElementType ? resultElementType : type.getElementType());
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 projection(ctx, rank, kept)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ValueRange{input},
             ValueRange{filled(b, loc, resultType, init)}, maps, iters,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value x = map ? map(nb, nloc, args.take_front()) : args[0];
               linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args[1], x));
             })
      .getResult(0);
}

Value addf(OpBuilder &b, Location loc, Value acc, Value x) {
  return arith::AddFOp::create(b, loc, acc, x);
}
Value maxf(OpBuilder &b, Location loc, Value acc, Value x) {
  return arith::MaximumFOp::create(b, loc, acc, x);
}

/// Sums every element of `input` into a 0-d tensor, applying `map` first.
Value sumAll(OpBuilder &b, Location loc, Value input, BodyFn map = nullptr,
             Type resultElementType = nullptr) {
  SmallVector<bool> all(tensorType(input).getRank(), true);
  return reduce(b, loc, input, all, 0.0, addf, map, resultElementType);
}

/// Reads a 0-d tensor as a scalar.
Value scalarOf(OpBuilder &b, Location loc, Value tensor0d) {
  return tensor::ExtractOp::create(b, loc, tensor0d, ValueRange{});
}

/// `x` in `y`'s element type.
Value castTo(OpBuilder &b, Location loc, Value x, Type type) {
  if (x.getType() == type)
    return x;
  if (cast<FloatType>(x.getType()).getWidth() <
      cast<FloatType>(type).getWidth())
    return arith::ExtFOp::create(b, loc, type, x);
  return arith::TruncFOp::create(b, loc, type, x);
}

/// Scalar math used by several ops: arith and math ops on one type.
using Scalar = nn::ScalarBuilder;
Value invStdOf(OpBuilder &b, Location loc, Value var, double eps);
SmallVector<Value> elementwiseMulti(OpBuilder &b, Location loc,
                                    RankedTensorType type, ValueRange inputs,
                                    unsigned numResults, MultiBodyFn body);

/// `1 / sqrt(var + eps)` elementwise.
Value invStdOf(OpBuilder &b, Location loc, Value var, double eps) {
  return elementwise(b, loc, tensorType(var), var,
                     [&](OpBuilder &nb, Location nloc, ValueRange v) {
                       Scalar s{nb, nloc, tensorType(var).getElementType()};
                       return s.div(s.c(1), s.sqrt(s.add(v[0], s.c(eps))));
                     });
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// A pattern whose rewrite returns the replacement values.
template <typename OpTy> struct Lowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using Adaptor = typename OpTy::Adaptor;
  virtual FailureOr<SmallVector<Value>>
  lower(OpTy op, Adaptor adaptor, OpBuilder &b, Location loc) const = 0;
  LogicalResult
  matchAndRewrite(OpTy op, Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<SmallVector<Value>> values =
        lower(op, adaptor, rewriter, op.getLoc());
    if (failed(values))
      return rewriter.notifyMatchFailure(op, "cannot lower this form");
    rewriter.replaceOp(op, *values);
    return success();
  }
};

#define NNC_LOWERING(NAME, OP)                                                 \
  struct NAME : Lowering<OP> {                                                 \
    using Lowering::Lowering;                                                  \
    FailureOr<SmallVector<Value>> lower(OP op, OP::Adaptor a, OpBuilder &b,    \
                                        Location loc) const override;          \
  };                                                                           \
  FailureOr<SmallVector<Value>> NAME::lower(OP op, OP::Adaptor a,              \
                                            OpBuilder &b, Location loc) const

/// Elementwise ops given by their scalar body.
template <typename OpTy> struct ElementwiseLowering : Lowering<OpTy> {
  using Fn = std::function<Value(OpTy, Scalar &, ValueRange)>;
  ElementwiseLowering(MLIRContext *ctx, Fn fn)
      : Lowering<OpTy>(ctx), fn(std::move(fn)) {}
  FailureOr<SmallVector<Value>> lower(OpTy op, typename OpTy::Adaptor a,
                                      OpBuilder &b,
                                      Location loc) const override {
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    Value result =
        elementwise(b, loc, type, a.getOperands(),
                    [&](OpBuilder &nb, Location nloc, ValueRange args) {
                      Scalar s{nb, nloc, type.getElementType()};
                      return fn(op, s, args);
                    });
    return SmallVector<Value>{result};
  }
  Fn fn;
};

template <typename OpTy>
void addElementwise(RewritePatternSet &patterns,
                    typename ElementwiseLowering<OpTy>::Fn fn) {
  patterns.add<ElementwiseLowering<OpTy>>(patterns.getContext(), std::move(fn));
}

/// The body of a product: `out + lhs * rhs` on the block's three scalars.
void yieldMulAdd(OpBuilder &b, Location loc, ValueRange args) {
  Value prod = arith::MulFOp::create(b, loc, args[0], args[1]);
  linalg::YieldOp::create(
      b, loc, ValueRange{arith::AddFOp::create(b, loc, args[2], prod)});
}

/// `out[m, n] += lhs[...] * rhs[...]` with the operand maps chosen by the
/// transposes; `init` holds the starting value (zeros or a broadcast bias).
Value contraction(OpBuilder &b, Location loc, Value lhs, Value rhs, Value init,
                  bool transposeLhs, bool transposeRhs) {
  MLIRContext *ctx = b.getContext();
  // A product reads rows of its right operand along N; a transposed right
  // operand would be read down its columns. Transposing it once up front
  // (packing) is far cheaper than strided reads in the inner loop.
  if (transposeRhs) {
    rhs = transpose(b, loc, rhs, {1, 0});
    transposeRhs = false;
  }
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = {
      AffineMap::get(3, 0,
                     transposeLhs ? ArrayRef<AffineExpr>{k, m}
                                  : ArrayRef<AffineExpr>{m, k},
                     ctx),
      AffineMap::get(3, 0,
                     transposeRhs ? ArrayRef<AffineExpr>{n, k}
                                  : ArrayRef<AffineExpr>{k, n},
                     ctx),
      AffineMap::get(3, 0, {m, n}, ctx)};
  SmallVector<IteratorType> iters = {
      IteratorType::parallel, IteratorType::parallel, IteratorType::reduction};
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()},
                                   ValueRange{lhs, rhs}, ValueRange{init}, maps,
                                   iters, yieldMulAdd)
      .getResult(0);
}

NNC_LOWERING(DenseLowering, nn::DenseOp) {
  auto type = cast<RankedTensorType>(op.getType());
  Value init;
  if (Value bias = a.getBias()) {
    // Start the accumulation from the bias, broadcast over the batch.
    init = linalg::BroadcastOp::create(b, loc, bias, empty(b, loc, type),
                                       ArrayRef<int64_t>{0})
               .getResult()[0];
  } else {
    init = filled(b, loc, type, 0.0);
  }
  return SmallVector<Value>{
      contraction(b, loc, a.getInput(), a.getWeight(), init, false, true)};
}

NNC_LOWERING(MatmulLowering, nn::MatmulOp) {
  auto type = cast<RankedTensorType>(op.getType());
  return SmallVector<Value>{
      contraction(b, loc, a.getLhs(), a.getRhs(), filled(b, loc, type, 0.0),
                  op.getTransposeLhs(), op.getTransposeRhs())};
}

NNC_LOWERING(TransposeLowering, nn::TransposeOp) {
  auto type = cast<RankedTensorType>(op.getType());
  return SmallVector<Value>{linalg::TransposeOp::create(b, loc, a.getInput(),
                                                        empty(b, loc, type),
                                                        op.getPermutation())
                                .getResult()[0]};
}

/// Any static reshape: collapse to 1-D, then expand to the target.
Value reshape(OpBuilder &b, Location loc, Value input,
              RankedTensorType target) {
  RankedTensorType type = tensorType(input);
  if (type == target)
    return input;
  // To or from a 0-d tensor (one element), the reassociation is empty.
  if (target.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, target, input,
                                           SmallVector<ReassociationIndices>{});
  if (type.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, target, input,
                                         SmallVector<ReassociationIndices>{});
  auto flatType =
      RankedTensorType::get({type.getNumElements()}, type.getElementType());
  auto all = [](int64_t rank) {
    ReassociationIndices indices;
    for (int64_t i = 0; i < rank; ++i)
      indices.push_back(i);
    return rank == 0 ? SmallVector<ReassociationIndices>{}
                     : SmallVector<ReassociationIndices>{indices};
  };
  Value flat = type.getRank() == 1
                   ? input
                   : tensor::CollapseShapeOp::create(b, loc, flatType, input,
                                                     all(type.getRank()));
  if (target.getRank() == 1)
    return flat;
  return tensor::ExpandShapeOp::create(b, loc, target, flat,
                                       all(target.getRank()));
}

NNC_LOWERING(ReshapeLowering, nn::ReshapeOp) {
  return SmallVector<Value>{
      reshape(b, loc, a.getInput(), cast<RankedTensorType>(op.getType()))};
}

NNC_LOWERING(BroadcastLowering, nn::BroadcastOp) {
  auto type = cast<RankedTensorType>(op.getType());
  SmallVector<int64_t> created;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (!llvm::is_contained(op.getDims(), i))
      created.push_back(i);
  return SmallVector<Value>{linalg::BroadcastOp::create(b, loc, a.getInput(),
                                                        empty(b, loc, type),
                                                        created)
                                .getResult()[0]};
}

NNC_LOWERING(ConcatLowering, nn::ConcatOp) {
  auto type = cast<RankedTensorType>(op.getType());
  Value result = empty(b, loc, type);
  int64_t offset = 0, dim = op.getDim();
  for (Value input : a.getInputs()) {
    RankedTensorType inType = tensorType(input);
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)), sizes,
        strides(type.getRank(), b.getIndexAttr(1));
    for (int64_t d : inType.getShape())
      sizes.push_back(b.getIndexAttr(d));
    offsets[dim] = b.getIndexAttr(offset);
    offset += inType.getDimSize(dim);
    result = tensor::InsertSliceOp::create(b, loc, input, result, offsets,
                                           sizes, strides);
  }
  return SmallVector<Value>{result};
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

/// `x` with dimension `dims[i]` spread `strides[i]` apart (zeros between)
/// and padded by `low[i]` / `high[i]` elements of `value` on either side.
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

/// The output size of a window along one dimension.
int64_t windowCount(int64_t size, int64_t kernel, int64_t stride,
                    int64_t padding, int64_t dilation) {
  return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

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

/// A parallel generic over `type` whose inputs are read through `maps`
/// (projected permutations); `body` gets one scalar per input.
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

/// Swaps dimensions 0 and 1 in a map of rank 4.
AffineMap swapFirstTwo(MLIRContext *ctx) {
  return AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0, 2, 3}, ctx);
}

/// im2col, transposed: `col[c, i, j, n, oh, ow] = x[n, c, oh * s0 + i * d0
/// - p0, ow * s1 + j * d1 - p1]`, and `padValue` outside `x`. Output columns
/// innermost, so that the copies read rows of `x` and the matrix product
/// `weight [out, c * kh * kw] x col [c * kh * kw, n * oh * ow]` needs no
/// packing. One copy per kernel offset.
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

/// `x` with the rows of dimensions `dims` placed `strides[k]` apart, row
/// `r` at `r * strides[k] + offsets[k]` of a dimension of `sizes[k]`
/// (offsets may be negative: leading rows fall off), `value` elsewhere.
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

/// The view of a `[a, b, rows, columns]` source (rows and columns as
/// scatterWindows rearranged them) for flipped offset `(fi, fj)`, the
/// image's `[a, b, h, w]`.
SourceView imageView(OpBuilder &b, Location loc, Value src, const Window &w,
                     int64_t fi, int64_t fj, RankedTensorType resultType) {
  Window shifted = w;
  shifted.stride = {1, 1};
  return {windowView(b, loc, src, shifted, fi, fj, resultType.getDimSize(2),
                     resultType.getDimSize(3)),
          AffineMap::getMultiDimIdentityMap(4, b.getContext())};
}

/// `w` with both kernel dimensions reversed: `[o, c, kh - 1 - i, kw - 1 - j]`
/// at `[o, c, i, j]`. A gather, so that no indexing map needs a constant;
/// weights are small.
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

/// Columns (`dim` 1) or rows (`dim` 0) `[offset, offset + size)` of a
/// matrix.
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

/// Runs one matrix product per group: `product(g, init)` computes the block
/// of `init` that group `g` owns (columns or rows, by `dim`) from that
/// block's initial value.
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

/// Swaps the two leading dimensions: `[n, c, h, w]` to `[c, n, h, w]` and
/// back; rows of `h * w` move as a whole.
Value swapLeading(OpBuilder &b, Location loc, Value x) {
  return transpose(b, loc, x, {1, 0, 2, 3});
}

/// `[n, c, h, w]` as the matrix `[c, n * h * w]`, the layout of im2col
/// columns.
Value channelRows(OpBuilder &b, Location loc, Value x) {
  RankedTensorType type = tensorType(x);
  return reshape(
      b, loc, swapLeading(b, loc, x),
      RankedTensorType::get(
          {type.getDimSize(1), type.getNumElements() / type.getDimSize(1)},
          type.getElementType()));
}

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
Value im2colMatrix(OpBuilder &b, Location loc, Value x, const Window &w) {
  Value col = im2col(b, loc, x, w, 0.0);
  RankedTensorType type = tensorType(col);
  int64_t rows = type.getDimSize(0) * type.getDimSize(1) * type.getDimSize(2);
  int64_t cols = type.getDimSize(3) * type.getDimSize(4) * type.getDimSize(5);
  return reshape(b, loc, col,
                 RankedTensorType::get({rows, cols}, type.getElementType()));
}

/// `[out, in / groups, kh, kw]` as `[out, in / groups * kh * kw]`.
Value weightMatrix(OpBuilder &b, Location loc, Value w) {
  RankedTensorType type = tensorType(w);
  return reshape(
      b, loc, w,
      RankedTensorType::get(
          {type.getDimSize(0), type.getNumElements() / type.getDimSize(0)},
          type.getElementType()));
}

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
/// or 16 positions, times up to four threads). Positions outside the output
/// (the gap columns and rows, the rounding tail) are computed and dropped.
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

/// `out[q, o] = init[q, o] + sum over (i, j, c) of wT[i, j, c, o] * flat[q
/// + base + i * d0 * ws + j * d1, c]`, loops `(q, o, i, j, c)`: the window
/// contraction that the CPU backend register-tiles (see
/// nnc-cpu-tile-and-vectorize).
Value windowContraction(OpBuilder &b, Location loc, Value wT, Value flat,
                        Value init, const FlatGrid &grid,
                        ArrayRef<int64_t> dilation) {
  MLIRContext *ctx = b.getContext();
  AffineExpr q = getAffineDimExpr(0, ctx), o = getAffineDimExpr(1, ctx),
             i = getAffineDimExpr(2, ctx), j = getAffineDimExpr(3, ctx),
             c = getAffineDimExpr(4, ctx);
  AffineExpr row =
      q + i * (dilation[0] * grid.ws) + j * dilation[1] + grid.base;
  SmallVector<AffineMap> maps = {AffineMap::get(5, 0, {i, j, c, o}, ctx),
                                 AffineMap::get(5, 0, {row, c}, ctx),
                                 AffineMap::get(5, 0, {q, o}, ctx)};
  SmallVector<IteratorType> iters = {
      IteratorType::parallel, IteratorType::parallel, IteratorType::reduction,
      IteratorType::reduction, IteratorType::reduction};
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()},
                                   ValueRange{wT, flat}, ValueRange{init}, maps,
                                   iters, yieldMulAdd)
      .getResult(0);
}

/// A stride-1, ungrouped convolution of `x` (`[n, c, h, w]`) with `wT`
/// (`[kh, kw, c, out]`) plus `bias` (or none), as one window contraction;
/// the result is `resultType` (`[n, out, oh, ow]`).
Value directConv(OpBuilder &b, Location loc, Value x, Value wT, Value bias,
                 const Window &w, RankedTensorType resultType) {
  RankedTensorType xType = tensorType(x);
  Type et = xType.getElementType();
  int64_t out = resultType.getDimSize(1);
  int64_t oh = resultType.getDimSize(2), ow = resultType.getDimSize(3);
  FlatGrid grid(xType.getDimSize(0), xType.getDimSize(2), xType.getDimSize(3),
                oh, ow, w.kernel, w.padding, w.dilation);
  Value flat = flatImages(b, loc, x, grid);
  auto outType = RankedTensorType::get({grid.positions, out}, et);
  Value init =
      bias ? linalg::BroadcastOp::create(b, loc, bias, empty(b, loc, outType),
                                         ArrayRef<int64_t>{0})
                 .getResult()[0]
           : filled(b, loc, outType, 0.0);
  Value product = windowContraction(b, loc, wT, flat, init, grid, w.dilation);
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
/// window contraction `dWT[i, j, c, o] += flat[q + shift(i, j), c] * dyF[q,
/// o]` over the flat input of the forward convolution and the output
/// gradient laid out on the same grid (zeros at the dropped positions),
/// then `[kh, kw, c, out]` to `[out, c, kh, kw]`.
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
  // dy on the same grid, zeros where the output has none. Where the input
  // gradient's transposed convolution lays dy out on the same grid (as for
  // `same` padding), build that same flat layout, which CSE then shares.
  FlatGrid dyGrid(grid.batch, dyType.getDimSize(2), dyType.getDimSize(3),
                  grid.rows, grid.cols, w.kernel, transposedWindow(w).padding,
                  w.dilation);
  Value dyFlat;
  if (dyGrid.hs == grid.hs && dyGrid.ws == grid.ws &&
      dyGrid.positions == grid.positions) {
    dyFlat = sliceMatrix(b, loc, flatImages(b, loc, dy, dyGrid), 0,
                         dyGrid.block(), grid.positions);
  } else {
    int64_t dyBlocks = llvm::divideCeil(grid.positions, grid.block());
    Value dyBlocksTensor = filled(
        b, loc, RankedTensorType::get({dyBlocks, grid.hs, grid.ws, out}, et),
        0.0);
    SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)),
        ones(4, b.getIndexAttr(1)), sizes;
    for (int64_t d :
         {grid.batch, dyType.getDimSize(2), dyType.getDimSize(3), out})
      sizes.push_back(b.getIndexAttr(d));
    dyBlocksTensor = tensor::InsertSliceOp::create(
        b, loc, channelsLast(b, loc, dy), dyBlocksTensor, zeros, sizes, ones);
    dyFlat = sliceMatrix(
        b, loc,
        reshape(b, loc, dyBlocksTensor,
                RankedTensorType::get({dyBlocks * grid.block(), out}, et)),
        0, 0, grid.positions);
  }
  // Loops (i, j, c, o, q).
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx),
             ch = getAffineDimExpr(2, ctx), o = getAffineDimExpr(3, ctx),
             q = getAffineDimExpr(4, ctx);
  AffineExpr row =
      q + i * (w.dilation[0] * grid.ws) + j * w.dilation[1] + grid.base;
  SmallVector<AffineMap> maps = {AffineMap::get(5, 0, {row, ch}, ctx),
                                 AffineMap::get(5, 0, {q, o}, ctx),
                                 AffineMap::get(5, 0, {i, j, ch, o}, ctx)};
  SmallVector<IteratorType> iters(4, IteratorType::parallel);
  iters.push_back(IteratorType::reduction);
  auto dWTType = RankedTensorType::get({w.kernel[0], w.kernel[1], c, out}, et);
  Value dWT =
      linalg::GenericOp::create(
          b, loc, TypeRange{dWTType}, ValueRange{flat, dyFlat},
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
                          const Window &window, RankedTensorType resultType) {
  Value wT = transpose(b, loc, flipKernel(b, loc, w), {2, 3, 0, 1});
  return directConv(b, loc, dy, wT, Value(), transposedWindow(window),
                    resultType);
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

NNC_LOWERING(Conv2dLowering, nn::Conv2dOp) {
  // im2col, then one matrix product per group of the weight rows with the
  // group's im2col rows: [out, c / g * kh * kw] x [c * kh * kw, n * oh * ow].
  auto type = cast<RankedTensorType>(op.getType());
  RankedTensorType wType = tensorType(a.getWeight());
  Window w = convWindow(op, wType);
  int64_t groups = op.getGroups();
  if (hasDirectLowering(w, groups))
    return SmallVector<Value>{directConv(b, loc, a.getInput(),
                                         windowWeight(b, loc, a.getWeight()),
                                         a.getBias(), w, type)};
  if (hasSpaceToDepthLowering(w, groups)) {
    SpaceToDepth sd(w, type.getDimSize(2), type.getDimSize(3));
    Value weight = spaceToDepthWeight(b, loc, a.getWeight(), sd);
    return SmallVector<Value>{directConv(
        b, loc, spaceToDepthInput(b, loc, a.getInput(), sd),
        windowWeight(b, loc, weight), a.getBias(), sd.window(), type)};
  }
  int64_t out = wType.getDimSize(0), outPerGroup = out / groups;
  int64_t k = wType.getNumElements() / out;
  Value col = im2colMatrix(b, loc, a.getInput(), w);
  Value weight = weightMatrix(b, loc, a.getWeight());
  int64_t cols = tensorType(col).getDimSize(1);
  auto outType = RankedTensorType::get({out, cols}, type.getElementType());
  Value init = a.getBias() ? linalg::BroadcastOp::create(b, loc, a.getBias(),
                                                         empty(b, loc, outType),
                                                         ArrayRef<int64_t>{1})
                                 .getResult()[0]
                           : filled(b, loc, outType, 0.0);
  Value product =
      perGroup(b, loc, groups, init, 0, [&](int64_t g, Value blockInit) {
        return contraction(
            b, loc,
            sliceMatrix(b, loc, weight, 0, g * outPerGroup, outPerGroup),
            sliceMatrix(b, loc, col, 0, g * k, k), blockInit, false, false);
      });
  // [out, n, oh, ow] to [n, out, oh, ow].
  Value cnhw =
      reshape(b, loc, product,
              RankedTensorType::get({out, type.getDimSize(0),
                                     type.getDimSize(2), type.getDimSize(3)},
                                    type.getElementType()));
  return SmallVector<Value>{swapLeading(b, loc, cnhw)};
}

NNC_LOWERING(Conv2dGradWeightLowering, nn::Conv2dGradWeightOp) {
  // dW[o, k] = sum over columns of dy[o, col] * col[k, col], per group.
  // Both operands are stored along the long reduction, so one of them is
  // packed (transposed) for the product: the smaller one, i.e. the im2col
  // matrix when it has fewer rows than dy (a first layer), else dy, and
  // then the small result dW^T is transposed at the end.
  auto type = cast<RankedTensorType>(op.getType());
  Type et = type.getElementType();
  Window w = convWindow(op, type);
  int64_t groups = op.getGroups();
  // Direct when the input has channels enough for a register tile; a first
  // layer's few channels make im2col (with the im2col matrix packed) faster.
  if (hasDirectLowering(w, groups) && type.getDimSize(1) >= 4)
    return SmallVector<Value>{
        directConvGradWeight(b, loc, a.getInput(), a.getResultGrad(), w, type)};
  RankedTensorType dyType = tensorType(a.getResultGrad());
  if (hasSpaceToDepthLowering(w, groups)) {
    SpaceToDepth sd(w, dyType.getDimSize(2), dyType.getDimSize(3));
    auto weightType = RankedTensorType::get({type.getDimSize(0),
                                             sd.channels(type.getDimSize(1)),
                                             sd.kernel[0], sd.kernel[1]},
                                            et);
    Value grad = directConvGradWeight(
        b, loc, spaceToDepthInput(b, loc, a.getInput(), sd), a.getResultGrad(),
        sd.window(), weightType);
    return SmallVector<Value>{depthToSpaceWeight(b, loc, grad, sd, type)};
  }
  int64_t out = type.getDimSize(0), outPerGroup = out / groups;
  int64_t k = type.getNumElements() / out;
  Value col = im2colMatrix(b, loc, a.getInput(), w);
  Value dy = channelRows(b, loc, a.getResultGrad());
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
  return SmallVector<Value>{reshape(b, loc, product, type)};
}

NNC_LOWERING(Conv2dGradInputLowering, nn::Conv2dGradInputOp) {
  // dcol = W^T dy per group, then col2im adds each im2col entry back to the
  // input element it was gathered from.
  auto type = cast<RankedTensorType>(op.getType());
  RankedTensorType wType = tensorType(a.getWeight());
  RankedTensorType dyType = tensorType(a.getResultGrad());
  Window w = convWindow(op, wType);
  int64_t groups = op.getGroups();
  if (hasDirectLowering(w, groups))
    return SmallVector<Value>{
        directConvGradInput(b, loc, a.getResultGrad(), a.getWeight(), w, type)};
  if (hasSpaceToDepthLowering(w, groups)) {
    SpaceToDepth sd(w, dyType.getDimSize(2), dyType.getDimSize(3));
    Value grad =
        directConvGradInput(b, loc, a.getResultGrad(),
                            spaceToDepthWeight(b, loc, a.getWeight(), sd),
                            sd.window(), spaceToDepthType(type, sd));
    return SmallVector<Value>{
        fitImage(b, loc, depthToSpace(b, loc, grad, sd.stride[0], sd.stride[1]),
                 type.getDimSize(2), type.getDimSize(3))};
  }
  int64_t out = wType.getDimSize(0), outPerGroup = out / groups;
  int64_t k = wType.getNumElements() / out;
  Type et = type.getElementType();
  Value dy = channelRows(b, loc, a.getResultGrad());
  // Flipped kernel offsets, as scatterWindows indexes its sources.
  Value weight = weightMatrix(b, loc, flipKernel(b, loc, a.getWeight()));
  int64_t cols = tensorType(dy).getDimSize(1);
  auto colType = RankedTensorType::get({k * groups, cols}, et);
  Value dcol = perGroup(
      b, loc, groups, filled(b, loc, colType, 0.0), 0,
      [&](int64_t g, Value blockInit) {
        return contraction(
            b, loc,
            sliceMatrix(b, loc, weight, 0, g * outPerGroup, outPerGroup),
            sliceMatrix(b, loc, dy, 0, g * outPerGroup, outPerGroup), blockInit,
            true, false);
      });
  Value col6 = reshape(
      b, loc, dcol,
      RankedTensorType::get({type.getDimSize(1), w.kernel[0], w.kernel[1],
                             type.getDimSize(0), dyType.getDimSize(2),
                             dyType.getDimSize(3)},
                            et));
  return SmallVector<Value>{scatterWindows(
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
      [](Scalar &, ValueRange v, int64_t, int64_t) { return v[0]; })};
}

/// Combines the pooling windows of `x` (padded with `padValue`) elementwise
/// over the kernel offsets in row-major order: `combine(acc, next)`.
Value poolWindows(OpBuilder &b, Location loc, Value x, const Window &w,
                  RankedTensorType resultType, double padValue,
                  function_ref<Value(Scalar &, Value, Value)> combine) {
  Value padded =
      spreadAndPad(b, loc, x, {2, 3}, w.padding, w.padding, {1, 1}, padValue);
  SmallVector<Value> views;
  for (int64_t i = 0; i < w.kernel[0]; ++i)
    for (int64_t j = 0; j < w.kernel[1]; ++j)
      views.push_back(windowView(b, loc, padded, w, i, j,
                                 resultType.getDimSize(2),
                                 resultType.getDimSize(3)));
  SmallVector<AffineMap> maps(
      views.size(), AffineMap::getMultiDimIdentityMap(4, b.getContext()));
  return mapOver(b, loc, resultType, views, maps,
                 [&](OpBuilder &nb, Location nloc, ValueRange v) {
                   Scalar s{nb, nloc, resultType.getElementType()};
                   Value acc = v[0];
                   for (Value next : v.drop_front())
                     acc = combine(s, acc, next);
                   return acc;
                 });
}

NNC_LOWERING(MaxPool2dLowering, nn::MaxPool2dOp) {
  auto type = cast<RankedTensorType>(op.getType());
  return SmallVector<Value>{
      poolWindows(b, loc, a.getInput(), poolWindow(op), type, -INFINITY,
                  [](Scalar &s, Value acc, Value x) { return s.max(acc, x); })};
}

NNC_LOWERING(AvgPool2dLowering, nn::AvgPool2dOp) {
  auto type = cast<RankedTensorType>(op.getType());
  Window w = poolWindow(op);
  double count = w.kernel[0] * w.kernel[1];
  Value sum =
      poolWindows(b, loc, a.getInput(), w, type, 0.0,
                  [](Scalar &s, Value acc, Value x) { return s.add(acc, x); });
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
        Value h =
            fmix32(nb, nloc,
                   arith::XOrIOp::create(nb, nloc,
                                         arith::IndexCastUIOp::create(
                                             nb, nloc, nb.getI32Type(), index),
                                         key));
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

template <typename OpTy>
Value lowerReduction(OpTy op, Value input, OpBuilder &b, Location loc) {
  RankedTensorType type = tensorType(input);
  SmallVector<bool> reduced(type.getRank(), op.getDims().empty());
  double count = 1;
  for (int64_t d : op.getDims())
    reduced[d] = true;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (reduced[i])
      count *= type.getDimSize(i);
  Value sum = reduce(b, loc, input, reduced, 0.0, addf);
  if (std::is_same_v<OpTy, nn::MeanOp>) {
    RankedTensorType sumType = tensorType(sum);
    sum = elementwise(b, loc, sumType, sum,
                      [&](OpBuilder &nb, Location nloc, ValueRange args) {
                        Scalar s{nb, nloc, sumType.getElementType()};
                        return s.mul(args[0], s.c(1 / count));
                      });
  }
  return reshape(b, loc, sum, cast<RankedTensorType>(op.getType()));
}

NNC_LOWERING(SumLowering, nn::SumOp) {
  return SmallVector<Value>{lowerReduction(op, a.getInput(), b, loc)};
}

NNC_LOWERING(MeanLowering, nn::MeanOp) {
  return SmallVector<Value>{lowerReduction(op, a.getInput(), b, loc)};
}

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

/// A parallel generic with several results of `type`.
SmallVector<Value> elementwiseMulti(OpBuilder &b, Location loc,
                                    RankedTensorType type, ValueRange inputs,
                                    unsigned numResults, MultiBodyFn body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps(inputs.size() + numResults,
                              AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<Value> inits;
  for (unsigned i = 0; i < numResults; ++i)
    inits.push_back(empty(b, loc, type));
  SmallVector<Type> types(numResults, type);
  SmallVector<IteratorType> iters(rank, IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, types, inputs, inits, maps, iters,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc,
                                body(nb, nloc, args.take_front(inputs.size())));
      });
  return SmallVector<Value>(generic.getResults());
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

/// Every activation, from its one definition (ActivationOpInterface).
struct ActivationLowering
    : OpInterfaceConversionPattern<nn::ActivationOpInterface> {
  using OpInterfaceConversionPattern::OpInterfaceConversionPattern;
  LogicalResult
  matchAndRewrite(nn::ActivationOpInterface op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    nn::Activation act = op.getActivation();
    Value result = elementwise(
        rewriter, op.getLoc(), type, operands,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return act.build(b, loc, args[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

void populateElementwise(RewritePatternSet &patterns) {
  using V = ValueRange;
  addElementwise<nn::AddOp>(
      patterns, [](auto, Scalar &s, V v) { return s.add(v[0], v[1]); });
  addElementwise<nn::SubOp>(
      patterns, [](auto, Scalar &s, V v) { return s.sub(v[0], v[1]); });
  addElementwise<nn::MulOp>(
      patterns, [](auto, Scalar &s, V v) { return s.mul(v[0], v[1]); });
  addElementwise<nn::DivOp>(
      patterns, [](auto, Scalar &s, V v) { return s.div(v[0], v[1]); });
  addElementwise<nn::NegOp>(patterns,
                            [](auto, Scalar &s, V v) { return s.neg(v[0]); });
  addElementwise<nn::ScaleOp>(patterns, [](nn::ScaleOp op, Scalar &s, V v) {
    return s.mul(v[0], s.c(op.getFactor().convertToDouble()));
  });
  addElementwise<nn::ExpOp>(patterns,
                            [](auto, Scalar &s, V v) { return s.exp(v[0]); });
  addElementwise<nn::LogOp>(patterns,
                            [](auto, Scalar &s, V v) { return s.log(v[0]); });
  addElementwise<nn::SqrtOp>(patterns,
                             [](auto, Scalar &s, V v) { return s.sqrt(v[0]); });
  addElementwise<nn::ActivationGradOp>(
      patterns, [](nn::ActivationGradOp op, Scalar &s, V v) {
        return op.getActivation().buildGradient(s.b, s.loc, v[0], v[1], v[2]);
      });
  patterns.add<ActivationLowering>(patterns.getContext());
}

struct ConvertNNToLinalgPass
    : nnc::impl::ConvertNNToLinalgPassBase<ConvertNNToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<nn::NNDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           func::FuncDialect>();
    RewritePatternSet patterns(ctx);
    populateElementwise(patterns);
    patterns
        .add<DenseLowering, MatmulLowering, TransposeLowering, ReshapeLowering,
             BroadcastLowering, ConcatLowering, SumLowering, MeanLowering,
             SoftmaxLowering, LogSoftmaxLowering, OneHotLowering,
             CrossEntropyLowering, MseLowering, BceLowering,
             ClipGradNormLowering, GradientRmsLowering, SgdUpdateLowering,
             AdamUpdateLowering, Conv2dLowering, Conv2dGradInputLowering,
             Conv2dGradWeightLowering, MaxPool2dLowering, MaxPool2dGradLowering,
             AvgPool2dLowering, AvgPool2dGradLowering, BatchNormLowering,
             BatchNormGradLowering, LayerNormLowering, DropoutLowering>(ctx);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
