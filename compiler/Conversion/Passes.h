//===- Passes.h - nnc conversion passes -------------------------*- C++ -*-===//
//
// Declares the conversions between the nn dialect and upstream dialects.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_CONVERSION_PASSES_H
#define NNC_COMPILER_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace nnc {

#define GEN_PASS_DECL
#include "compiler/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Conversion/Passes.h.inc"

} // namespace nnc

#endif // NNC_COMPILER_CONVERSION_PASSES_H
