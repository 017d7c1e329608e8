//===- CSyntax.cpp - Spelling a library's interface in C ------------------===//

#include "compiler/Target/CSyntax.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cstdio>
#include <cstdlib>

using namespace nnc;
using llvm::StringRef;

std::string nnc::shapeText(const TensorInfo &t) {
  std::string s = "[";
  llvm::interleave(
      t.shape, [&](int64_t d) { s += std::to_string(d); }, [&] { s += ", "; });
  return s + "]";
}

std::string nnc::cName(StringRef name) {
  static const char *const reserved[] = {
      "auto",      "bool",     "break",     "case",     "catch",    "char",
      "class",     "const",    "continue",  "default",  "delete",   "do",
      "double",    "else",     "enum",      "explicit", "extern",   "false",
      "float",     "for",      "friend",    "goto",     "if",       "inline",
      "int",       "long",     "namespace", "new",      "operator", "private",
      "protected", "public",   "register",  "restrict", "return",   "short",
      "signed",    "sizeof",   "static",    "struct",   "switch",   "template",
      "this",      "throw",    "true",      "try",      "typedef",  "typename",
      "union",     "unsigned", "using",     "virtual",  "void",     "volatile",
      "while",     "state",    "s",         "loss",     "step",     "count",
      "path",      "seed",     "lr"};
  std::string s;
  for (char c : name)
    s.push_back(llvm::isAlnum(c) ? c : '_');
  if (s.empty() || llvm::isDigit(s[0]))
    s.insert(0, "t_");
  if (llvm::is_contained(reserved, StringRef(s)))
    s.push_back('_');
  return s;
}

std::string nnc::cNumber(double value) {
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof(text), "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  return text;
}

std::string nnc::macroName(StringRef model, StringRef name) {
  std::string s;
  for (char c : name)
    s.push_back(llvm::isAlnum(c) ? llvm::toUpper(c) : '_');
  return (model.upper() + "_" + StringRef(s).rtrim('_')).str();
}

const char *nnc::dtypeEnum(StringRef cType) {
  if (cType == "float")
    return "NNC_F32";
  if (cType == "double")
    return "NNC_F64";
  if (cType == "int32_t")
    return "NNC_I32";
  return "NNC_I64";
}

std::string nnc::inputParams(const LibraryInterface &lib) {
  std::string s;
  for (const TensorInfo &in : lib.inputs)
    s += ", const " + in.cType + " *" + in.cName;
  return s;
}

std::string nnc::outputParams(const LibraryInterface &lib) {
  std::string s;
  for (const TensorInfo &out : lib.outputs)
    s += ", " + out.cType + " *" + out.cName;
  return s;
}
