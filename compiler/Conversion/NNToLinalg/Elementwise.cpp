//===- Elementwise.cpp - Elementwise arithmetic and activations -----------===//
//
// Each elementwise op is one parallel generic over its result; activations
// take their scalar body from their definition (ActivationOpInterface).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/NNToLinalg/Utils.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

/// Every activation, from its one definition (ActivationOpInterface).
struct ActivationLowering
    : OpInterfaceConversionPattern<nn::ActivationOpInterface> {
  using OpInterfaceConversionPattern::OpInterfaceConversionPattern;
  LogicalResult
  matchAndRewrite(nn::ActivationOpInterface op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    nn::Activation act = op.getActivation();
    Value result =
        elementwise(rewriter, op.getLoc(), type, operands,
                    [&](OpBuilder &b, Location loc, ValueRange args) {
                      return act.build(b, loc, args[0]);
                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void nnc::populateNNToLinalgElementwisePatterns(RewritePatternSet &patterns) {
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
