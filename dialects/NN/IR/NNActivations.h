//===- NNActivations.h - The math of each activation ------------*- C++ -*-===//
//
// Looks up an activation's definition by the kind that names it in
// `nn.activation_grad`, and declares the gradient and gradient-flow rules
// that every activation op shares (NN_ActivationOp in NNOps.td).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECTS_NN_IR_NNACTIVATIONS_H
#define NNC_DIALECTS_NN_IR_NNACTIVATIONS_H

#include "dialects/NN/IR/NNDialect.h"
#include "dialects/NN/Interfaces/ActivationOpInterface.h"
#include "dialects/NN/Interfaces/GradientFlowOpInterface.h"

namespace mlir::nn {

/// The definition of activation `kind`.
const ActivationDefinition &getActivationDefinition(ActivationKind kind);

/// The gradient rule of activation op `op` computing `act`: one
/// `nn.activation_grad` of its input, its result and the cotangent.
LogicalResult buildActivationGradient(Operation *op, const Activation &act,
                                      OpBuilder &b, Location loc,
                                      ValueRange resultGradients,
                                      SmallVectorImpl<Value> &operandGradients);

/// The gradient-flow rules of an activation: the moments of `f(x)`, and the
/// gradient through `f'`.
void inferActivationFlowMoments(const Activation &act,
                                ArrayRef<FlowMoments> operands,
                                SmallVectorImpl<FlowMoments> &results);
void propagateActivationFlowGradient(
    const Activation &act, ArrayRef<FlowMoments> operands,
    ArrayRef<FlowGradient> resultGradients,
    SmallVectorImpl<FlowGradient> &operandGradients);

} // namespace mlir::nn

#endif // NNC_DIALECTS_NN_IR_NNACTIVATIONS_H
