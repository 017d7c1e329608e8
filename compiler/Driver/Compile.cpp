//===- Compile.cpp - From a model to a library ----------------------------===//

#include "compiler/Driver/Compile.h"

#include "compiler/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

#ifndef NNC_RUNTIME_INCLUDE_DIR
#error "NNC_RUNTIME_INCLUDE_DIR must point at runtime/"
#endif
#ifndef NNC_RUNTIME_LIBRARY
#error "NNC_RUNTIME_LIBRARY must name libnnc_runtime.a"
#endif

/// Runs the pipeline that `fn` builds, timed under `name` in `timing` when
/// given. Release builds verify the module once, after the pipeline, as
/// clang verifies LLVM IR: verifying after every pass took 0.3 s of
/// deep48's 2.3 s. Builds with assertions verify after every pass, as
/// nnc-opt and the lit tests do.
static LogicalResult runPipeline(ModuleOp module, StringRef name,
                                 TimingScope *timing,
                                 llvm::function_ref<void(OpPassManager &)> fn) {
  PassManager pm(module.getContext());
#ifdef NDEBUG
  pm.enableVerifier(false);
#endif
  fn(pm);
  if (!timing)
    return success(succeeded(pm.run(module)) && succeeded(verify(module)));
  TimingScope stage = timing->nest(name);
  pm.enableTiming(stage);
  if (failed(pm.run(module)))
    return failure();
  TimingScope verifying = stage.nest("verify");
  return verify(module);
}

LogicalResult nnc::buildSteps(ModuleOp module, const TrainStepOptions &options,
                              TimingScope *timing) {
  return runPipeline(module, "nnc-train-step", timing, [&](OpPassManager &pm) {
    buildTrainStepPipeline(pm, options);
  });
}

LogicalResult nnc::lowerToLinalg(ModuleOp module, TimingScope *timing) {
  return runPipeline(module, "nnc-linalg", timing, buildLinalgPipeline);
}

LogicalResult nnc::annotateCPUStrategy(ModuleOp module,
                                       const CompileOptions &options) {
  return runPipeline(module, "nnc-cpu-strategy", options.timing,
                     [&](OpPassManager &pm) {
                       CPUStrategyPassOptions strategy;
                       strategy.annotateOnly = true;
                       strategy.threads = options.cpu.threads;
                       strategy.vectorBits = options.cpu.vectorBits;
                       strategy.vectorRegisters = options.cpu.vectorRegisters;
                       pm.addPass(createCPUStrategyPass(strategy));
                     });
}

LogicalResult nnc::applyCPUStrategy(ModuleOp module,
                                    const CompileOptions &options) {
  return runPipeline(
      module, "nnc-cpu-linalg", options.timing,
      [&](OpPassManager &pm) { buildCPULinalgPipeline(pm, options.cpu); });
}

LogicalResult nnc::lowerToLLVMDialect(ModuleOp module,
                                      const CompileOptions &options,
                                      LibraryInterface *lib) {
  if (options.target == Target::CUDA) {
    GPUPipelineOptions gpu;
    gpu.arch = options.gpu.arch.getValue();
    gpu.format = options.gpu.format.getValue();
    gpu.threadsPerBlock = options.gpu.threadsPerBlock.getValue();
    gpu.toolkit = options.gpu.toolkit.getValue();
    gpu.emulate = options.gpu.emulate.getValue();
    // The glue finds the image by the model's name, so that two models
    // can be linked into one program.
    gpu.symbolPrefix = lib ? "_nnc_" + lib->model + "_gpu" : "_nnc_gpu";
    if (failed(runPipeline(
            module, "nnc-gpu-llvm", options.timing,
            [&](OpPassManager &pm) { buildGPULLVMPipeline(pm, gpu); })))
      return failure();
  } else if (failed(runPipeline(module, "nnc-cpu-llvm", options.timing,
                                [&](OpPassManager &pm) {
                                  buildCPULLVMPipeline(pm, options.cpu);
                                }))) {
    return failure();
  }
  if (lib) {
    lib->workspaceBytes = 0;
    module.walk([&](LLVM::LLVMFuncOp func) {
      if (auto size = func->getAttrOfType<IntegerAttr>("nn.workspace_size"))
        lib->workspaceBytes = std::max(lib->workspaceBytes, size.getInt());
    });
    if (auto kernels = module->getAttrOfType<ArrayAttr>("nnc.gpu.kernels"))
      for (auto name : kernels.getAsValueRange<StringAttr>())
        lib->gpuKernels.push_back(name.str());
    if (auto bytes = module->getAttrOfType<IntegerAttr>("nnc.gpu.image_bytes"))
      lib->gpuImageBytes = bytes.getInt();
  }
  module->removeAttr("nnc.gpu.kernels");
  module->removeAttr("nnc.gpu.image_bytes");
  // Argument attributes such as nn.init describe the C API, which is
  // emitted separately; LLVM IR has no use for them.
  module.walk([](LLVM::LLVMFuncOp func) {
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
      for (NamedAttribute attr : func.getArgAttrDict(i)
                                     ? func.getArgAttrDict(i).getValue()
                                     : ArrayRef<NamedAttribute>())
        if (attr.getName().strref().starts_with("nn."))
          func.removeArgAttr(i, attr.getName());
    SmallVector<StringAttr> drop;
    for (NamedAttribute attr : func->getDiscardableAttrs())
      if (attr.getName().strref().starts_with("nn."))
        drop.push_back(attr.getName());
    for (StringAttr name : drop)
      func->removeAttr(name);
  });
  return success();
}

/// Runs `argv`, reporting a failure with its command line.
static LogicalResult run(Location loc, ArrayRef<std::string> argv) {
  SmallVector<StringRef> args(argv.begin(), argv.end());
  std::string error;
  int status =
      llvm::sys::ExecuteAndWait(args[0], args, std::nullopt, {}, 0, 0, &error);
  if (status == 0)
    return success();
  InFlightDiagnostic diag = emitError(loc)
                            << "command failed (" << status
                            << (error.empty() ? "" : ": ") << error << "):";
  for (StringRef a : args)
    diag << " " << a;
  return diag;
}

static FailureOr<std::string> findTool(Location loc, StringRef name,
                                       const char *envVar) {
  // $NNC_CC and friends may name a program on PATH or give a path.
  if (const char *env = std::getenv(envVar); env && *env)
    name = env;
  if (name.contains('/'))
    return name.str();
  if (auto path = llvm::sys::findProgramByName(name))
    return *path;
  return emitError(loc) << "cannot find '" << name << "' (set " << envVar
                        << ")";
}

LogicalResult nnc::writeLibrary(ModuleOp module, const CompileOptions &options,
                                StringRef dir, LibraryInterface &lib) {
  Location loc = module.getLoc();
  FailureOr<LibraryInterface> described = LibraryInterface::fromModule(module);
  if (failed(described))
    return failure();
  lib = *described;
  bool gpuStrategy = options.target == Target::CUDA;
  // Emulated on the host, a GPU build is a CPU library.
  lib.cuda = gpuStrategy && !options.gpu.emulate;
  lib.openmp = !gpuStrategy && options.cpu.threads > 1;
  if (failed(lowerToLinalg(module, options.timing)) ||
      (!gpuStrategy && failed(applyCPUStrategy(module, options))) ||
      failed(lowerToLLVMDialect(module, options, &lib)))
    return failure();

  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return emitError(loc) << "cannot create '" << dir << "': " << ec.message();
  auto path = [&](const llvm::Twine &file) {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, file);
    return std::string(p);
  };
  auto write =
      [&](const std::string &file,
          llvm::function_ref<LogicalResult(llvm::raw_pwrite_stream &)> fn)
      -> LogicalResult {
    std::error_code ec;
    llvm::ToolOutputFile out(file, ec, llvm::sys::fs::OF_None);
    if (ec)
      return emitError(loc)
             << "cannot write '" << file << "': " << ec.message();
    if (failed(fn(out.os())))
      return failure();
    out.keep();
    return success();
  };

  std::string object = path(lib.model + ".o");
  std::string glue = path(lib.model + "_api.c");
  std::string glueObject = path(lib.model + "_api.o");
  std::string header = path(lib.model + ".h");
  if (failed(write(object,
                   [&](llvm::raw_pwrite_stream &os) {
                     return emitNative(module, options.codegen,
                                       NativeKind::Object, os, options.timing);
                   })) ||
      failed(write(header,
                   [&](llvm::raw_pwrite_stream &os) {
                     emitCHeader(lib, os);
                     return success();
                   })) ||
      failed(write(glue, [&](llvm::raw_pwrite_stream &os) {
        emitCGlue(lib, os);
        return success();
      })))
    return failure();

  // Intermediate files go whether or not the build succeeds.
  auto cleanup = llvm::scope_exit([&] {
    for (const std::string &tmp :
         {object, glue, glueObject, path(lib.model + ".mri"),
          path(lib.model + ".map")})
      llvm::sys::fs::remove(tmp);
  });
  // The rest is other programs' time: the glue's compile, the link and the
  // archive.
  TimingScope linking =
      options.timing ? options.timing->nest("library (cc, ar)") : TimingScope();
  FailureOr<std::string> cc = findTool(loc, "cc", "NNC_CC");
  FailureOr<std::string> ar = findTool(loc, "ar", "NNC_AR");
  if (failed(cc) || failed(ar))
    return failure();
  if (failed(run(loc, {*cc, "-std=c11", "-O2", "-fPIC", "-c",
                       "-I" + std::string(NNC_RUNTIME_INCLUDE_DIR),
                       "-I" + dir.str(), glue, "-o", glueObject})))
    return failure();
  // Export only the model's C API: the compiled kernels and the runtime
  // stay private, so that two models can live in one program.
  std::string exports = path(lib.model + ".map");
  if (failed(write(exports, [&](llvm::raw_pwrite_stream &os) {
        os << "{\n  global: " << lib.model << "_*;\n  local: *;\n};\n";
        return success();
      })))
    return failure();
  std::string shared = path("lib" + lib.model + ".so");
  std::vector<std::string> link = {*cc,
                                   "-shared",
                                   "-o",
                                   shared,
                                   object,
                                   glueObject,
                                   NNC_RUNTIME_LIBRARY,
                                   "-lm",
                                   "-Wl,--version-script=" + exports};
  if (lib.openmp)
    link.push_back("-lomp");
  if (lib.cuda)
    link.push_back("-ldl");
  if (failed(run(loc, link)))
    return failure();
  // The static library carries the runtime's objects too, so that users
  // link one archive; an MRI script merges the archives.
  std::string archive = path("lib" + lib.model + ".a");
  std::string script = path(lib.model + ".mri");
  llvm::sys::fs::remove(archive);
  if (failed(write(script, [&](llvm::raw_pwrite_stream &os) {
        os << "CREATE " << archive << "\nADDMOD " << object << "\nADDMOD "
           << glueObject << "\nADDLIB " << NNC_RUNTIME_LIBRARY
           << "\nSAVE\nEND\n";
        return success();
      })))
    return failure();
  std::optional<StringRef> redirects[] = {script, std::nullopt, std::nullopt};
  std::string error;
  SmallVector<StringRef> arArgs = {*ar, "-M"};
  if (llvm::sys::ExecuteAndWait(*ar, arArgs, std::nullopt, redirects, 0, 0,
                                &error) != 0)
    return emitError(loc) << "cannot create '" << archive << "' with ar -M "
                          << error;
  return success();
}
