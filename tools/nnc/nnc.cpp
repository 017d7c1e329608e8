//===- nnc.cpp - The nnc command-line tool --------------------------------===//
//
// `nnc compile model.nn --emit=nn` and friends. Diagnostics go to stderr in
// the clang format; the exit status is 0 on success, 1 for an error in the
// input and 2 for bad usage.
//
//===----------------------------------------------------------------------===//

#include "compiler/Driver/Analyze.h"
#include "compiler/Driver/Compile.h"
#include "compiler/Driver/Driver.h"
#include "compiler/Driver/Install.h"
#include "compiler/Driver/Train.h"
#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Pipelines/Registration.h"
#include "dialects/NN/IR/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace cl = llvm::cl;
using namespace mlir;

namespace {

/// What `nnc compile` prints or writes.
enum class EmitKind {
  NN,        ///< The model as nn dialect IR, with model-file locations.
  Train,     ///< The training step on nn ops.
  Eval,      ///< The evaluation step on nn ops.
  Linalg,    ///< Both steps as target-neutral linalg, choices recorded.
  LinalgCPU, ///< Both steps as the CPU's algorithms, fused.
  LLVM,      ///< Optimized LLVM IR.
  Asm,       ///< Host assembly.
  Obj,       ///< A host object file.
  PTX,       ///< The GPU kernels as PTX (--target=cuda).
  Header,    ///< The library's C header, <model>.h.
  Glue,      ///< The library's C glue, <model>_api.c.
  Lib,       ///< lib<model>.so, lib<model>.a and <model>.h.
};

cl::OptionCategory nncCategory("nnc options");

cl::SubCommand compileCommand("compile",
                              "Compile a model file (.nn) or nn-dialect IR "
                              "(.mlir)");

cl::SubCommand trainCommand("train",
                            "Compile a model, then train it on a data set");

cl::SubCommand analyzeCommand("analyze",
                              "Predict each parameter's gradient at "
                              "initialization and report where it vanishes "
                              "or explodes");

cl::opt<std::string> inputFile(cl::Positional,
                               cl::desc("<model.nn|model.mlir>"), cl::Required,
                               cl::sub(compileCommand), cl::sub(trainCommand),
                               cl::sub(analyzeCommand), cl::cat(nncCategory));

cl::list<std::string> warningFlags(
    "W", cl::Prefix,
    cl::desc("Gradient-flow warnings: -W<name>, -Wno-<name>, -Werror, "
             "-Werror=<name>; names: vanishing-gradient, exploding-gradient, "
             "saturated-activation, dead-relu, parameter-without-gradient, "
             "unmodeled-op, and the group gradient-flow"),
    cl::value_desc("warning"), cl::sub(compileCommand), cl::sub(trainCommand),
    cl::sub(analyzeCommand), cl::cat(nncCategory));

cl::opt<double> vanishingThreshold(
    "vanishing-threshold",
    cl::desc("Warn when the first layer's gradient is at most this fraction "
             "of the last layer's (default 1e-3)"),
    cl::init(1e-3), cl::sub(compileCommand), cl::sub(trainCommand),
    cl::sub(analyzeCommand), cl::cat(nncCategory));

cl::opt<double> explodingThreshold(
    "exploding-threshold",
    cl::desc("Warn when the first layer's gradient is at least this multiple "
             "of the last layer's (default 70)"),
    cl::init(70.0), cl::sub(compileCommand), cl::sub(trainCommand),
    cl::sub(analyzeCommand), cl::cat(nncCategory));

cl::opt<std::string> calibrate(
    "calibrate",
    cl::desc("Take the input statistics from a data set (as --data) instead "
             "of assuming standardized inputs"),
    cl::value_desc("data"), cl::sub(compileCommand), cl::sub(trainCommand),
    cl::sub(analyzeCommand), cl::cat(nncCategory));

enum class AnalyzeFormat { Table, JSON };

cl::opt<AnalyzeFormat> analyzeFormat(
    "format", cl::desc("How nnc analyze prints its prediction"),
    cl::init(AnalyzeFormat::Table),
    cl::values(clEnumValN(AnalyzeFormat::Table, "table",
                          "a table, one row per parameter (default)"),
               clEnumValN(AnalyzeFormat::JSON, "json",
                          "JSON, one record per parameter")),
    cl::sub(analyzeCommand), cl::cat(nncCategory));

cl::opt<std::string>
    reportPath("report",
               cl::desc("Write an HTML page with a chart of the gradient per "
                        "layer"),
               cl::value_desc("file.html"), cl::sub(analyzeCommand),
               cl::cat(nncCategory));

enum class Instrument { None, GradStats };

cl::opt<Instrument> instrument(
    "instrument", cl::desc("Add run-time instrumentation to the training step"),
    cl::init(Instrument::None),
    cl::values(clEnumValN(Instrument::None, "none", "none (default)"),
               clEnumValN(Instrument::GradStats, "grad-stats",
                          "each parameter's gradient RMS and a non-finite "
                          "flag, through <model>_grad_rms()")),
    cl::sub(compileCommand), cl::sub(trainCommand), cl::cat(nncCategory));

cl::opt<bool> gradientAPI(
    "gradient-api",
    cl::desc("Also export the training step in two halves, "
             "<model>_compute_gradients and <model>_apply_update, with "
             "<model>_gradients between them (data-parallel training)"),
    cl::init(false), cl::sub(compileCommand), cl::cat(nncCategory));

cl::opt<std::string> gradReportPath(
    "grad-report",
    cl::desc("Write an HTML page with the measured gradient per layer over "
             "the predicted one (implies --instrument=grad-stats)"),
    cl::value_desc("file.html"), cl::sub(trainCommand), cl::cat(nncCategory));

cl::opt<std::string>
    outputFile("o",
               cl::desc("Output directory for --emit=lib (default: .), "
                        "output file otherwise (default: stdout)"),
               cl::value_desc("path"), cl::sub(compileCommand),
               cl::cat(nncCategory));

cl::opt<std::string>
    modelName("name",
              cl::desc("Name the model's library and C API prefix "
                       "(default: the model's own name)"),
              cl::value_desc("name"), cl::sub(compileCommand),
              cl::cat(nncCategory));

cl::opt<std::string>
    depfilePath("depfile",
                cl::desc("Also write a Makefile-style dependency file: the "
                         "outputs depend on the files read"),
                cl::value_desc("file.d"), cl::sub(compileCommand),
                cl::cat(nncCategory));

cl::opt<bool> printRuntimeDir(
    "print-runtime-dir",
    cl::desc("Print the directory of nnc's runtime library and exit"),
    cl::init(false), cl::cat(nncCategory));

cl::opt<std::string> targetCPU("target-cpu",
                               cl::desc("CPU to generate code for (an LLVM "
                                        "CPU name, or 'native')"),
                               cl::init("native"), cl::sub(compileCommand),
                               cl::sub(trainCommand), cl::cat(nncCategory));

cl::opt<nnc::Target> target(
    "target", cl::desc("Where the training step runs"),
    cl::init(nnc::Target::CPU),
    cl::values(clEnumValN(nnc::Target::CPU, "cpu", "the host CPU (default)"),
               clEnumValN(nnc::Target::CUDA, "cuda",
                          "an NVIDIA GPU, through the CUDA driver")),
    cl::sub(compileCommand), cl::sub(trainCommand), cl::cat(nncCategory));

cl::opt<std::string>
    gpuArch("gpu-arch",
            cl::desc("GPU architecture for --target=cuda: sm_70 or newer "
                     "(default sm_80; sm_90 for H100 and H200)"),
            cl::init("sm_80"), cl::sub(compileCommand), cl::sub(trainCommand),
            cl::cat(nncCategory));

cl::opt<bool> gpuEmulate(
    "gpu-emulate-on-host",
    cl::desc("With --target=cuda: run the GPU build's kernels on the host, "
             "each thread in turn, for testing the GPU strategy without a "
             "GPU (the library is then a CPU library)"),
    cl::init(false), cl::Hidden, cl::sub(compileCommand), cl::sub(trainCommand),
    cl::cat(nncCategory));

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
cl::opt<bool> noShuffle(
    "no-shuffle",
    cl::desc("Train on the examples in the data set's order, every epoch "
             "(default: a new shuffle per epoch, from --seed)"),
    cl::init(false), cl::sub(trainCommand), cl::cat(nncCategory));
cl::opt<float> learningRate("lr",
                            cl::desc("Learning rate (default: the model's "
                                     "train section)"),
                            cl::sub(trainCommand), cl::cat(nncCategory));
cl::opt<std::string> savePath("save",
                              cl::desc("Save the trained parameters "
                                       "(safetensors)"),
                              cl::value_desc("file"), cl::sub(trainCommand),
                              cl::cat(nncCategory));
cl::opt<int64_t> saveEvery(
    "save-every",
    cl::desc("With --save: also save every N steps; each save also writes "
             "a training checkpoint (optimizer state, step count) beside it, "
             "for --resume"),
    cl::value_desc("N"), cl::init(0), cl::sub(trainCommand),
    cl::cat(nncCategory));
cl::opt<std::string> resumePath(
    "resume",
    cl::desc("Continue an interrupted run from its checkpoint (the training "
             "checkpoint --save writes beside it)"),
    cl::value_desc("ckpt.safetensors"), cl::sub(trainCommand),
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

cl::opt<bool> saveOnNan(
    "save-on-nan",
    cl::desc("With --save: when the loss or a gradient turns NaN or "
             "infinite, stop before that step's update and save the last "
             "good parameters and training checkpoint"),
    cl::init(false), cl::sub(trainCommand), cl::cat(nncCategory));

cl::opt<bool> distributed(
    "distributed",
    cl::desc("Train in every process of an MPI job (mpirun -np N nnc train "
             "--distributed ...): each process takes the model's batch from "
             "every global batch of N, and the gradients are averaged"),
    cl::init(false), cl::sub(trainCommand), cl::cat(nncCategory));

cl::opt<double> stepTimeout(
    "step-timeout",
    cl::desc("With --distributed: end the run when no step finishes for this "
             "many seconds, as when another process died or hangs (default "
             "300; 0: never)"),
    cl::init(300), cl::sub(trainCommand), cl::cat(nncCategory));

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
                   "both steps as target-neutral linalg on tensors, with "
                   "the CPU strategy's choices recorded"),
        clEnumValN(EmitKind::LinalgCPU, "linalg-cpu",
                   "both steps as the CPU's algorithms on tensors, fused"),
        clEnumValN(EmitKind::LLVM, "llvm", "optimized LLVM IR"),
        clEnumValN(EmitKind::Asm, "asm", "assembly for the target CPU"),
        clEnumValN(EmitKind::Obj, "obj", "an object file (needs -o)"),
        clEnumValN(EmitKind::PTX, "ptx",
                   "the GPU kernels as PTX (with --target=cuda)"),
        clEnumValN(EmitKind::Header, "header",
                   "the library's C header, <model>.h"),
        clEnumValN(EmitKind::Glue, "glue",
                   "the library's C glue, <model>_api.c, which implements "
                   "the header over the compiled steps"),
        clEnumValN(EmitKind::Lib, "lib",
                   "lib<model>.so, lib<model>.a, <model>.h (with "
                   "nnc_types.h) and <model>.pc (default)")),
    cl::sub(compileCommand), cl::cat(nncCategory));

cl::opt<bool> timePasses(
    "time-passes",
    cl::desc("Print where the compile time goes: parsing, the gradient-flow "
             "analysis, each MLIR pass, LLVM's translation, optimization and "
             "code generation, and building the library"),
    cl::init(false), cl::sub(compileCommand), cl::cat(nncCategory));

cl::opt<bool> printLocations("print-locations",
                             cl::desc("Print model-file locations in IR"),
                             cl::init(true), cl::sub(compileCommand),
                             cl::cat(nncCategory));

/// What every command that reads a model sets up: the dialects, a context
/// and clang-style diagnostics that show source lines.
struct Session {
  DialectRegistry registry;
  MLIRContext context;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics;

  Session()
      : registry(makeRegistry()), context(registry),
        diagnostics(sourceMgr, &context) {
    context.loadAllAvailableDialects();
  }

  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    nnc::registerAllDialects(registry);
    return registry;
  }
};

/// Whether the input file exists (`-`, standard input, where allowed);
/// prints the error otherwise.
bool inputExists(bool allowStdin) {
  if ((allowStdin && inputFile == "-") || llvm::sys::fs::exists(inputFile))
    return true;
  llvm::errs() << "nnc: error: no such file: '" << inputFile << "'\n";
  return false;
}

/// Reads the gradient-flow flags; prints an error and returns false on a
/// bad one.
bool getFlowOptions(nnc::FlowCheckOptions &options) {
  for (const std::string &flag : warningFlags) {
    std::string message;
    if (failed(options.policy.apply(flag, message))) {
      llvm::errs() << "nnc: error: " << message << "\n";
      return false;
    }
  }
  if (!(vanishingThreshold > 0) || !(explodingThreshold > 1) ||
      !std::isfinite(explodingThreshold)) {
    llvm::errs() << "nnc: error: --vanishing-threshold must be positive and "
                    "--exploding-threshold a finite number above 1\n";
    return false;
  }
  options.flow.vanishingThreshold = vanishingThreshold;
  options.flow.explodingThreshold = explodingThreshold;
  options.calibrate = calibrate;
  return true;
}

int runAnalyze() {
  nnc::FlowCheckOptions flow;
  if (!getFlowOptions(flow))
    return nnc::kExitUsageError;
  Session session;
  MLIRContext &context = session.context;
  llvm::SourceMgr &sourceMgr = session.sourceMgr;
  if (!inputExists(/*allowStdin=*/true))
    return nnc::kExitUsageError;
  OwningOpRef<ModuleOp> module = nnc::loadModel(context, sourceMgr, inputFile);
  if (!module)
    return nnc::kExitInputError;
  func::FuncOp model = nnc::findModel(*module);
  if (!model)
    return nnc::kExitInputError;
  std::string error;
  if (failed(nnc::prepareFlowOptions(model, flow, error))) {
    llvm::errs() << "nnc: error: --calibrate: " << error << "\n";
    return nnc::kExitUsageError;
  }
  nnc::GradientFlowAnalysis analysis(model, flow.flow);
  bool errors =
      failed(nnc::emitFlowFindings(analysis.getFindings(), flow.policy));
  if (analyzeFormat == AnalyzeFormat::JSON)
    nnc::printFlowJSON(analysis, model.getSymName(), llvm::outs());
  else
    nnc::printFlowTable(analysis, llvm::outs());
  if (!reportPath.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream out(reportPath, ec);
    if (ec) {
      llvm::errs() << "nnc: error: cannot write '" << reportPath
                   << "': " << ec.message() << "\n";
      return nnc::kExitUsageError;
    }
    nnc::writeFlowReport(analysis, model.getSymName(), nullptr, out);
  }
  return errors ? nnc::kExitInputError : nnc::kExitSuccess;
}

/// Sets the target CPU of `options` from --target-cpu, and the vector
/// registers the CPU strategy plans for; false (with a message) for a CPU
/// LLVM does not know.
bool setTarget(nnc::CompileOptions &options) {
  options.codegen.cpu = targetCPU;
  std::string error;
  std::optional<nnc::VectorRegisters> registers =
      nnc::targetVectorRegisters(options.codegen, error);
  if (!registers) {
    llvm::errs() << "nnc: error: --target-cpu: " << error << "\n";
    return false;
  }
  options.cpu.vectorBits = registers->bits;
  options.cpu.vectorRegisters = registers->count;
  options.target = target;
  options.gpu.arch = gpuArch;
  if (target == nnc::Target::CUDA) {
    if (std::string error = options.gpu.check(); !error.empty()) {
      llvm::errs() << "nnc: error: --gpu-arch: " << error << "\n";
      return false;
    }
    options.gpu.emulate = gpuEmulate;
    // Kernels link libdevice (the GPU's libm) from the CUDA toolkit.
    std::string toolkit = nnc::findCUDAToolkit();
    llvm::SmallString<128> libdevice(toolkit);
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    if (!gpuEmulate && !llvm::sys::fs::exists(libdevice)) {
      llvm::errs() << "nnc: error: --target=cuda needs the CUDA toolkit: no "
                   << libdevice << " (set CUDA_HOME)\n";
      return false;
    }
    options.gpu.toolkit = toolkit;
  } else if (gpuEmulate) {
    llvm::errs() << "nnc: error: --gpu-emulate-on-host needs --target=cuda\n";
    return false;
  } else if (gpuArch.getNumOccurrences()) {
    llvm::errs() << "nnc: error: --gpu-arch needs --target=cuda\n";
    return false;
  }
  return true;
}

/// Writes --depfile, if asked for, naming `outputs`; the exit status.
int writeDepfile(llvm::ArrayRef<std::string> outputs,
                 const llvm::SourceMgr &sourceMgr) {
  if (depfilePath.empty())
    return nnc::kExitSuccess;
  std::string error;
  if (succeeded(nnc::writeDepfile(depfilePath, outputs, sourceMgr, error)))
    return nnc::kExitSuccess;
  llvm::errs() << "nnc: error: --depfile: " << error << "\n";
  return nnc::kExitUsageError;
}

int runCompile() {
  Session session;
  MLIRContext &context = session.context;
  llvm::SourceMgr &sourceMgr = session.sourceMgr;

  if (threads < 1) {
    llvm::errs() << "nnc: error: --threads must be positive\n";
    return nnc::kExitUsageError;
  }
  if (!depfilePath.empty() && emitKind != EmitKind::Lib &&
      (outputFile.empty() || outputFile == "-")) {
    llvm::errs() << "nnc: error: --depfile needs -o FILE: the dependency "
                    "file names the output\n";
    return nnc::kExitUsageError;
  }
  if (!inputExists(/*allowStdin=*/true))
    return nnc::kExitUsageError;
  nnc::FlowCheckOptions flow;
  if (!getFlowOptions(flow))
    return nnc::kExitUsageError;
  // The report goes to stderr when `timing` ends, on every return below.
  DefaultTimingManager timingManager;
  timingManager.setEnabled(timePasses);
  TimingScope timing = timingManager.getRootScope();
  TimingScope phase = timing.nest("parsing");
  OwningOpRef<ModuleOp> module = nnc::loadModel(context, sourceMgr, inputFile);
  if (!module)
    return nnc::kExitInputError;
  phase.stop();
  if (std::string error; !modelName.empty() &&
                         failed(nnc::renameModel(*module, modelName, error))) {
    llvm::errs() << "nnc: error: --name: " << error << "\n";
    return nnc::kExitUsageError;
  }
  // Warnings come first, as a compiler's do, and -Werror stops here.
  phase = timing.nest("gradient-flow analysis");
  if (failed(nnc::checkGradientFlow(*module, flow)))
    return nnc::kExitInputError;
  phase.stop();
  nnc::CompileOptions options;
  if (!setTarget(options))
    return nnc::kExitUsageError;
  options.cpu.threads = threads;
  options.steps.gradStats = instrument == Instrument::GradStats;
  options.steps.gradientAPI = gradientAPI;
  if (gradientAPI && options.target == nnc::Target::CUDA) {
    llvm::errs() << "nnc: error: --gradient-api needs --target=cpu: GPU "
                    "builds have no gradient API yet\n";
    return nnc::kExitUsageError;
  }
  if (timePasses)
    options.timing = &timing;
  if (emitKind == EmitKind::Lib) {
    nnc::LibraryInterface lib;
    std::string dir =
        outputFile.empty() ? std::string(".") : outputFile.getValue();
    if (failed(nnc::buildSteps(*module, options.steps, options.timing)) ||
        failed(nnc::writeLibrary(*module, options, dir, lib)))
      return nnc::kExitInputError;
    auto in = [&](const std::string &file) {
      llvm::SmallString<256> path(dir);
      llvm::sys::path::append(path, file);
      return std::string(path);
    };
    // The archive first: build systems match it with their first output.
    return writeDepfile({in("lib" + lib.model + ".a"),
                         in("lib" + lib.model + ".so"), in(lib.model + ".h"),
                         in(lib.model + ".pc")},
                        sourceMgr);
  }
  bool cuda = options.target == nnc::Target::CUDA;
  if ((emitKind == EmitKind::PTX && !cuda) ||
      (emitKind == EmitKind::LinalgCPU && cuda)) {
    llvm::errs() << "nnc: error: --emit="
                 << (cuda ? "linalg-cpu needs --target=cpu"
                          : "ptx needs --target=cuda")
                 << "\n";
    return nnc::kExitUsageError;
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
  if (emitKind != EmitKind::NN &&
      failed(nnc::buildSteps(*module, options.steps, options.timing)))
    return nnc::kExitInputError;
  if (emitKind == EmitKind::Train || emitKind == EmitKind::Eval) {
    // Show only the step asked for.
    StringRef keep = emitKind == EmitKind::Train ? "train" : "eval";
    for (auto func : llvm::make_early_inc_range(module->getOps<func::FuncOp>()))
      if (auto step =
              func->getAttrOfType<StringAttr>(nn::NNDialect::kStepAttrName);
          step && step.getValue() != keep)
        func.erase();
  }
  bool cText = emitKind == EmitKind::Header || emitKind == EmitKind::Glue;
  if (emitKind >= EmitKind::Linalg && !cText &&
      failed(nnc::lowerToLinalg(*module, options.timing)))
    return nnc::kExitInputError;
  if (emitKind == EmitKind::Linalg &&
      failed(nnc::annotateCPUStrategy(*module, options)))
    return nnc::kExitInputError;
  if (emitKind >= EmitKind::LinalgCPU && !cuda && !cText &&
      failed(nnc::applyCPUStrategy(*module, options)))
    return nnc::kExitInputError;
  if (cText) {
    // The library's own lowering decides what the C text says (the
    // workspace, the GPU kernels).
    nnc::LibraryInterface lib;
    if (failed(nnc::lowerLibrary(*module, options, lib)))
      return nnc::kExitInputError;
    if (emitKind == EmitKind::Header)
      nnc::emitCHeader(lib, output->os());
    else
      nnc::emitCGlue(lib, output->os());
  } else if (emitKind == EmitKind::PTX) {
    options.gpu.format = "isa";
    if (failed(nnc::lowerToLLVMDialect(*module, options)))
      return nnc::kExitInputError;
    auto image = module->lookupSymbol<LLVM::GlobalOp>("_nnc_gpu_image");
    auto text = image ? dyn_cast_or_null<StringAttr>(image.getValueOrNull())
                      : StringAttr();
    if (text)
      output->os() << text.getValue().rtrim('\0');
  } else if (emitKind >= EmitKind::LLVM) {
    if (failed(nnc::lowerToLLVMDialect(*module, options)))
      return nnc::kExitInputError;
    nnc::NativeKind kind = emitKind == EmitKind::LLVM ? nnc::NativeKind::LLVMIR
                           : emitKind == EmitKind::Asm
                               ? nnc::NativeKind::Assembly
                               : nnc::NativeKind::Object;
    if (failed(nnc::emitNative(*module, options.codegen, kind, output->os(),
                               options.timing)))
      return nnc::kExitInputError;
  } else {
    module->print(output->os(), flags);
    output->os() << "\n";
  }
  output->keep();
  return writeDepfile({outputFile.getValue()}, sourceMgr);
}

int runTrain() {
  if (threads < 1 || epochs < 1 || maxSteps < 0 ||
      (learningRate.getNumOccurrences() && !(learningRate > 0))) {
    llvm::errs() << "nnc: error: --threads and --epochs must be positive, "
                    "--lr positive and --max-steps non-negative\n";
    return nnc::kExitUsageError;
  }
  if (saveEvery < 0 || (saveEvery > 0 && savePath.empty())) {
    llvm::errs() << "nnc: error: --save-every needs --save FILE and a "
                    "positive number of steps\n";
    return nnc::kExitUsageError;
  }
  if (!resumePath.empty() && !loadPath.empty()) {
    llvm::errs() << "nnc: error: --resume and --load exclude each other: "
                    "--resume restores the parameters too\n";
    return nnc::kExitUsageError;
  }
  if (!inputExists(/*allowStdin=*/false))
    return nnc::kExitUsageError;
  Session session;
  MLIRContext &context = session.context;
  llvm::SourceMgr &sourceMgr = session.sourceMgr;
  nnc::TrainOptions options;
  options.modelPath = inputFile;
  options.data = dataSet;
  options.epochs = epochs;
  options.seed = seed;
  if (learningRate.getNumOccurrences())
    options.learningRate = learningRate;
  options.savePath = savePath;
  options.loadPath = loadPath;
  options.saveEvery = saveEvery;
  options.resumePath = resumePath;
  options.cacheDir = cacheDir;
  options.maxSteps = maxSteps;
  if (!setTarget(options.compile))
    return nnc::kExitUsageError;
  options.compile.cpu.threads = threads;
  options.compile.steps.gradStats =
      instrument == Instrument::GradStats || !gradReportPath.empty();
  options.gradReportPath = gradReportPath;
  options.distributed = distributed;
  options.shuffle = !noShuffle;
  options.stepTimeout = stepTimeout;
  options.saveOnNan = saveOnNan;
  options.compile.steps.gradientAPI = distributed || saveOnNan;
  if (saveOnNan && savePath.empty()) {
    llvm::errs() << "nnc: error: --save-on-nan needs --save FILE: where the "
                    "last good state goes\n";
    return nnc::kExitUsageError;
  }
  if (saveOnNan && options.compile.target == nnc::Target::CUDA) {
    llvm::errs() << "nnc: error: --save-on-nan needs --target=cpu: GPU "
                    "builds have no gradient API yet\n";
    return nnc::kExitUsageError;
  }
  if (distributed && options.compile.target == nnc::Target::CUDA) {
    llvm::errs() << "nnc: error: --distributed needs --target=cpu: GPU "
                    "builds have no gradient API yet\n";
    return nnc::kExitUsageError;
  }
  if (stepTimeout < 0) {
    llvm::errs() << "nnc: error: --step-timeout must not be negative\n";
    return nnc::kExitUsageError;
  }
  if (!getFlowOptions(options.flow))
    return nnc::kExitUsageError;
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
          "  nnc train model.nn --epochs 2      train on Fashion-MNIST\n"
          "  nnc analyze model.nn               predict the gradient of "
          "every layer\n",
          &llvm::errs()))
    return nnc::kExitUsageError;
  if (printRuntimeDir) {
    nnc::RuntimeFiles runtime;
    std::string error;
    if (!nnc::findRuntimeFiles(runtime, error)) {
      llvm::errs() << "nnc: error: " << error << "\n";
      return nnc::kExitUsageError;
    }
    llvm::outs() << runtime.libraryDir << "\n";
    return nnc::kExitSuccess;
  }
  if (compileCommand)
    return runCompile();
  if (trainCommand)
    return runTrain();
  if (analyzeCommand)
    return runAnalyze();
  llvm::errs() << "nnc: error: expects a command: compile, train or analyze "
                  "(see nnc --help)\n";
  return nnc::kExitUsageError;
}
