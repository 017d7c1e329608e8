//===- NNToLinalg.h - Patterns lowering nn ops to linalg --------*- C++ -*-===//
//
// The patterns of convert-nn-to-linalg, one set per op family, for passes
// that lower part of the dialect or add their own patterns beside these.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_CONVERSION_NNTOLINALG_NNTOLINALG_H
#define NNC_COMPILER_CONVERSION_NNTOLINALG_NNTOLINALG_H

#include "mlir/IR/PatternMatch.h"

namespace nnc {

/// Elementwise arithmetic, activations and `nn.activation_grad`.
void populateNNToLinalgElementwisePatterns(mlir::RewritePatternSet &patterns);
/// `nn.dense` and `nn.matmul`.
void populateNNToLinalgLinearPatterns(mlir::RewritePatternSet &patterns);
/// Transposes, reshapes, broadcasts and concatenation.
void populateNNToLinalgShapePatterns(mlir::RewritePatternSet &patterns);
/// `nn.conv2d` and its gradients.
void populateNNToLinalgConvolutionPatterns(mlir::RewritePatternSet &patterns);
/// Max and average pooling and their gradients.
void populateNNToLinalgPoolingPatterns(mlir::RewritePatternSet &patterns);
/// Batch and layer normalization and dropout.
void populateNNToLinalgNormalizationPatterns(mlir::RewritePatternSet &patterns);
/// `nn.sum` and `nn.mean`.
void populateNNToLinalgReductionPatterns(mlir::RewritePatternSet &patterns);
/// Softmax, log-softmax, one-hot labels and the losses.
void populateNNToLinalgLossPatterns(mlir::RewritePatternSet &patterns);
/// Gradient clipping, gradient RMS and the optimizer updates.
void populateNNToLinalgOptimizerPatterns(mlir::RewritePatternSet &patterns);

/// Every family above: the whole `nn` dialect.
void populateNNToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace nnc

#endif // NNC_COMPILER_CONVERSION_NNTOLINALG_NNTOLINALG_H
