//===- Driver.h - The nnc compiler driver library ---------------*- C++ -*-===//
//
// What `nnc` does, as a library: load a model (`.nn` or `.mlir`) with
// clang-style diagnostics, and run the compilation stages on it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_DRIVER_DRIVER_H
#define NNC_COMPILER_DRIVER_DRIVER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"

namespace nnc {

/// Exit statuses of the `nnc` tool.
enum ExitStatus {
  kExitSuccess = 0,    ///< Everything worked.
  kExitInputError = 1, ///< The model or IR has an error.
  kExitUsageError = 2, ///< The command line is wrong, or a file is missing.
};

/// Loads `path` (a `.nn` model file, or `.mlir` nn-dialect IR; `-` is
/// standard input, read as IR when it starts like IR) into a verified
/// module. The buffer is added to `sourceMgr` so that diagnostics can show
/// source lines; errors go through the context's diagnostic engine.
mlir::OwningOpRef<mlir::ModuleOp> loadModel(mlir::MLIRContext &context,
                                            llvm::SourceMgr &sourceMgr,
                                            llvm::StringRef path);

} // namespace nnc

#endif // NNC_COMPILER_DRIVER_DRIVER_H
