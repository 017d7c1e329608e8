//===- NNToLinalg.cpp - Lower nn ops to linalg ----------------------------===//
//
// Each nn op becomes linalg structured ops on tensors. Elementwise work is
// written as linalg.generic so that linalg's elementwise fusion can merge a
// bias, an activation and its derivative into their neighbours.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/Passes.h"

#include "dialects/NN/IR/NNOps.h"

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

/// Scalar math used by several ops.
struct Scalar {
  OpBuilder &b;
  Location loc;
  Type type;
  Value c(double v) { return constant(b, loc, type, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value neg(Value x) { return arith::NegFOp::create(b, loc, x); }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  Value log(Value x) { return math::LogOp::create(b, loc, x); }
  Value log1p(Value x) { return math::Log1pOp::create(b, loc, x); }
  Value tanh(Value x) { return math::TanhOp::create(b, loc, x); }
  Value sqrt(Value x) { return math::SqrtOp::create(b, loc, x); }
  Value erf(Value x) { return math::ErfOp::create(b, loc, x); }
  Value abs(Value x) { return math::AbsFOp::create(b, loc, x); }
  Value max(Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  Value min(Value x, Value y) {
    return arith::MinimumFOp::create(b, loc, x, y);
  }
  Value gt(Value x, Value y) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  Value sigmoid(Value x) { return div(c(1), add(c(1), exp(neg(x)))); }
  /// Standard normal CDF.
  Value phi(Value x) {
    return mul(c(0.5), add(c(1), erf(mul(x, c(1 / llvm::numbers::sqrt2)))));
  }
};

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

/// `out[m, n] += lhs[...] * rhs[...]` with the operand maps chosen by the
/// transposes; `init` holds the starting value (zeros or a broadcast bias).
Value contraction(OpBuilder &b, Location loc, Value lhs, Value rhs, Value init,
                  bool transposeLhs, bool transposeRhs) {
  MLIRContext *ctx = b.getContext();
  // A product reads rows of its right operand along N; a transposed right
  // operand would be read down its columns. Transposing it once up front
  // (packing) is far cheaper than strided reads in the inner loop.
  if (transposeRhs) {
    RankedTensorType type = tensorType(rhs);
    auto packedType = RankedTensorType::get(
        {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
    rhs = linalg::TransposeOp::create(b, loc, rhs, empty(b, loc, packedType),
                                      ArrayRef<int64_t>{1, 0})
              .getResult()[0];
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
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs},
             ValueRange{init}, maps, iters,
             [](OpBuilder &nb, Location nloc, ValueRange args) {
               Value prod = arith::MulFOp::create(nb, nloc, args[0], args[1]);
               linalg::YieldOp::create(
                   nb, nloc,
                   ValueRange{arith::AddFOp::create(nb, nloc, args[2], prod)});
             })
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

/// The derivative of each activation, times the cotangent.
Value activationDerivative(nn::ActivationGradOp op, Scalar &s, Value x, Value y,
                           Value dy) {
  double alpha = op.getAlpha().convertToDouble();
  switch (op.getKind()) {
  case nn::ActivationKind::Relu:
    return s.select(s.gt(x, s.c(0)), dy, s.c(0));
  case nn::ActivationKind::LeakyRelu:
    return s.select(s.gt(x, s.c(0)), dy, s.mul(dy, s.c(alpha)));
  case nn::ActivationKind::Sigmoid:
    return s.mul(dy, s.mul(y, s.sub(s.c(1), y)));
  case nn::ActivationKind::Tanh:
    return s.mul(dy, s.sub(s.c(1), s.mul(y, y)));
  case nn::ActivationKind::Silu: {
    Value sig = s.sigmoid(x);
    return s.mul(dy, s.mul(sig, s.add(s.c(1), s.mul(x, s.sub(s.c(1), sig)))));
  }
  case nn::ActivationKind::Gelu: {
    // Phi(x) + x phi(x).
    Value pdf = s.mul(s.c(1 / std::sqrt(2 * llvm::numbers::pi)),
                      s.exp(s.mul(s.c(-0.5), s.mul(x, x))));
    return s.mul(dy, s.add(s.phi(x), s.mul(x, pdf)));
  }
  case nn::ActivationKind::GeluTanh: {
    double k = std::sqrt(2 / llvm::numbers::pi);
    Value x2 = s.mul(x, x);
    Value inner = s.mul(s.c(k), s.add(x, s.mul(s.c(0.044715), s.mul(x2, x))));
    Value t = s.tanh(inner);
    Value dinner = s.mul(s.c(k), s.add(s.c(1), s.mul(s.c(3 * 0.044715), x2)));
    Value d = s.add(
        s.mul(s.c(0.5), s.add(s.c(1), t)),
        s.mul(s.mul(s.c(0.5), x), s.mul(s.sub(s.c(1), s.mul(t, t)), dinner)));
    return s.mul(dy, d);
  }
  case nn::ActivationKind::Softplus: {
    double beta = op.getBeta().convertToDouble();
    double threshold = op.getThreshold().convertToDouble();
    Value bx = s.mul(x, s.c(beta));
    return s.select(s.gt(bx, s.c(threshold)), dy, s.mul(dy, s.sigmoid(bx)));
  }
  case nn::ActivationKind::Elu:
    // For x <= 0, elu(x) + alpha = alpha * exp(x).
    return s.select(s.gt(x, s.c(0)), dy, s.mul(dy, s.add(y, s.c(alpha))));
  }
  llvm_unreachable("unknown activation kind");
}

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
  addElementwise<nn::ReluOp>(
      patterns, [](auto, Scalar &s, V v) { return s.max(v[0], s.c(0)); });
  addElementwise<nn::LeakyReluOp>(
      patterns, [](nn::LeakyReluOp op, Scalar &s, V v) {
        Value slope = s.c(op.getNegativeSlope().convertToDouble());
        return s.select(s.gt(v[0], s.c(0)), v[0], s.mul(v[0], slope));
      });
  addElementwise<nn::SigmoidOp>(
      patterns, [](auto, Scalar &s, V v) { return s.sigmoid(v[0]); });
  addElementwise<nn::TanhOp>(patterns,
                             [](auto, Scalar &s, V v) { return s.tanh(v[0]); });
  addElementwise<nn::SiluOp>(patterns, [](auto, Scalar &s, V v) {
    return s.mul(v[0], s.sigmoid(v[0]));
  });
  addElementwise<nn::GeluOp>(patterns, [](nn::GeluOp op, Scalar &s, V v) {
    Value x = v[0];
    if (!op.getTanh())
      return s.mul(x, s.phi(x));
    double k = std::sqrt(2 / llvm::numbers::pi);
    Value inner =
        s.mul(s.c(k), s.add(x, s.mul(s.c(0.044715), s.mul(x, s.mul(x, x)))));
    return s.mul(s.mul(s.c(0.5), x), s.add(s.c(1), s.tanh(inner)));
  });
  addElementwise<nn::SoftplusOp>(patterns, [](nn::SoftplusOp op, Scalar &s,
                                              V v) {
    double beta = op.getBeta().convertToDouble();
    double threshold = op.getThreshold().convertToDouble();
    Value bx = s.mul(v[0], s.c(beta));
    // log(1 + exp(bx)) = max(bx, 0) + log1p(exp(-|bx|)), stable for any bx.
    Value soft = s.add(s.max(bx, s.c(0)), s.log1p(s.exp(s.neg(s.abs(bx)))));
    return s.select(s.gt(bx, s.c(threshold)), v[0], s.mul(soft, s.c(1 / beta)));
  });
  addElementwise<nn::EluOp>(patterns, [](nn::EluOp op, Scalar &s, V v) {
    Value alpha = s.c(op.getAlpha().convertToDouble());
    Value negative = s.mul(alpha, math::ExpM1Op::create(s.b, s.loc, v[0]));
    return s.select(s.gt(v[0], s.c(0)), v[0], negative);
  });
  addElementwise<nn::ExpOp>(patterns,
                            [](auto, Scalar &s, V v) { return s.exp(v[0]); });
  addElementwise<nn::LogOp>(patterns,
                            [](auto, Scalar &s, V v) { return s.log(v[0]); });
  addElementwise<nn::SqrtOp>(patterns,
                             [](auto, Scalar &s, V v) { return s.sqrt(v[0]); });
  addElementwise<nn::ActivationGradOp>(
      patterns, [](nn::ActivationGradOp op, Scalar &s, V v) {
        return activationDerivative(op, s, v[0], v[1], v[2]);
      });
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
    patterns.add<DenseLowering, MatmulLowering, TransposeLowering,
                 ReshapeLowering, BroadcastLowering, ConcatLowering,
                 SumLowering, MeanLowering, SoftmaxLowering, LogSoftmaxLowering,
                 OneHotLowering, CrossEntropyLowering, MseLowering, BceLowering,
                 ClipGradNormLowering, GradientRmsLowering, SgdUpdateLowering,
                 AdamUpdateLowering>(ctx);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
