//===- Driver.cpp - The nnc compiler driver library -----------------------===//

#include "compiler/Driver/Driver.h"
#include "compiler/Frontend/MLIRGen.h"

#include "dialects/NN/IR/NNOps.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

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
