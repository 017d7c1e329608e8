//===- nnc.cpp - The nnc command-line tool --------------------------------===//
//
// `nnc compile model.nn --emit=nn` and friends. Diagnostics go to stderr in
// the clang format; the exit status is 0 on success, 1 for an error in the
// input and 2 for bad usage.
//
//===----------------------------------------------------------------------===//

#include "compiler/Driver/Compile.h"
#include "compiler/Driver/Driver.h"
#include "compiler/Driver/Registration.h"
#include "compiler/Driver/Train.h"
#include "compiler/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;
using namespace mlir;

namespace {

/// What `nnc compile` prints or writes.
enum class EmitKind {
  NN,     ///< The model as nn dialect IR, with model-file locations.
  Train,  ///< The training step on nn ops.
  Eval,   ///< The evaluation step on nn ops.
  Linalg, ///< Both steps as fused linalg on tensors.
  LLVM,   ///< Optimized LLVM IR.
  Asm,    ///< Host assembly.
  Obj,    ///< A host object file.
  Lib,    ///< lib<model>.so, lib<model>.a and <model>.h.
};

cl::OptionCategory nncCategory("nnc options");

cl::SubCommand compileCommand("compile",
                              "Compile a model file (.nn) or nn-dialect IR "
                              "(.mlir)");

cl::SubCommand trainCommand("train",
                            "Compile a model, then train it on a data set");

cl::opt<std::string> inputFile(cl::Positional,
                               cl::desc("<model.nn|model.mlir>"), cl::Required,
                               cl::sub(compileCommand), cl::sub(trainCommand),
                               cl::cat(nncCategory));

cl::opt<std::string>
    outputFile("o",
               cl::desc("Output directory for --emit=lib (default: .), "
                        "output file otherwise (default: stdout)"),
               cl::value_desc("path"), cl::sub(compileCommand),
               cl::cat(nncCategory));

cl::opt<std::string> targetCPU("target-cpu",
                               cl::desc("CPU to generate code for (an LLVM "
                                        "CPU name, or 'native')"),
                               cl::init("native"), cl::sub(compileCommand),
                               cl::sub(trainCommand), cl::cat(nncCategory));

cl::opt<int64_t> threads("threads",
                         cl::desc("Threads the generated code may use"),
                         cl::init(1), cl::sub(compileCommand),
                         cl::sub(trainCommand), cl::cat(nncCategory));

cl::opt<std::string> dataSet(
    "data",
    cl::desc("Data set: fashion-mnist, or a directory with IDX files "
             "(gzipped or not) or train_x/train_y/test_x/test_y .npy files"),
    cl::init("fashion-mnist"), cl::sub(trainCommand), cl::cat(nncCategory));
cl::opt<int> epochs("epochs", cl::desc("Passes over the training set"),
                    cl::init(1), cl::sub(trainCommand), cl::cat(nncCategory));
cl::opt<uint64_t> seed("seed", cl::desc("Seed of initialization and shuffling"),
                       cl::init(0), cl::sub(trainCommand),
                       cl::cat(nncCategory));
cl::opt<float> learningRate("lr",
                            cl::desc("Learning rate (default: the model's "
                                     "train section)"),
                            cl::sub(trainCommand), cl::cat(nncCategory));
cl::opt<std::string> savePath("save",
                              cl::desc("Save the trained parameters "
                                       "(safetensors)"),
                              cl::value_desc("file"), cl::sub(trainCommand),
                              cl::cat(nncCategory));
cl::opt<std::string> loadPath("load", cl::desc("Start from saved parameters"),
                              cl::value_desc("file"), cl::sub(trainCommand),
                              cl::cat(nncCategory));
cl::opt<std::string> cacheDir("cache-dir",
                              cl::desc("Where compiled models are cached "
                                       "(default: ~/.cache/nnc)"),
                              cl::sub(trainCommand), cl::cat(nncCategory));
cl::opt<int64_t> maxSteps("max-steps",
                          cl::desc("Stop each epoch after this many steps"),
                          cl::init(0), cl::sub(trainCommand),
                          cl::cat(nncCategory));

cl::opt<EmitKind> emitKind(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Lib),
    cl::values(
        clEnumValN(EmitKind::NN, "nn",
                   "the model as nn dialect IR with locations"),
        clEnumValN(EmitKind::Train, "train",
                   "the training step: forward, loss, backward, update"),
        clEnumValN(EmitKind::Eval, "eval",
                   "the evaluation step: forward and loss"),
        clEnumValN(EmitKind::Linalg, "linalg",
                   "both steps as fused linalg on tensors"),
        clEnumValN(EmitKind::LLVM, "llvm", "optimized LLVM IR"),
        clEnumValN(EmitKind::Asm, "asm", "assembly for the target CPU"),
        clEnumValN(EmitKind::Obj, "obj", "an object file (needs -o)"),
        clEnumValN(EmitKind::Lib, "lib",
                   "lib<model>.so, lib<model>.a and <model>.h (default)")),
    cl::sub(compileCommand), cl::cat(nncCategory));

cl::opt<bool> printLocations("print-locations",
                             cl::desc("Print model-file locations in IR"),
                             cl::init(true), cl::sub(compileCommand),
                             cl::cat(nncCategory));

int runCompile() {
  DialectRegistry registry;
  nnc::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  if (inputFile != "-" && !llvm::sys::fs::exists(inputFile)) {
    llvm::errs() << "nnc: error: no such file: '" << inputFile << "'\n";
    return nnc::kExitUsageError;
  }
  OwningOpRef<ModuleOp> module = nnc::loadModel(context, sourceMgr, inputFile);
  if (!module)
    return nnc::kExitInputError;

  nnc::CompileOptions options;
  options.codegen.cpu = targetCPU;
  options.cpu.threads = threads;
  if (emitKind == EmitKind::Lib) {
    nnc::LibraryInterface lib;
    std::string dir =
        outputFile.empty() ? std::string(".") : outputFile.getValue();
    if (failed(nnc::buildSteps(*module)) ||
        failed(nnc::writeLibrary(*module, options, dir, lib)))
      return nnc::kExitInputError;
    return nnc::kExitSuccess;
  }
  if (emitKind == EmitKind::Obj && (outputFile.empty() || outputFile == "-")) {
    llvm::errs() << "nnc: error: --emit=obj needs -o FILE\n";
    return nnc::kExitUsageError;
  }
  std::string error;
  auto output = mlir::openOutputFile(
      outputFile.empty() ? std::string("-") : outputFile.getValue(), &error);
  if (!output) {
    llvm::errs() << "nnc: error: " << error << "\n";
    return nnc::kExitUsageError;
  }
  OpPrintingFlags flags;
  if (printLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false)
        .useLocalScope();
  if (emitKind != EmitKind::NN && failed(nnc::buildSteps(*module)))
    return nnc::kExitInputError;
  if (emitKind == EmitKind::Train || emitKind == EmitKind::Eval) {
    // Show only the step asked for.
    StringRef keep = emitKind == EmitKind::Train ? "train" : "eval";
    for (auto func : llvm::make_early_inc_range(module->getOps<func::FuncOp>()))
      if (auto step = func->getAttrOfType<StringAttr>("nn.step");
          step && step.getValue() != keep)
        func.erase();
  }
  if (emitKind >= EmitKind::Linalg && failed(nnc::lowerToLinalg(*module)))
    return nnc::kExitInputError;
  if (emitKind >= EmitKind::LLVM) {
    if (failed(nnc::lowerToLLVMDialect(*module, options)))
      return nnc::kExitInputError;
    nnc::NativeKind kind = emitKind == EmitKind::LLVM ? nnc::NativeKind::LLVMIR
                           : emitKind == EmitKind::Asm
                               ? nnc::NativeKind::Assembly
                               : nnc::NativeKind::Object;
    if (failed(nnc::emitNative(*module, options.codegen, kind, output->os())))
      return nnc::kExitInputError;
  } else {
    module->print(output->os(), flags);
    output->os() << "\n";
  }
  output->keep();
  return nnc::kExitSuccess;
}

int runTrain() {
  if (threads < 1 || epochs < 1 || maxSteps < 0 ||
      (learningRate.getNumOccurrences() && !(learningRate > 0))) {
    llvm::errs() << "nnc: error: --threads and --epochs must be positive, "
                    "--lr positive and --max-steps non-negative\n";
    return nnc::kExitUsageError;
  }
  if (!llvm::sys::fs::exists(inputFile)) {
    llvm::errs() << "nnc: error: no such file: '" << inputFile << "'\n";
    return nnc::kExitUsageError;
  }
  DialectRegistry registry;
  nnc::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  nnc::TrainOptions options;
  options.modelPath = inputFile;
  options.data = dataSet;
  options.epochs = epochs;
  options.seed = seed;
  if (learningRate.getNumOccurrences())
    options.learningRate = learningRate;
  options.savePath = savePath;
  options.loadPath = loadPath;
  options.cacheDir = cacheDir;
  options.maxSteps = maxSteps;
  options.compile.codegen.cpu = targetCPU;
  options.compile.cpu.threads = threads;
  return nnc::runTraining(context, sourceMgr, options);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "nnc " << NNC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  // Hide the options of the LLVM libraries nnc links.
  cl::HideUnrelatedOptions(nncCategory);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "nnc: compiles neural-network models into training libraries\n\n"
          "  nnc compile model.nn -o out/       write out/lib<model>.{so,a} "
          "and "
          "<model>.h\n"
          "  nnc compile model.nn --emit=train  print the training step IR\n"
          "  nnc train model.nn --epochs 2      train on Fashion-MNIST\n",
          &llvm::errs()))
    return nnc::kExitUsageError;
  if (compileCommand)
    return runCompile();
  if (trainCommand)
    return runTrain();
  llvm::errs() << "nnc: error: expects a command: compile or train (see nnc "
                  "--help)\n";
  return nnc::kExitUsageError;
}
