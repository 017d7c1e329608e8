//===- NNDialect.h - The nn dialect -----------------------------*- C++ -*-===//
//
// Declares the `nn` dialect and its attributes.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECTS_NN_IR_NNDIALECT_H
#define NNC_DIALECTS_NN_IR_NNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "dialects/NN/IR/NNDialect.h.inc"
#include "dialects/NN/IR/NNEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/NN/IR/NNAttrs.h.inc"

#endif // NNC_DIALECTS_NN_IR_NNDIALECT_H
