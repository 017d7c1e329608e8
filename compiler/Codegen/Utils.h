//===- Utils.h - Helpers shared by code generation passes -------*- C++ -*-===//
//
// Small IR queries that several code generation passes need alike.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_CODEGEN_UTILS_H
#define NNC_COMPILER_CODEGEN_UTILS_H

#include "mlir/IR/Region.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/Hashing.h"

namespace nnc {

/// A hash of every op in `region`, without locations or SSA values: equal
/// for structurally equivalent regions (OperationEquivalence), so that
/// candidates for deduplication need comparing only within a bucket.
llvm::hash_code hashRegionOps(mlir::Region &region);

/// The buffer a memref value views: through subviews, casts and reshapes
/// (ViewLikeOpInterface) to the allocation or function argument.
mlir::Value viewRoot(mlir::Value value);

} // namespace nnc

#endif // NNC_COMPILER_CODEGEN_UTILS_H
