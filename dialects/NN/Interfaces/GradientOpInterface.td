//===- GradientOpInterface.td - Reverse-mode rules ---------*- tablegen -*-===//
//
// Each differentiable op states its vector-Jacobian product through this
// interface, so that the autodiff pass only walks the graph and never needs
// to know an op.
//
//===----------------------------------------------------------------------===//

#ifndef NN_GRADIENT_OP_INTERFACE_TD
#define NN_GRADIENT_OP_INTERFACE_TD

include "mlir/IR/OpBase.td"

def NN_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::mlir::nn";
  let description = [{
    The reverse-mode derivative rule of an op: given the cotangent of each
    result, build the cotangent of each operand (its vector-Jacobian
    product) with `builder`, on value-semantic tensors, at `loc`. Rules may
    use the op's operands and results: the forward values are reused, never
    recomputed.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the cotangent of every operand from `resultGradients` (one
        value per result, never null) and appends one value per operand to
        `operandGradients`; a null value means the operand gets no gradient.
        Fails, with a diagnostic at `loc`, where the rule does not apply.
      }],
      "::llvm::LogicalResult", "buildGradient",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::ValueRange":$resultGradients,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGradients)>,
    InterfaceMethod<[{
        Whether operand `index` has a mathematical derivative. Integer
        operands (class labels) have none.
      }],
      "bool", "isDifferentiableOperand", (ins "unsigned":$index), [{}], [{
        return ::llvm::isa<::mlir::FloatType>(
            ::mlir::getElementTypeOrSelf($_op->getOperand(index).getType()));
      }]>
  ];
}

#endif // NN_GRADIENT_OP_INTERFACE_TD
