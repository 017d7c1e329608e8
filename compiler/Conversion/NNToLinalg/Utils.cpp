//===- Utils.cpp - Shared helpers of convert-nn-to-linalg -----------------===//

#include "compiler/Conversion/NNToLinalg/Utils.h"

namespace nnc::nn_to_linalg {

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

AffineMap projection(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d : dims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

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

Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced,
             double init,
             function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
             BodyFn map, Type resultElementType) {
  RankedTensorType type = tensorType(input);
  SmallVector<int64_t> dims, keptShape;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    if (reduced[i])
      dims.push_back(i);
    else
      keptShape.push_back(type.getDimSize(i));
  }
  auto resultType = RankedTensorType::get(
      keptShape, resultElementType ? resultElementType : type.getElementType());
  return linalg::ReduceOp::create(
             b, loc, ValueRange{input},
             ValueRange{filled(b, loc, resultType, init)}, dims,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value x = map ? map(nb, nloc, args.take_front()) : args[0];
               // `acc op x`: linalg.reduce prints that order compactly.
               linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args[1], x));
             })
      ->getResult(0);
}

Value addf(OpBuilder &b, Location loc, Value acc, Value x) {
  return arith::AddFOp::create(b, loc, acc, x);
}

Value maxf(OpBuilder &b, Location loc, Value acc, Value x) {
  return arith::MaximumFOp::create(b, loc, acc, x);
}

Value sumAll(OpBuilder &b, Location loc, Value input, BodyFn map,
             Type resultElementType) {
  SmallVector<bool> all(tensorType(input).getRank(), true);
  return reduce(b, loc, input, all, 0.0, addf, map, resultElementType);
}

Value scalarOf(OpBuilder &b, Location loc, Value tensor0d) {
  return tensor::ExtractOp::create(b, loc, tensor0d, ValueRange{});
}

Value castTo(OpBuilder &b, Location loc, Value x, Type type) {
  if (x.getType() == type)
    return x;
  if (cast<FloatType>(x.getType()).getWidth() <
      cast<FloatType>(type).getWidth())
    return arith::ExtFOp::create(b, loc, type, x);
  return arith::TruncFOp::create(b, loc, type, x);
}

Value invStdOf(OpBuilder &b, Location loc, Value var, double eps) {
  return elementwise(b, loc, tensorType(var), var,
                     [&](OpBuilder &nb, Location nloc, ValueRange v) {
                       Scalar s{nb, nloc, tensorType(var).getElementType()};
                       return s.div(s.c(1), s.sqrt(s.add(v[0], s.c(eps))));
                     });
}

void yieldMulAdd(OpBuilder &b, Location loc, ValueRange args) {
  Value prod = arith::MulFOp::create(b, loc, args[0], args[1]);
  linalg::YieldOp::create(
      b, loc, ValueRange{arith::AddFOp::create(b, loc, args[2], prod)});
}

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

} // namespace nnc::nn_to_linalg
