//===- CSyntax.h - Spelling a library's interface in C ----------*- C++ -*-===//
//
// The C spellings that the header and both glues share: identifiers,
// macros, numbers, element types and parameter lists.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_TARGET_CSYNTAX_H
#define NNC_COMPILER_TARGET_CSYNTAX_H

#include "compiler/Target/LibraryInterface.h"

#include <string>

namespace nnc {

/// A C identifier for a tensor name (`x`, `logits`): C and C++ keywords and
/// the names the API itself uses get a trailing underscore.
std::string cName(llvm::StringRef name);

/// A number as C reads it and people write it: `0.001`, `1e-08`, the
/// shortest form that reads back as the same double.
std::string cNumber(double value);

/// The macro spelling of a tensor name: `MLP_X_SIZE` without `_SIZE`.
std::string macroName(llvm::StringRef model, llvm::StringRef name);

/// The runtime's `nnc_dtype` enumerator for a C element type: `NNC_F32`.
const char *dtypeEnum(llvm::StringRef cType);

/// A tensor's type as the header's comments show it: `[128, 784]`.
std::string shapeText(const TensorInfo &t);

/// `, const float *x, const int32_t *y` for the inputs.
std::string inputParams(const LibraryInterface &lib);

/// `, float *logits` for the eval step's outputs.
std::string outputParams(const LibraryInterface &lib);

} // namespace nnc

#endif // NNC_COMPILER_TARGET_CSYNTAX_H
