//===- ObjectEmitter.cpp - LLVM dialect to native code --------------------===//

#include "compiler/Target/ObjectEmitter.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

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
  std::string cpu =
      options.cpu == "native" ? llvm::sys::getHostCPUName().str() : options.cpu;
  std::string features;
  if (options.cpu == "native") {
    llvm::SubtargetFeatures f;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      f.AddFeature(feature.getKey(), feature.getValue());
    features = f.getString();
  }
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
  auto optimize = makeOptimizingTransformer(options.optLevel, 0, machine.get());
  if (llvm::Error err = optimize(llvmModule.get()))
    return emitError(module.getLoc())
           << "LLVM optimization failed: " << llvm::toString(std::move(err));

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
