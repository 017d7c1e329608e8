//===- ObjectEmitter.h - LLVM dialect to native code ------------*- C++ -*-===//
//
// Translates a module in the LLVM dialect to LLVM IR, optimizes it and
// emits assembly or an object file for the host (or a chosen CPU), in
// process, through LLVM's TargetMachine.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_TARGET_OBJECTEMITTER_H
#define NNC_COMPILER_TARGET_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace nnc {

/// What machine code to produce.
struct CodegenOptions {
  std::string cpu = "native"; ///< `native` for the host, or an LLVM CPU name.
  unsigned optLevel = 3;
};

/// What `emitNative` writes.
enum class NativeKind { LLVMIR, Assembly, Object };

/// Translates, optimizes and emits `module` (LLVM dialect only). Errors are
/// reported at the module's location. `timing`, when given, receives the
/// time of translation, optimization and code generation.
mlir::LogicalResult emitNative(mlir::ModuleOp module,
                               const CodegenOptions &options, NativeKind kind,
                               llvm::raw_pwrite_stream &os,
                               mlir::TimingScope *timing = nullptr);

} // namespace nnc

#endif // NNC_COMPILER_TARGET_OBJECTEMITTER_H
