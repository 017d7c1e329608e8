//===- Parser.h - Parser of the nnc model language --------------*- C++ -*-===//
//
// A recursive-descent parser from tokens to the syntax tree. docs/language.md
// gives the grammar it implements.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_FRONTEND_PARSER_H
#define NNC_COMPILER_FRONTEND_PARSER_H

#include "compiler/Frontend/AST.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <memory>

namespace nnc::frontend {

/// Parses the model file `buffer`, named `filename` in locations. Reports the
/// first syntax error through MLIR's diagnostic engine and returns null.
std::unique_ptr<File> parseFile(mlir::MLIRContext *context,
                                llvm::StringRef filename,
                                llvm::StringRef buffer);

} // namespace nnc::frontend

#endif // NNC_COMPILER_FRONTEND_PARSER_H
