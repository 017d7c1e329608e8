//===- GradientFlowOpInterface.td - Gradient-flow rules ----*- tablegen -*-===//
//
// Each op states how the statistics of its values at initialization pass
// through it, forwards (activations) and backwards (expected squared
// gradients), so that the gradient-flow analysis only walks the graph and
// never needs to know an op.
//
//===----------------------------------------------------------------------===//

#ifndef NN_GRADIENT_FLOW_OP_INTERFACE_TD
#define NN_GRADIENT_FLOW_OP_INTERFACE_TD

include "mlir/IR/OpBase.td"

def NN_GradientFlowOpInterface : OpInterface<"GradientFlowOpInterface"> {
  let cppNamespace = "::mlir::nn";
  let description = [{
    The gradient-flow rule of an op: how the moments of its values at
    initialization propagate. Every tensor is summarised by the mean and the
    second moment of its elements and by the part of their variance that is
    shared by all the examples of a batch (`FlowMoments`); every cotangent
    by the expected square of its elements and the part shared across the
    batch (`FlowGradient`). The shared parts matter: once activations have a
    non-zero mean, every example sees the same per-unit offsets, and
    gradients summed over a batch grow with its square. Rules treat the
    elements of different operands as independent, and the elements within
    a tensor as identically distributed: the assumptions of mean-field
    analyses of deep networks (Poole et al. 2016, Schoenholz et al. 2017),
    which hold at initialization for layers of reasonable width.
  }];
  let methods = [
    InterfaceMethod<[{
        Computes the moments of every result from those of the operands
        (one entry per operand, zero for integer operands) and appends one
        entry per result to `results`.
      }],
      "void", "inferFlowMoments",
      (ins "::llvm::ArrayRef<::mlir::nn::FlowMoments>":$operands,
           "::llvm::SmallVectorImpl<::mlir::nn::FlowMoments> &":$results)>,
    InterfaceMethod<[{
        Computes the moments of the gradient of every operand from those of
        every result (`resultGradients`), given the moments of operands and
        results, and appends one entry per operand to `operandGradients`
        (zero for operands without a derivative). The gradient of an operand
        that is broadcast or reduced sums over the elements it meets.
      }],
      "void", "propagateFlowGradient",
      (ins "::llvm::ArrayRef<::mlir::nn::FlowMoments>":$operands,
           "::llvm::ArrayRef<::mlir::nn::FlowMoments>":$results,
           "::llvm::ArrayRef<::mlir::nn::FlowGradient>":$resultGradients,
           "::llvm::SmallVectorImpl<::mlir::nn::FlowGradient> &":$operandGradients)>,
    InterfaceMethod<[{
        The largest factor by which the op can scale one element of the
        gradient reaching its first operand, where the op bounds it (0.25 for
        sigmoid, 1 for tanh); none otherwise. Diagnostics quote it.
      }],
      "std::optional<double>", "getGradientBound", (ins), [{}], [{
        return std::nullopt;
      }]>
  ];
}

#endif // NN_GRADIENT_FLOW_OP_INTERFACE_TD
