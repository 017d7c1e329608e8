//===- Passes.h - nnc analysis passes ---------------------------*- C++ -*-===//
//
// Declares the passes that report the results of nnc's analyses.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_ANALYSIS_PASSES_H
#define NNC_COMPILER_ANALYSIS_PASSES_H

#include "dialects/NN/IR/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace nnc {

#define GEN_PASS_DECL
#include "compiler/Analysis/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Analysis/Passes.h.inc"

} // namespace nnc

#endif // NNC_COMPILER_ANALYSIS_PASSES_H
