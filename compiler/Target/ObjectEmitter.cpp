//===- ObjectEmitter.cpp - LLVM dialect to native code --------------------===//

#include "compiler/Target/ObjectEmitter.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

namespace {

/// The LLVM CPU name and feature string `options` ask for.
std::pair<std::string, std::string>
cpuAndFeatures(const nnc::CodegenOptions &options) {
  if (options.cpu != "native")
    return {options.cpu, ""};
  llvm::SubtargetFeatures f;
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    f.AddFeature(feature.getKey(), feature.getValue());
  return {llvm::sys::getHostCPUName().str(), f.getString()};
}

/// Runs LLVM's default module pipeline at `options.optLevel` on `module`.
void optimize(llvm::Module &module, const nnc::CodegenOptions &options,
              llvm::TargetMachine &machine) {
  // The kernels arrive register-tiled and unrolled (docs/codegen.md, 5.3);
  // LLVM's unrolling made the MLP's object 43 KB instead of 25 KB and took
  // a third of its compile time (opt 0.20 -> 0.12 s, llc 0.32 -> 0.19 s on
  // AMD EPYC), for step times equal within noise (bench/run.py).
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = options.unrollLoops;
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  llvm::OptimizationLevel level = llvm::OptimizationLevel::O3;
  switch (options.optLevel) {
  case 0:
    level = llvm::OptimizationLevel::O0;
    break;
  case 1:
    level = llvm::OptimizationLevel::O1;
    break;
  case 2:
    level = llvm::OptimizationLevel::O2;
    break;
  default:
    break;
  }
  llvm::ModulePassManager passes =
      level == llvm::OptimizationLevel::O0
          ? builder.buildO0DefaultPipeline(level)
          : builder.buildPerModuleDefaultPipeline(level);
  passes.run(module, modules);
}

} // namespace

std::optional<nnc::VectorRegisters>
nnc::targetVectorRegisters(const CodegenOptions &options, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return std::nullopt;
  auto [cpu, features] = cpuAndFeatures(options);
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, cpu, features));
  if (!info || !info->isCPUStringValid(cpu)) {
    error = "'" + cpu + "' is not a CPU that LLVM knows for " + triple.str();
    return std::nullopt;
  }
  VectorRegisters registers;
  if (triple.isX86()) {
    if (info->checkFeatures("+avx512f")) {
      registers.count = 32;
      registers.bits = info->checkFeatures("+prefer-256-bit") ? 256 : 512;
    } else if (info->checkFeatures("+avx2")) {
      registers.bits = 256;
    }
  } else if (triple.isAArch64()) {
    registers.count = 32;
  }
  return registers;
}

LogicalResult nnc::emitNative(ModuleOp module, const CodegenOptions &options,
                              NativeKind kind, llvm::raw_pwrite_stream &os,
                              TimingScope *timing) {
  TimingScope root = timing ? timing->nest("LLVM") : TimingScope();
  TimingScope phase = root.nest("translation to LLVM IR");
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  registerOpenMPDialectTranslation(*module.getContext());

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return emitError(module.getLoc()) << "cannot translate to LLVM IR";

  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return emitError(module.getLoc())
           << "no target for " << triple.str() << ": " << error;
  auto [cpu, features] = cpuAndFeatures(options);
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return emitError(module.getLoc())
           << "cannot create a target machine for '" << cpu << "'";
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);

  phase.stop();
  phase = root.nest("LLVM optimization (-O" + std::to_string(options.optLevel) +
                    ")");
  optimize(*llvmModule, options, *machine);

  if (kind == NativeKind::LLVMIR) {
    llvmModule->print(os, nullptr);
    return success();
  }
  phase.stop();
  phase = root.nest("LLVM code generation");
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                   kind == NativeKind::Assembly
                                       ? llvm::CodeGenFileType::AssemblyFile
                                       : llvm::CodeGenFileType::ObjectFile))
    return emitError(module.getLoc())
           << "the target cannot emit this kind of file";
  codegen.run(*llvmModule);
  return success();
}
