//===- NNToLinalg.cpp - Lower nn ops to linalg ----------------------------===//
//
// Each nn op becomes linalg structured ops on tensors; the patterns live
// with their op family (Elementwise.cpp, Linear.cpp, ...). Elementwise work
// is written as linalg.generic so that linalg's elementwise fusion can
// merge a bias, an activation and its derivative into their neighbours.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/Passes.h"

#include "dialects/NN/IR/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace nnc {
#define GEN_PASS_DEF_CONVERTNNTOLINALGPASS
#include "compiler/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;

void nnc::populateNNToLinalgPatterns(RewritePatternSet &patterns) {
  populateNNToLinalgElementwisePatterns(patterns);
  populateNNToLinalgLinearPatterns(patterns);
  populateNNToLinalgShapePatterns(patterns);
  populateNNToLinalgConvolutionPatterns(patterns);
  populateNNToLinalgPoolingPatterns(patterns);
  populateNNToLinalgNormalizationPatterns(patterns);
  populateNNToLinalgReductionPatterns(patterns);
  populateNNToLinalgLossPatterns(patterns);
  populateNNToLinalgOptimizerPatterns(patterns);
}

namespace {

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
    nnc::populateNNToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
