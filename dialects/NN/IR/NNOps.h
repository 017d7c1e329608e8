//===- NNOps.h - nn dialect operations --------------------------*- C++ -*-===//
//
// Declares the operations of the `nn` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECTS_NN_IR_NNOPS_H
#define NNC_DIALECTS_NN_IR_NNOPS_H

#include "dialects/NN/IR/NNDialect.h"
#include "dialects/NN/Interfaces/ActivationOpInterface.h"
#include "dialects/NN/Interfaces/GradientFlowOpInterface.h"
#include "dialects/NN/Interfaces/GradientOpInterface.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/NN/IR/NNOps.h.inc"

namespace mlir::nn {

/// Returns true if `func` is an `nn` model (carries the `nn.model` attribute).
bool isModel(func::FuncOp func);

/// Checks the shape of a model that passes rely on: a body of one block
/// ending in `func.return`, whose first result is the loss, a 0-d float
/// tensor. Emits the error on `func`. The dialect's verifier runs it on
/// every `nn.model` function.
LogicalResult verifyModel(func::FuncOp func);

} // namespace mlir::nn

#endif // NNC_DIALECTS_NN_IR_NNOPS_H
