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
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SourceMgr.h"

#include <string>

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

/// Renames the model of `module` to `name` (`nnc compile --name`), the
/// prefix of its C API and library. Fails with `error` set when `name` is
/// not a C identifier or another symbol has it.
mlir::LogicalResult renameModel(mlir::ModuleOp module, llvm::StringRef name,
                                std::string &error);

/// Writes a Makefile-style dependency file (`nnc compile --depfile`) that
/// makes each of `targets` depend on every file `sourceMgr` read, by
/// absolute path, so that build systems (Ninja, Make, CMake's DEPFILE)
/// rerun nnc when any of them changes. Fails with `error` set.
mlir::LogicalResult writeDepfile(llvm::StringRef path,
                                 llvm::ArrayRef<std::string> targets,
                                 const llvm::SourceMgr &sourceMgr,
                                 std::string &error);

} // namespace nnc

#endif // NNC_COMPILER_DRIVER_DRIVER_H
