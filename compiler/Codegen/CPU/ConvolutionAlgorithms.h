//===- ConvolutionAlgorithms.h - CPU algorithms for convolutions -*- C++
//-*-===//
//
// The algorithms nnc-cpu-strategy chooses between for the three forms of a
// 2-D convolution, and the rule that chooses.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_CODEGEN_CPU_CONVOLUTIONALGORITHMS_H
#define NNC_COMPILER_CODEGEN_CPU_CONVOLUTIONALGORITHMS_H

#include "compiler/Codegen/CPU/TilePlan.h"
#include "compiler/Conversion/NNToLinalg/Windows.h"

#include <optional>

namespace nnc::cpu {

/// The three convolutions of a training step.
enum class ConvForm {
  /// `y = conv(x, w) + bias`.
  Forward,
  /// `dx` from `dy` and `w`: the transposed convolution.
  GradInput,
  /// `dw` from `x` and `dy`.
  GradWeight,
};

/// How a convolution is computed.
enum class ConvAlgorithm {
  /// Stride 1: one window contraction on a flat, gap-padded,
  /// channels-innermost copy of the input (no im2col).
  Direct,
  /// Strided: the direct algorithm on the space-to-depth input.
  SpaceToDepth,
  /// One strided copy per kernel offset, then a matrix product per group.
  Im2col,
};

const char *stringifyConvAlgorithm(ConvAlgorithm algorithm);
std::optional<ConvAlgorithm> symbolizeConvAlgorithm(llvm::StringRef name);

/// The algorithm for a convolution of this form and geometry: direct where
/// it applies (for the weight gradient only with four input channels or
/// more, where a register tile fills), else space-to-depth where it costs
/// at most twice the work, else im2col.
ConvAlgorithm chooseConvAlgorithm(ConvForm form,
                                  const nn_to_linalg::Window &window,
                                  int64_t groups, int64_t inputChannels);

/// Whether `algorithm` can compute a convolution of this geometry.
bool supportsConvAlgorithm(ConvAlgorithm algorithm,
                           const nn_to_linalg::Window &window, int64_t groups);

/// `conv(x, weight) + bias` (`bias` may be null) of result type `type`, by
/// `algorithm`, which must support the geometry. `vector` (the target's
/// registers) decides between the direct forms (windowOverValidPositions).
mlir::Value buildConv2d(mlir::OpBuilder &b, mlir::Location loc,
                        ConvAlgorithm algorithm, mlir::Value x,
                        mlir::Value weight, mlir::Value bias,
                        const nn_to_linalg::Window &window, int64_t groups,
                        mlir::RankedTensorType type, const VectorShape &vector);

/// The input gradient (`type`: the input's) of a convolution with `weight`.
mlir::Value buildConv2dGradInput(mlir::OpBuilder &b, mlir::Location loc,
                                 ConvAlgorithm algorithm,
                                 mlir::Value resultGrad, mlir::Value weight,
                                 const nn_to_linalg::Window &window,
                                 int64_t groups, mlir::RankedTensorType type,
                                 const VectorShape &vector);

/// The weight gradient (`type`: the weight's) of a convolution of `x`.
mlir::Value buildConv2dGradWeight(mlir::OpBuilder &b, mlir::Location loc,
                                  ConvAlgorithm algorithm, mlir::Value x,
                                  mlir::Value resultGrad,
                                  const nn_to_linalg::Window &window,
                                  int64_t groups, mlir::RankedTensorType type);

} // namespace nnc::cpu

#endif // NNC_COMPILER_CODEGEN_CPU_CONVOLUTIONALGORITHMS_H
