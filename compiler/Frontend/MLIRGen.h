//===- MLIRGen.h - Model language to the nn dialect -------------*- C++ -*-===//
//
// Evaluates a parsed model file and emits its model as `nn` dialect IR.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_FRONTEND_MLIRGEN_H
#define NNC_COMPILER_FRONTEND_MLIRGEN_H

#include "compiler/Frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace nnc::frontend {

/// Emits the model of `file` as a module holding one `func.func` marked
/// `nn.model`, every op located at the model-file expression it came from.
/// Reports the first error through MLIR's diagnostic engine and returns null.
mlir::OwningOpRef<mlir::ModuleOp> generateModule(mlir::MLIRContext *context,
                                                 const File &file);

/// Parses and emits a model file in one step; see parseFile and
/// generateModule.
mlir::OwningOpRef<mlir::ModuleOp> importModelFile(mlir::MLIRContext *context,
                                                  llvm::StringRef filename,
                                                  llvm::StringRef buffer);

} // namespace nnc::frontend

#endif // NNC_COMPILER_FRONTEND_MLIRGEN_H
