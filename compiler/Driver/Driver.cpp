//===- Driver.cpp - The nnc compiler driver library -----------------------===//

#include "compiler/Driver/Driver.h"
#include "compiler/Frontend/MLIRGen.h"
#include "compiler/Target/Template.h"

#include "dialects/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

mlir::OwningOpRef<ModuleOp> nnc::loadModel(MLIRContext &context,
                                           llvm::SourceMgr &sourceMgr,
                                           llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (std::error_code ec = buffer.getError()) {
    mlir::emitError(UnknownLoc::get(&context))
        << "cannot read '" << path << "': " << ec.message();
    return nullptr;
  }
  llvm::StringRef text = (*buffer)->getBuffer();
  llvm::StringRef name = (*buffer)->getBufferIdentifier();
  bool isIR = llvm::sys::path::extension(path) == ".mlir" ||
              (path == "-" && text.ltrim().starts_with_insensitive("module")) ||
              (path == "-" && text.ltrim().starts_with("func.func"));
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  if (!isIR)
    return nnc::frontend::importModelFile(&context, name, text);

  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module || failed(verify(*module)))
    return nullptr;
  return module;
}

LogicalResult nnc::renameModel(ModuleOp module, llvm::StringRef name,
                               std::string &error) {
  bool identifier =
      !name.empty() && !llvm::isDigit(name.front()) &&
      llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
  if (!identifier) {
    error = "'" + name.str() +
            "' is not a C identifier (it prefixes the C API, as in " +
            "<name>_create)";
    return failure();
  }
  func::FuncOp model;
  for (auto func : module.getOps<func::FuncOp>())
    if (nn::isModel(func))
      model = func;
  if (!model) {
    error = "the input has no model to rename";
    return failure();
  }
  if (model.getSymName() == name)
    return success();
  if (SymbolTable::lookupSymbolIn(module, name)) {
    error = "'" + name.str() + "' already names another function";
    return failure();
  }
  StringAttr newName = StringAttr::get(module.getContext(), name);
  if (failed(SymbolTable::replaceAllSymbolUses(model, newName, module))) {
    error = "cannot rename the uses of '" + model.getSymName().str() + "'";
    return failure();
  }
  SymbolTable::setSymbolName(model, newName);
  return success();
}

/// `path` as Make reads it: spaces, '#' and '$' escaped.
static std::string makeEscaped(llvm::StringRef path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '#')
      out += '\\';
    else if (c == '$')
      out += '$';
    out += c;
  }
  return out;
}

LogicalResult nnc::writeDepfile(llvm::StringRef path,
                                llvm::ArrayRef<std::string> targets,
                                const llvm::SourceMgr &sourceMgr,
                                std::string &error) {
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  auto absolute = [](llvm::StringRef file) {
    llvm::SmallString<256> p(file);
    llvm::sys::fs::make_absolute(p);
    llvm::sys::path::remove_dots(p);
    return makeEscaped(p);
  };
  // `targets: \` and one dependency per line.
  std::string text;
  llvm::interleave(
      targets, [&](const std::string &t) { text += absolute(t); },
      [&] { text += " "; });
  text += ":";
  for (unsigned i = 1, e = sourceMgr.getNumBuffers(); i <= e; ++i) {
    llvm::StringRef file = sourceMgr.getMemoryBuffer(i)->getBufferIdentifier();
    // Standard input is no file to depend on.
    if (file != "<stdin>" && file != "-")
      text += render(" \\\n  {file}", field("file", absolute(file)));
  }
  out.os() << text << "\n";
  out.keep();
  return success();
}
