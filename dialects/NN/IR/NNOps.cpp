//===- NNOps.cpp - nn dialect operations ----------------------------------===//

#include "dialects/NN/IR/NNOps.h"
#include "dialects/NN/IR/NNActivations.h"
#include "dialects/NN/IR/NNShapes.h"

#include "mlir/Dialect/CommonFolders.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::nn;

namespace mlir::nn {
ParseResult parseInitBody(AsmParser &parser, InitAttr &attr);
void printInitBody(AsmPrinter &printer, InitAttr attr);
} // namespace mlir::nn

static ParseResult parseInit(OpAsmParser &parser, InitAttr &attr) {
  return parseInitBody(parser, attr);
}

static void printInit(OpAsmPrinter &printer, Operation *, InitAttr attr) {
  printInitBody(printer, attr);
}

#define GET_OP_CLASSES
#include "dialects/NN/IR/NNOps.cpp.inc"

bool mlir::nn::isModel(func::FuncOp func) {
  return func->hasAttr(NNDialect::kModelAttrName);
}

/// Runs a shape rule for type inference. Without a location the rule stays
/// silent; with one, its errors read like op verifier errors.
template <typename Rule>
static LogicalResult inferWith(std::optional<Location> loc, StringRef opName,
                               SmallVectorImpl<Type> &types, Rule &&rule) {
  auto emit = [&]() -> InFlightDiagnostic {
    if (!loc)
      return InFlightDiagnostic();
    return mlir::emitError(*loc) << "'" << opName << "' op ";
  };
  FailureOr<RankedTensorType> type = rule(ShapeDiag{emit, spellMLIRType});
  if (failed(type))
    return failure();
  types.push_back(*type);
  return success();
}

/// The IR keeps dimensions normalized to [0, rank); only the model language
/// counts them from the end.
static LogicalResult requireNonNegative(std::optional<Location> loc,
                                        StringRef opName,
                                        ArrayRef<int64_t> dims) {
  for (int64_t d : dims)
    if (d < 0)
      return emitOptionalError(loc, "'", opName,
                               "' op expects non-negative dimensions, got ", d);
  return success();
}

static RankedTensorType tensorType(Value v) {
  return v ? cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

void ParamOp::getAsmResultNames(OpAsmSetValueNameFn setNameFn) {
  // `%dense0.weight` reads better than `%0`; SSA names allow dots.
  std::string name;
  for (char c : getName())
    name.push_back(llvm::isAlnum(c) || c == '.' || c == '_' ? c : '_');
  setNameFn(getResult(), name);
}

LogicalResult ParamOp::verify() {
  if (getName().empty())
    return emitOpError() << "expects a non-empty name";
  return success();
}

//===----------------------------------------------------------------------===//
// BufferOp
//===----------------------------------------------------------------------===//

void BufferOp::getAsmResultNames(OpAsmSetValueNameFn setNameFn) {
  std::string name;
  for (char c : getName())
    name.push_back(llvm::isAlnum(c) || c == '.' || c == '_' ? c : '_');
  setNameFn(getResult(), name);
}

LogicalResult BufferOp::verify() {
  if (getName().empty())
    return emitOpError() << "expects a non-empty name";
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Returns true if `value` is a constant splat equal to `expected`.
static bool isSplatOf(Attribute value, double expected) {
  auto splat = dyn_cast_or_null<SplatElementsAttr>(value);
  if (!splat || !isa<FloatType>(splat.getElementType()))
    return false;
  return splat.getSplatValue<APFloat>().convertToDouble() == expected;
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 0.0))
    return getLhs();
  if (isSplatOf(adaptor.getLhs(), 0.0))
    return getRhs();
  return {};
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1.0))
    return getLhs();
  if (isSplatOf(adaptor.getLhs(), 1.0))
    return getRhs();
  return {};
}

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  return {};
}

OpFoldResult ScaleOp::fold(FoldAdaptor) {
  if (getFactor().convertToDouble() == 1.0)
    return getInput();
  return {};
}

namespace {
/// scale(scale(x, a), b) -> scale(x, a * b).
struct ComposeScales : OpRewritePattern<ScaleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScaleOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ScaleOp>();
    if (!inner)
      return rewriter.notifyMatchFailure(op, "input is not a scale");
    double factor =
        op.getFactor().convertToDouble() * inner.getFactor().convertToDouble();
    rewriter.replaceOpWithNewOp<ScaleOp>(op, inner.getInput(),
                                         rewriter.getF64FloatAttr(factor));
    return success();
  }
};

/// scale(neg(x), a) -> scale(x, -a).
struct FoldNegIntoScale : OpRewritePattern<ScaleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScaleOp op,
                                PatternRewriter &rewriter) const override {
    auto neg = op.getInput().getDefiningOp<NegOp>();
    if (!neg)
      return rewriter.notifyMatchFailure(op, "input is not a negation");
    rewriter.replaceOpWithNewOp<ScaleOp>(
        op, neg.getInput(),
        rewriter.getF64FloatAttr(-op.getFactor().convertToDouble()));
    return success();
  }
};
} // namespace

void ScaleOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                          MLIRContext *context) {
  patterns.add<ComposeScales, FoldNegIntoScale>(context);
}

LogicalResult SoftplusOp::verify() {
  if (getBeta().convertToDouble() <= 0)
    return emitOpError() << "expects a positive beta, got "
                         << getBeta().convertToDouble();
  return success();
}

template <typename SoftmaxLike>
static LogicalResult verifySoftmaxDim(SoftmaxLike op) {
  // The IR keeps dimensions normalized; only the frontend counts from the end.
  auto dim = static_cast<int64_t>(op.getDim());
  int64_t rank = cast<RankedTensorType>(op.getType()).getRank();
  if (dim < 0 || dim >= rank)
    return op.emitOpError()
           << "expects a dimension in [0, " << rank << "), got " << dim;
  return success();
}

LogicalResult SoftmaxOp::verify() { return verifySoftmaxDim(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxDim(*this); }

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

LogicalResult DenseOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferDenseType(d, tensorType(adaptor.getInput()),
                          tensorType(adaptor.getWeight()),
                          tensorType(adaptor.getBias()));
  });
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferMatmulType(
        d, tensorType(adaptor.getLhs()), tensorType(adaptor.getRhs()),
        adaptor.getTransposeLhs(), adaptor.getTransposeRhs());
  });
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferTransposeType(d, tensorType(adaptor.getInput()),
                              adaptor.getPermutation());
  });
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  if (llvm::equal(getPermutation(),
                  llvm::seq<int64_t>(0, getPermutation().size())))
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "expects the same element type, got " << in
                         << " and " << out;
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "expects the same number of elements, got " << in
                         << " (" << in.getNumElements() << ") and " << out
                         << " (" << out.getNumElements() << ")";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) -> reshape(x): only the final shape matters.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

LogicalResult BroadcastOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  ArrayRef<int64_t> dims = getDims();
  if (static_cast<int64_t>(dims.size()) != in.getRank())
    return emitOpError() << "expects one result dimension per operand "
                            "dimension, got "
                         << dims.size() << " for " << in;
  int64_t last = -1;
  for (auto [i, d] : llvm::enumerate(dims)) {
    if (d <= last || d >= out.getRank())
      return emitOpError() << "expects strictly increasing dimensions in [0, "
                           << out.getRank() << "), got " << d;
    last = d;
    if (in.getDimSize(i) != out.getDimSize(d))
      return emitOpError() << "expects operand dimension " << i << " ("
                           << in.getDimSize(i) << ") to equal result dimension "
                           << d << " (" << out.getDimSize(d) << ")";
  }
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "expects the same element type, got " << in
                         << " and " << out;
  return success();
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // Broadcasting a splat constant is a larger splat constant.
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    return SplatElementsAttr::get(cast<ShapedType>(getType()),
                                  splat.getSplatValue<Attribute>());
  return {};
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (failed(requireNonNegative(loc, getOperationName(),
                                static_cast<int64_t>(adaptor.getDim()))))
    return failure();
  SmallVector<RankedTensorType> inputs;
  for (Value v : adaptor.getInputs())
    inputs.push_back(tensorType(v));
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferConcatType(d, inputs, adaptor.getDim());
  });
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferConv2dType(
        d, tensorType(adaptor.getInput()), tensorType(adaptor.getWeight()),
        tensorType(adaptor.getBias()), adaptor.getStride(),
        adaptor.getPadding(), adaptor.getDilation(), adaptor.getGroups());
  });
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferPool2dType(d, tensorType(adaptor.getInput()),
                           adaptor.getKernel(), adaptor.getStride(),
                           adaptor.getPadding());
  });
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferPool2dType(d, tensorType(adaptor.getInput()),
                           adaptor.getKernel(), adaptor.getStride(),
                           adaptor.getPadding());
  });
}

/// Checks that the forward op the attributes describe, applied to `input`
/// (and `weight`), yields `resultGrad`'s type: the contract of the backward
/// ops, which take the forward attributes.
static LogicalResult verifyForwardType(
    Operation *op, RankedTensorType resultGrad,
    function_ref<FailureOr<RankedTensorType>(const ShapeDiag &)> rule) {
  auto emit = [&]() -> InFlightDiagnostic { return op->emitOpError(); };
  FailureOr<RankedTensorType> forward = rule(ShapeDiag{emit, spellMLIRType});
  if (failed(forward))
    return failure();
  if (*forward != resultGrad)
    return op->emitOpError()
           << "expects a result gradient of the forward result type "
           << *forward << ", got " << resultGrad;
  return success();
}

LogicalResult Conv2dGradInputOp::verify() {
  return verifyForwardType(
      *this, tensorType(getResultGrad()), [&](const ShapeDiag &d) {
        return inferConv2dType(d, tensorType(getResult()),
                               tensorType(getWeight()), RankedTensorType(),
                               getStride(), getPadding(), getDilation(),
                               getGroups());
      });
}

LogicalResult Conv2dGradWeightOp::verify() {
  return verifyForwardType(
      *this, tensorType(getResultGrad()), [&](const ShapeDiag &d) {
        return inferConv2dType(d, tensorType(getInput()),
                               tensorType(getResult()), RankedTensorType(),
                               getStride(), getPadding(), getDilation(),
                               getGroups());
      });
}

LogicalResult MaxPool2dGradOp::verify() {
  return verifyForwardType(
      *this, tensorType(getResultGrad()), [&](const ShapeDiag &d) {
        return inferPool2dType(d, tensorType(getInput()), getKernel(),
                               getStride(), getPadding());
      });
}

LogicalResult AvgPool2dGradOp::verify() {
  return verifyForwardType(
      *this, tensorType(getResultGrad()), [&](const ShapeDiag &d) {
        return inferPool2dType(d, tensorType(getResult()), getKernel(),
                               getStride(), getPadding());
      });
}

//===----------------------------------------------------------------------===//
// Normalization and regularization
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType weight = tensorType(adaptor.getWeight());
  if (failed(inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
        return inferBatchNormType(d, tensorType(adaptor.getInput()),
                                  {weight, tensorType(adaptor.getBias()),
                                   tensorType(adaptor.getRunningMean()),
                                   tensorType(adaptor.getRunningVar())},
                                  adaptor.getMomentum().convertToDouble(),
                                  adaptor.getEps().convertToDouble());
      })))
    return failure();
  types.append({weight, weight});
  return success();
}

bool BatchNormOp::isDifferentiableOperand(unsigned index) {
  // Running statistics are state, not functions of the parameters.
  return index < 3;
}

LogicalResult BatchNormGradOp::verify() {
  auto emit = [&]() -> InFlightDiagnostic { return emitOpError(); };
  auto weight = cast<RankedTensorType>(getWeight().getType());
  return inferBatchNormType(ShapeDiag{emit, spellMLIRType},
                            cast<RankedTensorType>(getInput().getType()),
                            {weight}, 0.0, getEps().convertToDouble());
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferLayerNormType(
        d, tensorType(adaptor.getInput()), tensorType(adaptor.getWeight()),
        tensorType(adaptor.getBias()), adaptor.getEps().convertToDouble());
  });
}

LogicalResult DropoutOp::verify() {
  double p = getP().convertToDouble();
  if (!(p >= 0 && p < 1))
    return emitOpError() << "expects a drop probability in [0, 1), got " << p;
  return success();
}

OpFoldResult DropoutOp::fold(FoldAdaptor) {
  if (!getTraining() || getP().convertToDouble() == 0)
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult SumOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  if (failed(requireNonNegative(loc, getOperationName(), adaptor.getDims())))
    return failure();
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferReduceType(d, tensorType(adaptor.getInput()), adaptor.getDims(),
                           adaptor.getKeepdim());
  });
}

LogicalResult MeanOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  if (failed(requireNonNegative(loc, getOperationName(), adaptor.getDims())))
    return failure();
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferReduceType(d, tensorType(adaptor.getInput()), adaptor.getDims(),
                           adaptor.getKeepdim());
  });
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferCrossEntropyType(d, tensorType(adaptor.getLogits()),
                                 tensorType(adaptor.getLabels()));
  });
}

LogicalResult MseOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferPairwiseLossType(d, tensorType(adaptor.getInput()),
                                 tensorType(adaptor.getTarget()));
  });
}

LogicalResult BceWithLogitsOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  return inferWith(loc, getOperationName(), types, [&](const ShapeDiag &d) {
    return inferPairwiseLossType(d, tensorType(adaptor.getLogits()),
                                 tensorType(adaptor.getTarget()));
  });
}

//===----------------------------------------------------------------------===//
// Training-step ops
//===----------------------------------------------------------------------===//

LogicalResult OneHotOp::verify() {
  auto labels = cast<RankedTensorType>(getLabels().getType());
  auto result = cast<RankedTensorType>(getType());
  if (result.getRank() != labels.getRank() + 1 ||
      result.getShape().drop_back() != labels.getShape())
    return emitOpError()
           << "expects a result of shape [labels..., classes], got " << result
           << " for labels " << labels;
  return success();
}

LogicalResult ClipGradNormOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  if (adaptor.getGradients().empty())
    return emitOptionalError(loc, "'nn.clip_grad_norm' op expects at least one "
                                  "gradient");
  if (!(adaptor.getMaxNorm().convertToDouble() > 0))
    return emitOptionalError(loc,
                             "'nn.clip_grad_norm' op expects a positive "
                             "max_norm, got ",
                             adaptor.getMaxNorm().convertToDouble());
  Type element = cast<RankedTensorType>(adaptor.getGradients()[0].getType())
                     .getElementType();
  for (Value g : adaptor.getGradients()) {
    if (cast<RankedTensorType>(g.getType()).getElementType() != element)
      return emitOptionalError(loc, "'nn.clip_grad_norm' op expects gradients "
                                    "of one element type");
    types.push_back(g.getType());
  }
  types.push_back(RankedTensorType::get({}, element));
  return success();
}

LogicalResult GradientRmsOp::verify() {
  if (getGradients().empty())
    return emitOpError("expects at least one gradient");
  int64_t size = getType().getDimSize(0);
  if (size != static_cast<int64_t>(getGradients().size()))
    return emitOpError("expects one result element per gradient (")
           << getGradients().size() << "), got " << size;
  return success();
}
