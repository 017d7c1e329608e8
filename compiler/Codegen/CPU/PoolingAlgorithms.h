//===- PoolingAlgorithms.h - CPU algorithm for pooling ----------*- C++ -*-===//
//
// How nnc-cpu-strategy computes linalg.pooling_nchw_max and _sum.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_CODEGEN_CPU_POOLINGALGORITHMS_H
#define NNC_COMPILER_CODEGEN_CPU_POOLINGALGORITHMS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace nnc::cpu {

/// `pool` (a `linalg.pooling_nchw_max` or `linalg.pooling_nchw_sum` on
/// tensors) as one elementwise generic over strided views of its input,
/// one view per kernel offset: every read is a plain indexing map, so the
/// generic vectorizes along the output's columns and fuses with its
/// neighbours. The init joins the combination unless it is the
/// combination's identity (a fill of -inf for max, of 0 for sum).
/// Returns null, changing nothing, for any other op or dynamic shapes.
mlir::Value buildPoolWindows(mlir::OpBuilder &b, mlir::linalg::LinalgOp pool);

} // namespace nnc::cpu

#endif // NNC_COMPILER_CODEGEN_CPU_POOLINGALGORITHMS_H
