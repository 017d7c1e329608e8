//===- Compile.cpp - From a model to a library ----------------------------===//

#include "compiler/Driver/Compile.h"
#include "compiler/Driver/Install.h"

#include "compiler/Codegen/Passes.h"
#include "compiler/Target/Template.h"
#include "dialects/NN/IR/NNDialect.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

#ifndef NNC_VERSION
#error "NNC_VERSION must be defined"
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
      if (auto size = func->getAttrOfType<IntegerAttr>(
              nn::NNDialect::kWorkspaceSizeAttrName))
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

/// Writes the archive `archive` from `objects` and every member of the
/// archive `library`, with a symbol table. LLVM's archive writer does what
/// `ar` would, with no system `ar` needed and any path allowed (ar's MRI
/// scripts cannot name paths with spaces).
static LogicalResult writeArchive(Location loc, StringRef archive,
                                  ArrayRef<std::string> objects,
                                  StringRef library) {
  auto fail = [&](StringRef file, llvm::Error error) {
    return emitError(loc) << "cannot read '" << file
                          << "': " << llvm::toString(std::move(error));
  };
  std::vector<llvm::NewArchiveMember> members;
  for (const std::string &file : objects) {
    auto member = llvm::NewArchiveMember::getFile(file, /*Deterministic=*/true);
    if (!member)
      return fail(file, member.takeError());
    members.push_back(std::move(*member));
  }
  // The members refer into the library's buffer until the archive is
  // written.
  auto buffer = llvm::MemoryBuffer::getFile(library);
  if (!buffer)
    return emitError(loc) << "cannot read '" << library
                          << "': " << buffer.getError().message();
  auto runtime = llvm::object::Archive::create((*buffer)->getMemBufferRef());
  if (!runtime)
    return fail(library, runtime.takeError());
  llvm::Error error = llvm::Error::success();
  for (const llvm::object::Archive::Child &child :
       (*runtime)->children(error)) {
    auto member =
        llvm::NewArchiveMember::getOldMember(child, /*Deterministic=*/true);
    if (!member) {
      llvm::consumeError(std::move(error));
      return fail(library, member.takeError());
    }
    members.push_back(std::move(*member));
  }
  if (error)
    return fail(library, std::move(error));
  if (llvm::Error written = llvm::writeArchive(
          archive, members, llvm::SymtabWritingMode::NormalSymtab,
          llvm::object::Archive::K_GNU, /*Deterministic=*/true,
          /*Thin=*/false))
    return emitError(loc) << "cannot write '" << archive
                          << "': " << llvm::toString(std::move(written));
  return success();
}

LogicalResult nnc::lowerLibrary(ModuleOp module, const CompileOptions &options,
                                LibraryInterface &lib) {
  FailureOr<LibraryInterface> described = LibraryInterface::fromModule(module);
  if (failed(described))
    return failure();
  lib = *described;
  bool gpuStrategy = options.target == Target::CUDA;
  // Emulated on the host, a GPU build is a CPU library.
  lib.cuda = gpuStrategy && !options.gpu.emulate;
  lib.openmp = !gpuStrategy && options.cpu.threads > 1;
  return success(
      succeeded(lowerToLinalg(module, options.timing)) &&
      (gpuStrategy || succeeded(applyCPUStrategy(module, options))) &&
      succeeded(lowerToLLVMDialect(module, options, &lib)));
}

LogicalResult nnc::writeLibrary(ModuleOp module, const CompileOptions &options,
                                StringRef dir, LibraryInterface &lib) {
  Location loc = module.getLoc();
  if (failed(lowerLibrary(module, options, lib)))
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

  RuntimeFiles runtime;
  if (std::string error; !findRuntimeFiles(runtime, error))
    return emitError(loc) << error;
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
      failed(write(glue,
                   [&](llvm::raw_pwrite_stream &os) {
                     emitCGlue(lib, os);
                     return success();
                   })) ||
      failed(write(path(lib.model + ".pc"), [&](llvm::raw_pwrite_stream &os) {
        emitPkgConfig(lib, NNC_VERSION, os);
        return success();
      })))
    return failure();

  // The header includes the types every generated header shares; a copy
  // beside it keeps the directory self-contained.
  std::string types = path("nnc_types.h");
  if (std::error_code ec = llvm::sys::fs::copy_file(runtime.typesHeader, types))
    return emitError(loc) << "cannot write '" << types << "': " << ec.message();

  // Intermediate files go whether or not the build succeeds.
  auto cleanup = llvm::scope_exit([&] {
    for (const std::string &tmp :
         {object, glue, glueObject, path(lib.model + ".map")})
      llvm::sys::fs::remove(tmp);
  });
  // The rest is mostly other programs' time: the glue's compile and the
  // link; then the archive.
  TimingScope linking = options.timing
                            ? options.timing->nest("library (cc, archive)")
                            : TimingScope();
  FailureOr<std::string> cc = findTool(loc, "cc", "NNC_CC");
  if (failed(cc))
    return failure();
  if (failed(run(loc, {*cc, "-std=c11", "-O2", "-fPIC", "-c",
                       "-I" + runtime.includeDir, "-I" + dir.str(), glue, "-o",
                       glueObject})))
    return failure();
  // Export only the model's C API: the compiled kernels and the runtime
  // stay private, so that two models can live in one program.
  std::string exports = path(lib.model + ".map");
  if (failed(write(exports, [&](llvm::raw_pwrite_stream &os) {
        renderTo(os, "{{\n  global: {m}_*;\n  local: *;\n}};\n",
                 field("m", lib.model));
        return success();
      })))
    return failure();
  std::string shared = path("lib" + lib.model + ".so");
  std::vector<std::string> link = {*cc,
                                   "-shared",
                                   "-o",
                                   shared,
                                   "-Wl,-soname,lib" + lib.model + ".so",
                                   object,
                                   glueObject,
                                   runtime.library,
                                   "-lm",
                                   "-Wl,--version-script=" + exports};
  if (lib.openmp)
    link.push_back("-lomp");
  if (lib.cuda)
    link.push_back("-ldl");
  if (failed(run(loc, link)))
    return failure();
  // The static library carries the runtime's objects too, so that users
  // link one archive.
  return writeArchive(loc, path("lib" + lib.model + ".a"), {object, glueObject},
                      runtime.library);
}
