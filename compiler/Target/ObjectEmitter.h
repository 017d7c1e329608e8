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

#include <optional>
#include <string>

namespace nnc {

/// What machine code to produce.
struct CodegenOptions {
  std::string cpu = "native"; ///< `native` for the host, or an LLVM CPU name.
  unsigned optLevel = 3;
  /// Whether LLVM unrolls loops (LoopUnroll and LoopFullUnroll). Off: the
  /// strategy stage unrolls what it tiles for registers.
  bool unrollLoops = false;
};

/// The vector registers of the CPU that `options` targets, as code
/// generation will use them.
struct VectorRegisters {
  /// Bits of one register, as LLVM legalizes vectors for this CPU: 512 with
  /// AVX-512 (256 where LLVM's tuning for the CPU prefers 256-bit vectors),
  /// 256 with AVX2, 128 otherwise.
  int64_t bits = 128;
  /// Registers: 32 with AVX-512 (also its 256-bit forms) and on AArch64,
  /// 16 otherwise.
  int64_t count = 16;
};

/// The vector registers of `options.cpu` (`native`: the host); null, with
/// `error` set, for a CPU that LLVM does not know.
std::optional<VectorRegisters>
targetVectorRegisters(const CodegenOptions &options, std::string &error);

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
