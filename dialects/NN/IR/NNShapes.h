//===- NNShapes.h - Shape rules of nn ops -----------------------*- C++ -*-===//
//
// The shape rules of `nn` ops, shared by the op verifiers and the model
// language frontend so that both report the same conditions. Each rule takes
// the operand types, reports a violated condition through `ShapeDiag`, and
// returns the result type.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECTS_NN_IR_NNSHAPES_H
#define NNC_DIALECTS_NN_IR_NNSHAPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>

namespace mlir::nn {

/// Where shape errors go and how types are spelled in them. The dialect
/// spells types as MLIR does (`tensor<4x8xf32>`); the model-language frontend
/// spells them as the language does (`f32[4, 8]`).
struct ShapeDiag {
  /// Starts an error message; may return an inactive diagnostic to stay
  /// silent (when inferring types without a location).
  llvm::function_ref<InFlightDiagnostic()> emitError;
  /// Spells a type in a message.
  llvm::function_ref<std::string(Type)> spell;
};

/// Spells `type` as MLIR prints it.
std::string spellMLIRType(Type type);

/// `[batch, in] x [out, in] (+ [out]) -> [batch, out]`.
FailureOr<RankedTensorType> inferDenseType(const ShapeDiag &diag,
                                           RankedTensorType input,
                                           RankedTensorType weight,
                                           RankedTensorType bias);

/// `op(lhs) @ op(rhs)` for 2-D operands.
FailureOr<RankedTensorType>
inferMatmulType(const ShapeDiag &diag, RankedTensorType lhs,
                RankedTensorType rhs, bool transposeLhs, bool transposeRhs);

/// Elementwise binary ops: both operands have one type.
FailureOr<RankedTensorType> inferElementwiseType(const ShapeDiag &diag,
                                                 RankedTensorType lhs,
                                                 RankedTensorType rhs);

/// Checks that `dim` names a dimension of `type`; returns it normalized to
/// `[0, rank)` (negative values count from the end).
FailureOr<int64_t> checkDim(const ShapeDiag &diag, RankedTensorType type,
                            int64_t dim);

/// Transpose by `permutation`.
FailureOr<RankedTensorType> inferTransposeType(const ShapeDiag &diag,
                                               RankedTensorType input,
                                               ArrayRef<int64_t> permutation);

/// Concatenation along `dim`.
FailureOr<RankedTensorType> inferConcatType(const ShapeDiag &diag,
                                            ArrayRef<RankedTensorType> inputs,
                                            int64_t dim);

/// Reduction over `dims` (all when empty).
FailureOr<RankedTensorType> inferReduceType(const ShapeDiag &diag,
                                            RankedTensorType input,
                                            ArrayRef<int64_t> dims,
                                            bool keepdim);

/// Reshape to `shape`, where at most one entry may be -1 (inferred).
FailureOr<RankedTensorType> inferReshapeType(const ShapeDiag &diag,
                                             RankedTensorType input,
                                             ArrayRef<int64_t> shape);

/// `[batch, in, h, w] x [out, in / groups, kh, kw] (+ [out])` ->
/// `[batch, out, oh, ow]`.
FailureOr<RankedTensorType>
inferConv2dType(const ShapeDiag &diag, RankedTensorType input,
                RankedTensorType weight, RankedTensorType bias,
                ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                ArrayRef<int64_t> dilation, int64_t groups);

/// `[batch, channels, h, w]` -> `[batch, channels, oh, ow]` for pooling with
/// `kernel`, `stride` and `padding` (at most half the kernel).
FailureOr<RankedTensorType> inferPool2dType(const ShapeDiag &diag,
                                            RankedTensorType input,
                                            ArrayRef<int64_t> kernel,
                                            ArrayRef<int64_t> stride,
                                            ArrayRef<int64_t> padding);

/// Batch normalization of `[batch, channels, ...]` with `[channels]`
/// weight, bias and running statistics; returns the input's type.
FailureOr<RankedTensorType>
inferBatchNormType(const ShapeDiag &diag, RankedTensorType input,
                   ArrayRef<RankedTensorType> perChannel, double momentum,
                   double eps);

/// Layer normalization of `input` over the trailing dimensions that
/// `weight` and `bias` have; returns the input's type.
FailureOr<RankedTensorType>
inferLayerNormType(const ShapeDiag &diag, RankedTensorType input,
                   RankedTensorType weight, RankedTensorType bias, double eps);

/// Cross-entropy of `[batch, classes]` logits against `[batch]` labels.
FailureOr<RankedTensorType> inferCrossEntropyType(const ShapeDiag &diag,
                                                  RankedTensorType logits,
                                                  RankedTensorType labels);

/// Losses comparing a prediction with a target of the same shape.
FailureOr<RankedTensorType> inferPairwiseLossType(const ShapeDiag &diag,
                                                  RankedTensorType input,
                                                  RankedTensorType target);

} // namespace mlir::nn

#endif // NNC_DIALECTS_NN_IR_NNSHAPES_H
