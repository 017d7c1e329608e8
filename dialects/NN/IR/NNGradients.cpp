//===- NNGradients.cpp - Gradient rules of nn ops -------------------------===//
//
// The vector-Jacobian product of every differentiable `nn` op, through
// GradientOpInterface. Rules build `nn` ops on value-semantic tensors and
// reuse the forward operands and results; canonicalization cleans up
// multiplications by a unit cotangent.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::nn;

namespace {
/// Small builder helpers shared by the rules.
struct Rule {
  OpBuilder &b;
  Location loc;

  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value scale(Value x, double f) {
    return ScaleOp::create(b, loc, x, b.getF64FloatAttr(f));
  }
  /// Broadcasts `x` to `type`, operand dimension i going to `dims[i]`.
  Value broadcast(Value x, Type type, ArrayRef<int64_t> dims) {
    if (x.getType() == type)
      return x;
    return BroadcastOp::create(b, loc, type, x, b.getDenseI64ArrayAttr(dims));
  }
  /// Sums `x` over `dims`.
  Value sum(Value x, ArrayRef<int64_t> dims) {
    return SumOp::create(b, loc, x, b.getDenseI64ArrayAttr(dims), UnitAttr());
  }
  /// Multiplies `x` by the scalar cotangent `dy` (a 0-d tensor).
  Value timesScalar(Value x, Value dy) {
    return mul(x, broadcast(dy, x.getType(), {}));
  }
  /// A constant tensor of `type` filled with `value`.
  Value splat(Type type, double value) {
    auto tensor = cast<RankedTensorType>(type);
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(tensor,
                               b.getFloatAttr(tensor.getElementType(), value)));
  }
  /// Mean of `x` over `dims` (which must not be empty).
  Value mean(Value x, ArrayRef<int64_t> dims) {
    return MeanOp::create(b, loc, x, b.getDenseI64ArrayAttr(dims), UnitAttr());
  }
  /// `1 / sqrt(var + eps)`.
  Value invStd(Value var, double eps) {
    Type type = var.getType();
    return div(splat(type, 1.0),
               SqrtOp::create(b, loc, add(var, splat(type, eps))));
  }
  /// Undoes a reduction along `dim` of `like`: `x` lacks that dimension.
  Value expandAlong(Value x, Value like, int64_t dim) {
    auto type = cast<RankedTensorType>(like.getType());
    SmallVector<int64_t> dims;
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (i != dim)
        dims.push_back(i);
    return broadcast(x, type, dims);
  }
};

int64_t numElements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}
} // namespace

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                   SmallVectorImpl<Value> &dx) {
  dx.append({dy[0], dy[0]});
  return success();
}

LogicalResult SubOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                   SmallVectorImpl<Value> &dx) {
  dx.append({dy[0], Rule{b, loc}.neg(dy[0])});
  return success();
}

LogicalResult MulOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                   SmallVectorImpl<Value> &dx) {
  Rule r{b, loc};
  dx.append({r.mul(dy[0], getRhs()), r.mul(dy[0], getLhs())});
  return success();
}

LogicalResult DivOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                   SmallVectorImpl<Value> &dx) {
  // d(a/b)/db = -(a/b)/b: reuse the quotient.
  Rule r{b, loc};
  dx.append({r.div(dy[0], getRhs()),
             r.neg(r.mul(dy[0], r.div(getResult(), getRhs())))});
  return success();
}

LogicalResult NegOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                   SmallVectorImpl<Value> &dx) {
  dx.push_back(Rule{b, loc}.neg(dy[0]));
  return success();
}

LogicalResult ScaleOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                     SmallVectorImpl<Value> &dx) {
  dx.push_back(Rule{b, loc}.scale(dy[0], getFactor().convertToDouble()));
  return success();
}

LogicalResult ExpOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                   SmallVectorImpl<Value> &dx) {
  dx.push_back(Rule{b, loc}.mul(dy[0], getResult()));
  return success();
}

LogicalResult LogOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                   SmallVectorImpl<Value> &dx) {
  dx.push_back(Rule{b, loc}.div(dy[0], getInput()));
  return success();
}

LogicalResult SqrtOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  Rule r{b, loc};
  dx.push_back(r.scale(r.div(dy[0], getResult()), 0.5));
  return success();
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

// Activations share one rule, buildActivationGradient (NNActivations.cpp).

LogicalResult SoftmaxOp::buildGradient(OpBuilder &b, Location loc,
                                       ValueRange dy,
                                       SmallVectorImpl<Value> &dx) {
  // dx = y * (dy - sum(dy * y, dim)).
  Rule r{b, loc};
  Value y = getResult();
  auto dim = static_cast<int64_t>(getDim());
  Value dot = r.sum(r.mul(dy[0], y), {dim});
  dx.push_back(r.mul(y, r.sub(dy[0], r.expandAlong(dot, y, dim))));
  return success();
}

LogicalResult LogSoftmaxOp::buildGradient(OpBuilder &b, Location loc,
                                          ValueRange dy,
                                          SmallVectorImpl<Value> &dx) {
  // dx = dy - softmax(x) * sum(dy, dim), with softmax(x) = exp(y).
  Rule r{b, loc};
  Value y = getResult();
  auto dim = static_cast<int64_t>(getDim());
  Value total = r.sum(dy[0], {dim});
  Value softmax = ExpOp::create(b, loc, y);
  dx.push_back(r.sub(dy[0], r.mul(softmax, r.expandAlong(total, y, dim))));
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra and shapes
//===----------------------------------------------------------------------===//

LogicalResult DenseOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                     SmallVectorImpl<Value> &dx) {
  // y = x W^T + b: dx = dy W, dW = dy^T x, db = sum_batch(dy).
  Rule r{b, loc};
  dx.push_back(MatmulOp::create(b, loc, dy[0], getWeight()));
  dx.push_back(
      MatmulOp::create(b, loc, dy[0], getInput(), b.getUnitAttr(), UnitAttr()));
  if (getBias())
    dx.push_back(r.sum(dy[0], {0}));
  return success();
}

LogicalResult MatmulOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                      SmallVectorImpl<Value> &dx) {
  // With C = op(A) op(B): dop(A) = dC op(B)^T and dop(B) = op(A)^T dC; the
  // transposes fold into the flags of the two products.
  Value a = getLhs(), c = getRhs(), g = dy[0];
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  UnitAttr yes = b.getUnitAttr(), no;
  auto matmul = [&](Value l, Value r, bool tl, bool tr) -> Value {
    return MatmulOp::create(b, loc, l, r, tl ? yes : no, tr ? yes : no);
  };
  Value da = ta ? matmul(c, g, tb, true) : matmul(g, c, false, !tb);
  Value dc = tb ? matmul(g, a, true, ta) : matmul(a, g, !ta, false);
  dx.append({da, dc});
  return success();
}

LogicalResult TransposeOp::buildGradient(OpBuilder &b, Location loc,
                                         ValueRange dy,
                                         SmallVectorImpl<Value> &dx) {
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  dx.push_back(
      TransposeOp::create(b, loc, dy[0], b.getDenseI64ArrayAttr(inverse)));
  return success();
}

LogicalResult ReshapeOp::buildGradient(OpBuilder &b, Location loc,
                                       ValueRange dy,
                                       SmallVectorImpl<Value> &dx) {
  dx.push_back(ReshapeOp::create(b, loc, getInput().getType(), dy[0]));
  return success();
}

LogicalResult BroadcastOp::buildGradient(OpBuilder &b, Location loc,
                                         ValueRange dy,
                                         SmallVectorImpl<Value> &dx) {
  // Sum over the dimensions the broadcast created.
  SmallVector<int64_t> created;
  for (int64_t i = 0, e = cast<RankedTensorType>(getType()).getRank(); i < e;
       ++i)
    if (!llvm::is_contained(getDims(), i))
      created.push_back(i);
  dx.push_back(created.empty() ? dy[0] : Rule{b, loc}.sum(dy[0], created));
  return success();
}

LogicalResult ConcatOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                      SmallVectorImpl<Value> &dx) {
  auto type = cast<RankedTensorType>(getType());
  int64_t offset = 0, dim = getDim();
  for (Value input : getInputs()) {
    auto inputType = cast<RankedTensorType>(input.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
    for (int64_t d : inputType.getShape())
      sizes.push_back(b.getIndexAttr(d));
    offsets[dim] = b.getIndexAttr(offset);
    offset += inputType.getDimSize(dim);
    dx.push_back(tensor::ExtractSliceOp::create(b, loc, inputType, dy[0],
                                                offsets, sizes, strides));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

LogicalResult Conv2dOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                      SmallVectorImpl<Value> &dx) {
  // Both cotangents are convolutions themselves; dedicated ops keep the
  // forward geometry so the lowering can reuse the forward's im2col layout.
  dx.push_back(Conv2dGradInputOp::create(
      b, loc, getInput().getType(), dy[0], getWeight(), getStrideAttr(),
      getPaddingAttr(), getDilationAttr(), getGroupsAttr()));
  dx.push_back(Conv2dGradWeightOp::create(
      b, loc, getWeight().getType(), dy[0], getInput(), getStrideAttr(),
      getPaddingAttr(), getDilationAttr(), getGroupsAttr()));
  if (getBias())
    dx.push_back(Rule{b, loc}.sum(dy[0], {0, 2, 3}));
  return success();
}

LogicalResult MaxPool2dOp::buildGradient(OpBuilder &b, Location loc,
                                         ValueRange dy,
                                         SmallVectorImpl<Value> &dx) {
  dx.push_back(MaxPool2dGradOp::create(b, loc, getInput(), dy[0],
                                       getKernelAttr(), getStrideAttr(),
                                       getPaddingAttr()));
  return success();
}

LogicalResult AvgPool2dOp::buildGradient(OpBuilder &b, Location loc,
                                         ValueRange dy,
                                         SmallVectorImpl<Value> &dx) {
  dx.push_back(AvgPool2dGradOp::create(b, loc, getInput().getType(), dy[0],
                                       getKernelAttr(), getStrideAttr(),
                                       getPaddingAttr()));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization and regularization
//===----------------------------------------------------------------------===//

/// The input cotangent of a normalization `xhat = (x - mean) * invstd` over
/// `dims` whose statistics depend on `x`: with `g = dy * weight`,
/// `dx = invstd * (g - mean(g) - xhat * mean(g * xhat))`, the means over
/// `dims` and `expand` broadcasting statistics back.
static Value normalizedInputGrad(Rule &r, Value g, Value xhat, Value invstd,
                                 ArrayRef<int64_t> dims,
                                 function_ref<Value(Value)> expand) {
  Value centered = r.sub(g, expand(r.mean(g, dims)));
  Value projected = r.mul(xhat, expand(r.mean(r.mul(g, xhat), dims)));
  return r.mul(expand(invstd), r.sub(centered, projected));
}

LogicalResult BatchNormOp::buildGradient(OpBuilder &b, Location loc,
                                         ValueRange dy,
                                         SmallVectorImpl<Value> &dx) {
  // The cotangents of the running-statistics results do not flow back
  // (they are state). In training mode one op computes all three
  // cotangents, the batch statistics recomputed from the forward input.
  if (getTraining()) {
    auto grad = BatchNormGradOp::create(b, loc, getInput(), getWeight(), dy[0],
                                        getEpsAttr());
    dx.append({grad.getInputGrad(), grad.getWeightGrad(), grad.getBiasGrad(),
               Value(), Value()});
    return success();
  }
  Rule r{b, loc};
  Value x = getInput();
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> dims = {0};
  for (int64_t i = 2; i < type.getRank(); ++i)
    dims.push_back(i);
  auto expand = [&](Value v) { return r.broadcast(v, type, {1}); };
  Value mean = getTraining() ? r.mean(x, dims) : getRunningMean();
  Value centered = r.sub(x, expand(mean));
  Value var =
      getTraining() ? r.mean(r.mul(centered, centered), dims) : getRunningVar();
  Value invstd = r.invStd(var, getEps().convertToDouble());
  Value xhat = r.mul(centered, expand(invstd));
  Value g = r.mul(dy[0], expand(getWeight()));
  Value dInput = getTraining()
                     ? normalizedInputGrad(r, g, xhat, invstd, dims, expand)
                     : r.mul(g, expand(invstd));
  dx.append({dInput, r.sum(r.mul(dy[0], xhat), dims), r.sum(dy[0], dims),
             Value(), Value()});
  return success();
}

LogicalResult LayerNormOp::buildGradient(OpBuilder &b, Location loc,
                                         ValueRange dy,
                                         SmallVectorImpl<Value> &dx) {
  Rule r{b, loc};
  Value x = getInput();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t lead = rank - cast<RankedTensorType>(getWeight().getType()).getRank();
  SmallVector<int64_t> leading, trailing;
  for (int64_t i = 0; i < rank; ++i)
    (i < lead ? leading : trailing).push_back(i);
  auto expand = [&](Value v) { return r.broadcast(v, type, leading); };
  // Over the leading dimensions; with none, nothing is reduced.
  auto sumLeading = [&](Value v) {
    return leading.empty() ? v : r.sum(v, leading);
  };
  Value centered = r.sub(x, expand(r.mean(x, trailing)));
  Value var = r.mean(r.mul(centered, centered), trailing);
  Value invstd = r.invStd(var, getEps().convertToDouble());
  Value xhat = r.mul(centered, expand(invstd));
  Value g = r.mul(dy[0], r.broadcast(getWeight(), type, trailing));
  dx.append({normalizedInputGrad(r, g, xhat, invstd, trailing, expand),
             sumLeading(r.mul(dy[0], xhat)), sumLeading(dy[0])});
  return success();
}

LogicalResult DropoutOp::buildGradient(OpBuilder &b, Location loc,
                                       ValueRange dy,
                                       SmallVectorImpl<Value> &dx) {
  // Dropout is linear for a fixed mask: the same mask (same seed, step,
  // offset and indices) applied to the cotangent. The step and the offset
  // have no gradient.
  dx.push_back(DropoutOp::create(b, loc, dy[0], getStep(), getOffset(),
                                 getPAttr(), getSeedAttr(), getTrainingAttr()));
  if (getStep())
    dx.push_back(Value());
  if (getOffset())
    dx.push_back(Value());
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// Broadcasts the cotangent of a reduction back to the input's shape.
template <typename ReduceOp>
static Value unreduce(OpBuilder &b, Location loc, ReduceOp op, Value dy) {
  auto inputType = cast<RankedTensorType>(op.getInput().getType());
  int64_t rank = inputType.getRank();
  SmallVector<bool> reduced(rank, op.getDims().empty());
  for (int64_t d : op.getDims())
    reduced[d] = true;
  SmallVector<int64_t> kept, keptShape;
  for (int64_t i = 0; i < rank; ++i)
    if (!reduced[i]) {
      kept.push_back(i);
      keptShape.push_back(inputType.getDimSize(i));
    }
  // With keepdim, drop the unit dimensions before broadcasting.
  auto squeezed = RankedTensorType::get(keptShape, inputType.getElementType());
  if (dy.getType() != squeezed)
    dy = ReshapeOp::create(b, loc, squeezed, dy);
  return Rule{b, loc}.broadcast(dy, inputType, kept);
}

LogicalResult SumOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                   SmallVectorImpl<Value> &dx) {
  dx.push_back(unreduce(b, loc, *this, dy[0]));
  return success();
}

LogicalResult MeanOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                    SmallVectorImpl<Value> &dx) {
  double count = static_cast<double>(numElements(getInput())) /
                 static_cast<double>(numElements(getResult()));
  dx.push_back(Rule{b, loc}.scale(unreduce(b, loc, *this, dy[0]), 1 / count));
  return success();
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::buildGradient(OpBuilder &b, Location loc,
                                            ValueRange dy,
                                            SmallVectorImpl<Value> &dx) {
  // dlogits = (softmax(logits) - onehot(labels)) / batch * dloss.
  Rule r{b, loc};
  Value logits = getLogits();
  auto type = cast<RankedTensorType>(logits.getType());
  Value probs = SoftmaxOp::create(b, loc, logits, 1);
  Value onehot = OneHotOp::create(b, loc, type, getLabels());
  Value grad = r.scale(r.sub(probs, onehot), 1.0 / type.getDimSize(0));
  dx.append({r.timesScalar(grad, dy[0]), Value()});
  return success();
}

LogicalResult MseOp::buildGradient(OpBuilder &b, Location loc, ValueRange dy,
                                   SmallVectorImpl<Value> &dx) {
  Rule r{b, loc};
  Value grad = r.timesScalar(
      r.scale(r.sub(getInput(), getTarget()), 2.0 / numElements(getInput())),
      dy[0]);
  dx.append({grad, r.neg(grad)});
  return success();
}

LogicalResult BceWithLogitsOp::buildGradient(OpBuilder &b, Location loc,
                                             ValueRange dy,
                                             SmallVectorImpl<Value> &dx) {
  // dlogits = (sigmoid(x) - t) / n, dtarget = -x / n, both times dloss.
  Rule r{b, loc};
  double n = numElements(getLogits());
  Value sig = SigmoidOp::create(b, loc, getLogits());
  dx.push_back(r.timesScalar(r.scale(r.sub(sig, getTarget()), 1 / n), dy[0]));
  dx.push_back(r.timesScalar(r.scale(getLogits(), -1 / n), dy[0]));
  return success();
}
