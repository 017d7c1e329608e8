//===- Utils.h - Shared helpers of convert-nn-to-linalg ---------*- C++ -*-===//
//
// Builders for the linalg forms that several op families lower to, and
// the pattern base that each family's lowerings derive from. Private to
// compiler/Conversion/NNToLinalg/.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_CONVERSION_NNTOLINALG_UTILS_H
#define NNC_COMPILER_CONVERSION_NNTOLINALG_UTILS_H

#include "dialects/NN/IR/NNOps.h"
#include "dialects/NN/IR/ScalarMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

#include <functional>

namespace nnc::nn_to_linalg {

using namespace mlir;
namespace nn = mlir::nn;
using utils::IteratorType;

//===----------------------------------------------------------------------===//
// Builders
//===----------------------------------------------------------------------===//

/// The ranked tensor type of `v`.
RankedTensorType tensorType(Value v);

/// A scalar constant of `type` (float or integer).
Value constant(OpBuilder &b, Location loc, Type type, double value);

/// An uninitialized tensor of `type`, the destination of a linalg op.
Value empty(OpBuilder &b, Location loc, RankedTensorType type);

/// A tensor of `type` filled with `value`.
Value filled(OpBuilder &b, Location loc, RankedTensorType type, double value);

/// `x` transposed: result dimension `i` is dimension `permutation[i]` of
/// `x`.
Value transpose(OpBuilder &b, Location loc, Value x,
                ArrayRef<int64_t> permutation);

/// Map of a tensor whose dimensions are the iteration dimensions `dims` of
/// a rank-`rank` iteration space; 0-d tensors broadcast everywhere.
AffineMap projection(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> dims);

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

using MultiBodyFn =
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>;

/// A parallel linalg.generic over `type`'s shape. Each input has `type`'s
/// shape or is 0-d (a broadcast scalar). `body` gets one scalar per input.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange inputs, BodyFn body);

/// Reduces `input` over the dimensions marked in `reduced` with `combine`,
/// starting from `init`; the result keeps the other dimensions in order.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced,
             double init,
             function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
             BodyFn map = nullptr, Type resultElementType = nullptr);

/// Reduction bodies: `acc + x` and `max(acc, x)`.
Value addf(OpBuilder &b, Location loc, Value acc, Value x);
Value maxf(OpBuilder &b, Location loc, Value acc, Value x);

/// Sums every element of `input` into a 0-d tensor, applying `map` first.
Value sumAll(OpBuilder &b, Location loc, Value input, BodyFn map = nullptr,
             Type resultElementType = nullptr);

/// Reads a 0-d tensor as a scalar.
Value scalarOf(OpBuilder &b, Location loc, Value tensor0d);

/// `x` in `y`'s element type.
Value castTo(OpBuilder &b, Location loc, Value x, Type type);

/// Scalar math used by several ops: arith and math ops on one type.
using Scalar = nn::ScalarBuilder;

/// `1 / sqrt(var + eps)` elementwise.
Value invStdOf(OpBuilder &b, Location loc, Value var, double eps);

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
void yieldMulAdd(OpBuilder &b, Location loc, ValueRange args);

/// Any static reshape: collapse to 1-D, then expand to the target.
Value reshape(OpBuilder &b, Location loc, Value input, RankedTensorType target);

/// A parallel generic with several results of `type`.
SmallVector<Value> elementwiseMulti(OpBuilder &b, Location loc,
                                    RankedTensorType type, ValueRange inputs,
                                    unsigned numResults, MultiBodyFn body);

/// `out[m, n] += lhs[...] * rhs[...]` with the operand maps chosen by the
/// transposes; `init` holds the starting value (zeros or a broadcast bias).
Value contraction(OpBuilder &b, Location loc, Value lhs, Value rhs, Value init,
                  bool transposeLhs, bool transposeRhs);

} // namespace nnc::nn_to_linalg

#endif // NNC_COMPILER_CONVERSION_NNTOLINALG_UTILS_H
