//===- Passes.h - nn dialect passes -----------------------------*- C++ -*-===//
//
// Declares the passes of the `nn` dialect.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECTS_NN_TRANSFORMS_PASSES_H
#define NNC_DIALECTS_NN_TRANSFORMS_PASSES_H

#include "dialects/NN/IR/NNOps.h"

#include "mlir/Pass/Pass.h"

namespace mlir::nn {

#define GEN_PASS_DECL
#include "dialects/NN/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/NN/Transforms/Passes.h.inc"

} // namespace mlir::nn

#endif // NNC_DIALECTS_NN_TRANSFORMS_PASSES_H
