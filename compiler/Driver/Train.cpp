//===- Train.cpp - `nnc train`: compile, load and train -------------------===//

#include "compiler/Driver/Train.h"
#include "compiler/Driver/Distributed.h"
#include "compiler/Driver/Driver.h"
#include "compiler/Target/CSyntax.h"

#include "nnc_runtime.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cmath>
#include <csignal>
#include <dlfcn.h>
#include <signal.h>
#include <unistd.h>
#include <vector>

using namespace mlir;
using namespace nnc;

namespace {

int fail(const llvm::Twine &message) {
  // One write, so that the lines of several processes do not interleave.
  llvm::errs() << ("nnc: error: " + message + "\n").str();
  return kExitInputError;
}

/// The C API of a loaded model library, for models with one float input
/// and one int32 label (classifiers).
struct ModelLibrary {
  void *handle = nullptr;
  void *(*create)(uint64_t, char *, size_t) = nullptr;
  void (*destroy)(void *) = nullptr;
  float (*trainStep)(void *, const float *, const int32_t *) = nullptr;
  float (*evalStep)(void *, const float *, const int32_t *, float *) = nullptr;
  void (*setLearningRate)(void *, float) = nullptr;
  int (*save)(const void *, const char *) = nullptr;
  int (*load)(void *, const char *) = nullptr;
  /// CPU builds only.
  int (*saveTraining)(const void *, const char *) = nullptr;
  int (*loadTraining)(void *, const char *) = nullptr;
  const char *(*lastError)(const void *) = nullptr;
  int64_t (*stepCount)(const void *) = nullptr;
  /// Instrumented libraries only.
  const double *(*gradRms)(const void *) = nullptr;
  const nnc_param *(*params)(void *, size_t *) = nullptr;
  /// Libraries with the gradient API only (--gradient-api).
  float (*computeGradients)(void *, const float *, const int32_t *) = nullptr;
  float *(*gradients)(void *, size_t *) = nullptr;
  void (*applyUpdate)(void *) = nullptr;
  void (*setExampleOffset)(void *, int64_t) = nullptr;

  ~ModelLibrary() {
    if (handle)
      dlclose(handle);
  }

  /// Loads `path`, resolving `<model>_*`; returns an error message.
  std::string open(const std::string &path, const std::string &model) {
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      return std::string("cannot load '") + path + "': " + dlerror();
    auto sym = [&](const char *name, auto &fn) {
      fn = reinterpret_cast<std::decay_t<decltype(fn)>>(
          dlsym(handle, (model + "_" + name).c_str()));
      return fn != nullptr;
    };
    if (!sym("try_create", create) || !sym("destroy", destroy) ||
        !sym("train_step", trainStep) || !sym("eval_step", evalStep) ||
        !sym("set_learning_rate", setLearningRate) || !sym("save", save) ||
        !sym("load", load) || !sym("last_error", lastError) ||
        !sym("step_count", stepCount) || !sym("params", params))
      return "'" + path + "' lacks the C API of model '" + model + "'";
    sym("compute_gradients", computeGradients);
    sym("gradients", gradients);
    sym("apply_update", applyUpdate);
    sym("set_example_offset", setExampleOffset);
    sym("grad_rms", gradRms);
    sym("save_training", saveTraining);
    sym("load_training", loadTraining);
    return "";
  }
};

/// Set by SIGINT; the training loop stops after the current step.
volatile std::sig_atomic_t interrupted = 0;

extern "C" void onInterrupt(int) { interrupted = 1; }

/// Handles SIGINT for its lifetime: the first stops training cleanly, a
/// second (the default again) kills the process.
struct InterruptScope {
  struct sigaction previous;
  InterruptScope() {
    interrupted = 0;
    struct sigaction action = {};
    action.sa_handler = onInterrupt;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous);
  }
  ~InterruptScope() { sigaction(SIGINT, &previous, nullptr); }
};

std::string cacheRoot(const TrainOptions &options) {
  if (!options.cacheDir.empty())
    return options.cacheDir;
  llvm::SmallString<256> path;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    path = xdg;
  else if (const char *home = std::getenv("HOME"); home && *home)
    llvm::sys::path::append(path, home, ".cache");
  else
    path = "/tmp";
  llvm::sys::path::append(path, "nnc");
  return std::string(path);
}

/// Loss and accuracy over a whole data set, in batches; the last partial
/// batch is padded with the first examples, which are not counted. Each
/// process of a distributed run evaluates every size()-th batch, and the
/// sums are combined; fails with the communicator's error.
FailureOr<std::pair<double, double>>
evaluate(const ModelLibrary &lib, void *state, const nnc_dataset &ds,
         size_t batch, size_t classes, Communicator &comm) {
  std::vector<float> inputs(batch * ds.features), logits(batch * classes);
  std::vector<int32_t> labels(batch);
  std::vector<uint32_t> order(batch);
  double lossSum = 0;
  size_t correct = 0;
  size_t index = 0;
  for (size_t first = 0; first < ds.count; first += batch, ++index) {
    if (index % comm.size() != static_cast<size_t>(comm.rank()))
      continue;
    size_t valid = std::min(batch, ds.count - first);
    for (size_t i = 0; i < batch; ++i)
      order[i] = static_cast<uint32_t>(i < valid ? first + i : i - valid);
    nnc_gather_batch(&ds, order.data(), 0, batch, inputs.data(), labels.data());
    float loss =
        lib.evalStep(state, inputs.data(), labels.data(), logits.data());
    lossSum += double(loss) * valid;
    for (size_t i = 0; i < valid; ++i) {
      const float *row = &logits[i * classes];
      size_t best = 0;
      for (size_t c = 1; c < classes; ++c)
        if (row[c] > row[best])
          best = c;
      correct += static_cast<int32_t>(best) == labels[i];
    }
  }
  double sums[2] = {lossSum, double(correct)};
  if (std::string error = comm.allreduceSum(sums, 2); !error.empty()) {
    llvm::errs() << "nnc: error: " << error << "\n";
    return failure();
  }
  return std::pair{sums[0] / ds.count, sums[1] / ds.count};
}

/// Fails with an error at the model, and a note at its largest parameter,
/// when the state a CPU library allocates (parameters, buffers, optimizer
/// state, outputs and gradients; the workspace comes on top) exceeds this
/// machine's physical memory: better than an allocation failure or the
/// kernel's OOM killer after minutes of compiling.
LogicalResult checkFitsInMemory(const LibraryInterface &lib,
                                ModuleOp original) {
  auto bytesOf = [](const TensorInfo &t) {
    int64_t size = t.cType == "double" || t.cType == "int64_t" ? 8 : 4;
    return static_cast<double>(t.numElements()) * size;
  };
  double total = 0;
  const TensorInfo *largest = nullptr;
  for (const TensorInfo &p : lib.params) {
    total += bytesOf(p) * (p.isBuffer ? 1 : lib.gradientAPI ? 2 : 1);
    if (!largest || bytesOf(p) > bytesOf(*largest))
      largest = &p;
  }
  for (const TensorInfo &t : lib.state)
    total += bytesOf(t);
  for (const TensorInfo &t : lib.outputs)
    total += bytesOf(t);
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0 || !largest)
    return success();
  double memory = static_cast<double>(pages) * pageSize;
  if (total <= memory)
    return success();
  func::FuncOp model = findModel(original);
  Location loc = model ? model.getLoc() : original.getLoc();
  Location paramLoc = loc;
  if (model)
    model.walk([&](nn::ParamOp p) {
      if (p.getName() == largest->name)
        paramLoc = p.getLoc();
    });
  auto gb = [](double bytes) {
    return llvm::formatv("{0:F1} GB", bytes / 1e9).str();
  };
  InFlightDiagnostic diag =
      emitError(loc) << "the model's training state needs " << gb(total)
                     << " (parameters, optimizer state, outputs), more than "
                        "this machine's "
                     << gb(memory) << " of memory";
  double stateBytes = 0;
  for (const TensorInfo &t : lib.state)
    if (llvm::StringRef(t.name).starts_with(largest->name + "."))
      stateBytes += bytesOf(t);
  Diagnostic &note = diag.attachNote(paramLoc);
  note << "the largest parameter, '" << largest->name << "' "
       << shapeText(*largest) << ", takes " << gb(bytesOf(*largest));
  if (stateBytes > 0)
    note << ", its optimizer state " << gb(stateBytes) << " more";
  return failure();
}

/// Compiles into a new directory and renames it to `dir`, so that
/// processes sharing the cache never see half a library: the first rename
/// wins, and a process that loses uses the winner's.
LogicalResult compileIntoCache(ModuleOp module, const CompileOptions &options,
                               llvm::StringRef dir) {
  std::string staging =
      (dir + ".tmp." + llvm::Twine(static_cast<int64_t>(getpid()))).str();
  (void)llvm::sys::fs::remove_directories(staging);
  LibraryInterface written;
  if (failed(writeLibrary(module, options, staging, written))) {
    (void)llvm::sys::fs::remove_directories(staging);
    return failure();
  }
  if (std::error_code ec = llvm::sys::fs::rename(staging, dir)) {
    (void)llvm::sys::fs::remove_directories(staging);
    if (!llvm::sys::fs::exists(dir)) {
      llvm::errs() << "nnc: error: cannot create '" << dir
                   << "': " << ec.message() << "\n";
      return failure();
    }
  }
  return success();
}

/// Watches the gradient RMS an instrumented step reports: warns, at the
/// parameter's model-file line, where the measured gradient vanishes,
/// explodes or turns non-finite, and keeps the first and last steps'
/// values for the report.
struct GradientMonitor {
  /// How many steps the first and last windows cover.
  static constexpr int64_t kWindow = 20;

  GradientMonitor(func::FuncOp model, const FlowCheckOptions &options,
                  const std::vector<TensorInfo> &params)
      : analysis(model, options.flow), options(options),
        numParams(params.size()), initial(numParams), ring(kWindow * numParams),
        warnedNonFinite(numParams) {
    // The library lists parameters in its own order; match them by name.
    llvm::StringMap<size_t> libIndex;
    for (auto [i, p] : llvm::enumerate(params)) {
      libIndex[p.name] = i;
      names.push_back(p.name);
    }
    locs.assign(numParams, UnknownLoc::get(model.getContext()));
    for (const ParamFlow &p : analysis.getParams()) {
      auto it = libIndex.find(p.name);
      if (it == libIndex.end())
        continue;
      nn::ParamOp op = p.op;
      locs[it->second] = op.getLoc();
      // The ratio rule compares the first and last weight, as the analysis.
      if (p.rank >= 2 && p.reached)
        weights.push_back({it->second, &p});
    }
  }

  void record(const double *rms, int epoch, int64_t step) {
    if (steps < kWindow)
      for (size_t i = 0; i < numParams; ++i)
        initial[i] += rms[i] * rms[i];
    std::copy(rms, rms + numParams,
              ring.begin() + (steps % kWindow) * numParams);
    ++steps;
    for (size_t i = 0; i < numParams; ++i)
      if (!std::isfinite(rms[i]) && !warnedNonFinite[i]) {
        warnedNonFinite[i] = true;
        pending.push_back(
            {FlowWarning::ExplodingGradient,
             paramLoc(i),
             "gradient of '" + name(i) + "' is " +
                 (std::isnan(rms[i]) ? "NaN" : "infinite") + " at epoch " +
                 std::to_string(epoch) + ", step " + std::to_string(step),
             {{paramLoc(i), "consider clip_grad_norm in the train section, "
                            "a smaller --lr, or normalization"}}});
      }
    // The ratio rule, on the mean square over a window of steps.
    if (weights.size() < 2 || steps % kWindow != 0)
      return;
    auto windowRms = [&](size_t i) {
      double sum = 0;
      for (int64_t s = 0; s < kWindow; ++s)
        sum += ring[s * numParams + i] * ring[s * numParams + i];
      return std::sqrt(sum / kWindow);
    };
    size_t first = weights.front().first, last = weights.back().first;
    double a = windowRms(first), b = windowRms(last);
    if (!(a > 0) || !(b > 0) || !std::isfinite(a) || !std::isfinite(b))
      return;
    double ratio = a / b;
    bool vanishing = ratio <= options.flow.vanishingThreshold;
    bool exploding = ratio >= options.flow.explodingThreshold;
    if ((vanishing && warnedVanishing) || (exploding && warnedExploding) ||
        (!vanishing && !exploding))
      return;
    (vanishing ? warnedVanishing : warnedExploding) = true;
    const ParamFlow &pf = *weights.front().second;
    const ParamFlow &pl = *weights.back().second;
    double predicted = pl.gradRms > 0 ? pf.gradRms / pl.gradRms : 0;
    pending.push_back(
        {vanishing ? FlowWarning::VanishingGradient
                   : FlowWarning::ExplodingGradient,
         paramLoc(first),
         "measured gradient " +
             std::string(vanishing ? "vanishes" : "explodes") + ": at '" +
             name(first) + "' it is " + formatRatio(ratio) +
             (vanishing ? " of" : " times") + " its size at '" + name(last) +
             "' (RMS over steps " + std::to_string(step - kWindow + 1) + "-" +
             std::to_string(step) + " of epoch " + std::to_string(epoch) + ")",
         {{paramLoc(first), "the analysis predicted " + formatRatio(predicted) +
                                " at initialization (nnc analyze)"}}});
  }

  /// Emits the warnings gathered since the last call; fails if one was an
  /// error.
  LogicalResult report() {
    LogicalResult result = emitFlowFindings(pending, options.policy);
    pending.clear();
    return result;
  }

  MeasuredGradients measured() const {
    MeasuredGradients m;
    int64_t first = std::min(steps, kWindow), last = std::min(steps, kWindow);
    m.initialSteps = first;
    m.finalSteps = last;
    for (size_t i = 0; i < numParams; ++i) {
      m.names.push_back(name(i));
      m.initial.push_back(first ? std::sqrt(initial[i] / first) : 0);
      double sum = 0;
      for (int64_t s = 0; s < last; ++s)
        sum += ring[s * numParams + i] * ring[s * numParams + i];
      m.final.push_back(last ? std::sqrt(sum / last) : 0);
    }
    return m;
  }

  std::string name(size_t i) const { return names[i]; }
  Location paramLoc(size_t i) const { return locs[i]; }

  GradientFlowAnalysis analysis;
  FlowCheckOptions options;
  size_t numParams;
  int64_t steps = 0;
  std::vector<double> initial, ring;
  std::vector<std::string> names;
  std::vector<Location> locs;
  /// Library index and prediction of each weight, first layer first.
  std::vector<std::pair<size_t, const ParamFlow *>> weights;
  std::vector<bool> warnedNonFinite;
  bool warnedVanishing = false, warnedExploding = false;
  std::vector<FlowFinding> pending;
};

} // namespace

std::string nnc::trainingCheckpointPath(llvm::StringRef path) {
  if (path.ends_with(".train.safetensors"))
    return path.str();
  path.consume_back(".safetensors");
  return (path + ".train.safetensors").str();
}

int nnc::runTraining(MLIRContext &context, llvm::SourceMgr &sourceMgr,
                     const TrainOptions &options) {
  // One process, or each process of an MPI job (--distributed).
  std::unique_ptr<Communicator> comm;
  if (options.distributed) {
    std::string error;
    comm = joinMPI(options.stepTimeout, error);
    if (!comm)
      return fail(error);
  } else {
    comm = std::make_unique<Communicator>();
  }
  const int rank = comm->rank(), ranks = comm->size();
  const bool lead = rank == 0;
  // A failure on one process of several ends them all: the others would
  // wait for it forever.
  auto failAll = [&](const llvm::Twine &message) {
    fail((ranks > 1 ? "rank " + llvm::Twine(rank) + ": " : llvm::Twine()) +
         message);
    if (ranks > 1)
      comm->abort(kExitInputError);
    return kExitInputError;
  };
  if ((options.distributed || options.saveOnNan) &&
      !options.compile.steps.gradientAPI)
    return fail("--distributed and --save-on-nan need the gradient API (an "
                "internal error)");
  // The cache key covers everything that changes the generated library.
  auto source = llvm::MemoryBuffer::getFile(options.modelPath);
  if (!source)
    return fail("cannot read '" + options.modelPath + "'");
  // The compiler's own binary stands for its version during development:
  // a rebuilt nnc must not reuse libraries an older one made.
  std::string self = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  llvm::sys::fs::file_status status;
  std::string build;
  if (!llvm::sys::fs::status(self, status))
    build = std::to_string(status.getSize()) + ":" +
            std::to_string(
                status.getLastModificationTime().time_since_epoch().count());
  std::string keyText =
      (*source)->getBuffer().str() + "\n" NNC_VERSION "\n" + build + "\n" +
      options.compile.codegen.cpu + "\n" +
      std::to_string(options.compile.cpu.threads) + "\n" +
      (options.compile.steps.gradStats ? "grad-stats" : "") + "\n" +
      (options.compile.steps.gradientAPI ? "gradient-api" : "") + "\n" +
      (options.compile.target == Target::CUDA
           ? "cuda:" + options.compile.gpu.arch.getValue() +
                 (options.compile.gpu.emulate ? ":emulated" : "")
           : "cpu");
  std::string key = llvm::utohexstr(llvm::xxh3_64bits(keyText));
  llvm::SmallString<256> dir(cacheRoot(options));
  llvm::sys::path::append(dir, key);

  // Every process must run the same model with the same compiler.
  if (ranks > 1) {
    constexpr size_t kKey = 32;
    std::vector<char> mine(kKey, 0), all(kKey * ranks, 0);
    key.copy(mine.data(), kKey - 1);
    if (std::string error = comm->allgather(mine.data(), kKey, all.data());
        !error.empty())
      return failAll(error);
    auto keyOf = [&](int r) { return std::string(&all[r * kKey]); };
    std::string differing;
    for (int r = 1; r < ranks; ++r)
      if (keyOf(r) != keyOf(0))
        differing += (differing.empty() ? "" : ", ") +
                     ("rank " + llvm::Twine(r) + " has " + keyOf(r)).str();
    if (!differing.empty()) {
      if (key != keyOf(0))
        fail("rank " + llvm::Twine(rank) +
             ": the model file or nnc differs from rank 0's (hash " + key +
             " here, " + keyOf(0) + " on rank 0)");
      else
        fail("rank " + llvm::Twine(rank) +
             ": the ranks disagree on the model file or nnc: rank 0 has hash " +
             keyOf(0) + ", " + differing);
      // Every rank has said why before any exits (mpirun ends the others
      // when one exits with an error).
      (void)comm->barrier();
      return kExitInputError;
    }
  }

  OwningOpRef<ModuleOp> module =
      loadModel(context, sourceMgr, options.modelPath);
  if (!module)
    return kExitInputError;
  // Rank 0 alone reports the analysis; every rank stops if it fails.
  double flowFailed = lead && failed(checkGradientFlow(*module, options.flow));
  if (std::string error = comm->broadcast(&flowFailed, sizeof(flowFailed));
      !error.empty())
    return failAll(error);
  if (flowFailed)
    return kExitInputError;
  // The analysis refers to the model, which building the steps replaces.
  OwningOpRef<ModuleOp> original(cast<ModuleOp>((*module)->clone()));
  if (failed(buildSteps(*module, options.compile.steps)))
    return kExitInputError;
  FailureOr<LibraryInterface> described = LibraryInterface::fromModule(*module);
  if (failed(described))
    return kExitInputError;
  LibraryInterface lib = *described;
  if (lib.inputs.size() != 2 || lib.inputs[0].isLabel ||
      lib.inputs[0].cType != "float" || !lib.inputs[1].isLabel ||
      lib.inputs[1].cType != "int32_t" || lib.inputs[1].shape.size() != 1 ||
      lib.outputs.size() != 1 || lib.outputs[0].shape.size() != 2)
    return fail("nnc train needs a classifier: one f32 input, one i32 label "
                "of shape [batch] and one output of shape [batch, classes]; "
                "use the generated library for other models");
  if ((options.distributed || options.saveOnNan) && lib.gradType != "float")
    return fail(
        std::string(options.distributed ? "--distributed" : "--save-on-nan") +
        " needs f32 parameters; '" + lib.model + "' has " + lib.gradType +
        " ones");
  if (options.compile.target == Target::CPU &&
      failed(checkFitsInMemory(lib, *original)))
    return kExitInputError;
  size_t batch = lib.inputs[1].shape[0];
  size_t features = lib.inputs[0].numElements() / batch;
  size_t classes = lib.outputs[0].shape[1];

  // Rank 0 compiles; the others wait for it and load its library.
  llvm::SmallString<256> libPath(dir);
  llvm::sys::path::append(libPath, "lib" + lib.model + ".so");
  double built = 1;
  if (lead && !llvm::sys::fs::exists(libPath)) {
    llvm::errs() << "nnc: compiling " << options.modelPath << " into " << dir
                 << "\n";
    built = succeeded(compileIntoCache(*module, options.compile, dir));
  }
  if (std::string error = comm->broadcast(&built, sizeof(built));
      !error.empty())
    return failAll(error);
  if (!built)
    return kExitInputError;
  ModelLibrary model;
  if (std::string error = model.open(std::string(libPath), lib.model);
      !error.empty())
    return failAll(error);
  if ((options.distributed || options.saveOnNan) &&
      (!model.computeGradients || !model.gradients || !model.applyUpdate ||
       !model.setExampleOffset))
    return failAll("'" + std::string(libPath) + "' lacks the gradient API");
  std::optional<GradientMonitor> monitor;
  if (options.compile.steps.gradStats && lead) {
    if (!model.gradRms)
      return fail("'" + std::string(libPath) + "' lacks " + lib.model +
                  "_grad_rms");
    func::FuncOp analyzed = findModel(*original);
    if (!analyzed)
      return kExitInputError;
    monitor.emplace(analyzed, options.flow, lib.params);
  }

  std::string error;
  std::optional<DataFiles> files = findDataSet(options.data, error);
  if (!files)
    return failAll(error);
  char message[512];
  nnc_dataset train{}, test{};
  if (nnc_dataset_load(&train, files->trainInputs.c_str(),
                       files->trainLabels.c_str(), message, sizeof(message)) ||
      nnc_dataset_load(&test, files->testInputs.c_str(),
                       files->testLabels.c_str(), message, sizeof(message))) {
    nnc_dataset_free(&train);
    return failAll(message);
  }
  auto freeData = llvm::scope_exit([&] {
    nnc_dataset_free(&train);
    nnc_dataset_free(&test);
  });
  // Name the file whose examples do not fit the model's input.
  for (auto [set, path] : {std::pair{&train, &files->trainInputs},
                           std::pair{&test, &files->testInputs}})
    if (set->features != features)
      return failAll("inputs file '" + *path + "' has " +
                     std::to_string(set->features) +
                     " features per example, but the model's input '" +
                     lib.inputs[0].name + "' (" + shapeText(lib.inputs[0]) +
                     ") has " + std::to_string(features));
  // Each global batch is one batch per process.
  size_t globalBatch = batch * ranks;
  if (train.count < globalBatch)
    return failAll(ranks > 1 ? "the training set has fewer examples than one "
                               "global batch (" +
                                   llvm::Twine(ranks) + " x " +
                                   llvm::Twine(batch) + ")"
                             : llvm::Twine("the training set has fewer "
                                           "examples than one batch"));

  if (!options.resumePath.empty() && !model.loadTraining)
    return fail("--resume needs a CPU build (--target=cpu): GPU builds "
                "have no training checkpoints yet");
  char createError[512] = "";
  void *state = model.create(options.seed, createError, sizeof(createError));
  if (!state) {
    // The runtime's messages start with "nnc: ", as fail()'s output does.
    StringRef why = StringRef(createError).trim();
    why.consume_front("nnc: ");
    return failAll("cannot create the model state: " + why);
  }
  auto destroy = llvm::scope_exit([&] { model.destroy(state); });
  // Rank 0 loads; every rank starts from rank 0's parameters.
  if (lead && !options.loadPath.empty() &&
      model.load(state, options.loadPath.c_str()) != 0)
    return failAll(model.lastError(state));
  size_t numParams = 0;
  const nnc_param *params = model.params(state, &numParams);
  auto broadcastParams = [&](bool buffersOnly) -> std::string {
    if (ranks == 1)
      return "";
    for (size_t i = 0; i < numParams; ++i) {
      if (buffersOnly && !lib.params[i].isBuffer)
        continue;
      size_t bytes = params[i].numel * (params[i].dtype == NNC_F64   ? 8
                                        : params[i].dtype == NNC_I64 ? 8
                                                                     : 4);
      if (std::string error = comm->broadcast(params[i].data, bytes);
          !error.empty())
        return error;
    }
    return "";
  };
  bool hasBuffers =
      llvm::any_of(lib.params, [](const TensorInfo &p) { return p.isBuffer; });
  if (std::string error = broadcastParams(/*buffersOnly=*/false);
      !error.empty())
    return failAll(error);
  size_t steps = train.count / globalBatch;
  // Dropout masks by global example: this process's slice starts at
  // rank * batch of each global batch.
  if (model.setExampleOffset)
    model.setExampleOffset(state, static_cast<int64_t>(rank * batch));
  if (options.maxSteps > 0)
    steps = std::min<size_t>(steps, options.maxSteps);
  // Where training starts: step 0, or where the checkpoint stopped.
  int64_t done = 0;
  if (!options.resumePath.empty()) {
    std::string from = trainingCheckpointPath(options.resumePath);
    std::string readFrom = from;
    // Rank 0 reads the checkpoint and sends it: the other ranks (on other
    // hosts) need not see the file. Each loads it from a private copy.
    std::string copy;
    auto removeCopy = llvm::scope_exit([&] {
      if (!copy.empty())
        (void)llvm::sys::fs::remove(copy);
    });
    if (ranks > 1) {
      std::string bytes;
      double size = -1;
      if (lead) {
        if (auto buffer = llvm::MemoryBuffer::getFile(from)) {
          bytes = (*buffer)->getBuffer().str();
          size = static_cast<double>(bytes.size());
        }
      }
      if (std::string error = comm->broadcast(&size, sizeof(size));
          !error.empty())
        return failAll(error);
      if (size < 0) {
        // Rank 0 reports why, from the library's own check of the path.
        if (lead && model.loadTraining(state, from.c_str()) != 0)
          fail(model.lastError(state));
        (void)comm->barrier();
        return kExitInputError;
      }
      bytes.resize(static_cast<size_t>(size));
      if (std::string error = comm->broadcast(bytes.data(), bytes.size());
          !error.empty())
        return failAll(error);
      if (!lead) {
        llvm::SmallString<256> path;
        int fd = -1;
        if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
                "nnc-resume", "safetensors", fd, path))
          return failAll("cannot write a copy of '" + from +
                         "': " + ec.message());
        copy = std::string(path);
        llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
        out << bytes;
        out.close();
        if (out.has_error())
          return failAll("cannot write a copy of '" + from + "' to '" + copy +
                         "'");
        readFrom = copy;
      }
    }
    if (model.loadTraining(state, readFrom.c_str()) != 0)
      return failAll(model.lastError(state));
    done = model.stepCount(state);
    if (done < 0 || done >= static_cast<int64_t>(steps) * options.epochs)
      return fail("'" + from + "' stopped after step " + std::to_string(done) +
                  ", and --epochs " + std::to_string(options.epochs) + " of " +
                  std::to_string(steps) + " steps leaves nothing to resume");
    if (lead)
      llvm::outs() << "resumed " << from << " after step " << done << "\n";
  }
  if (options.learningRate)
    model.setLearningRate(state, *options.learningRate);
  // Saves the parameters and, for CPU builds, the training checkpoint: rank
  // 0 alone writes.
  auto saveAll = [&]() -> bool {
    if (!lead)
      return true;
    if (model.save(state, options.savePath.c_str()) != 0)
      return false;
    return !model.saveTraining ||
           model.saveTraining(
               state, trainingCheckpointPath(options.savePath).c_str()) == 0;
  };
  InterruptScope interrupts;
  std::vector<uint32_t> order(train.count);
  std::vector<float> inputs(batch * features);
  std::vector<int32_t> labels(batch);
  double accuracy = 0;
  // One step: this process's slice of the global batch, the gradients
  // averaged over the processes, and the same update everywhere. Returns
  // the mean loss over the processes, and whether any was interrupted.
  // With --save-on-nan, the first parameter whose gradient has a NaN or
  // infinite element (the step is then not applied), or -1.
  int64_t badGradient = -1;
  // The parameter each gradient buffer element belongs to, by offset.
  std::vector<std::pair<size_t, size_t>> gradientSpans; // (end, param)
  for (size_t i = 0, end = 0; i < lib.params.size(); ++i)
    if (!lib.params[i].isBuffer) {
      end += lib.params[i].numElements();
      gradientSpans.push_back({end, i});
    }
  auto firstNonFinite = [&](const float *g, size_t count) -> int64_t {
    // x - x is 0 for finite x and NaN otherwise; checked span by span.
    size_t begin = 0;
    for (auto [end, param] : gradientSpans) {
      float acc = 0;
      for (size_t i = begin; i < end && i < count; ++i)
        acc += g[i] - g[i];
      if (acc != 0 || acc != acc)
        return static_cast<int64_t>(param);
      begin = end;
    }
    return -1;
  };
  auto trainStep = [&](size_t step, bool &stop) -> float {
    nnc_gather_batch(&train, order.data(), (step * ranks + rank) * batch, batch,
                     inputs.data(), labels.data());
    if (ranks == 1 && !options.saveOnNan) {
      stop = interrupted;
      return model.trainStep(state, inputs.data(), labels.data());
    }
    // As PyTorch's DDP: every step starts from rank 0's running statistics.
    if (ranks > 1 && hasBuffers)
      if (std::string error = broadcastParams(/*buffersOnly=*/true);
          !error.empty())
        failAll(error);
    float loss = model.computeGradients(state, inputs.data(), labels.data());
    size_t count = 0;
    float *gradients = model.gradients(state, &count);
    double shared[2] = {loss, interrupted ? 1.0 : 0.0};
    if (ranks > 1) {
      if (std::string error = comm->allreduceSum(gradients, count);
          !error.empty())
        failAll(error);
      float scale = 1.0f / static_cast<float>(ranks);
      for (size_t i = 0; i < count; ++i)
        gradients[i] *= scale;
      if (std::string error = comm->allreduceSum(shared, 2); !error.empty())
        failAll(error);
    }
    stop = shared[1] > 0;
    float mean = static_cast<float>(shared[0] / ranks);
    // The averaged gradients are the same on every rank: so is the verdict.
    if (options.saveOnNan) {
      badGradient = firstNonFinite(gradients, count);
      if (badGradient >= 0 || !std::isfinite(mean))
        return mean;
    }
    model.applyUpdate(state);
    comm->heartbeat();
    return mean;
  };
  comm->heartbeat();
  for (int epoch = done / steps; epoch < options.epochs; ++epoch) {
    if (options.shuffle)
      nnc_shuffle(order.data(), train.count, options.seed, epoch);
    else
      for (size_t i = 0; i < order.size(); ++i)
        order[i] = static_cast<uint32_t>(i);
    nnc_progress progress;
    if (lead)
      nnc_progress_begin(&progress, stderr, epoch + 1, options.epochs, steps,
                         globalBatch, nnc_now());
    auto endProgress = [&] {
      if (lead)
        nnc_progress_end(&progress, nnc_now());
    };
    size_t first =
        epoch == done / static_cast<int64_t>(steps) ? done % steps : 0;
    for (size_t step = first; step < steps; ++step) {
      bool stop = false;
      float loss = trainStep(step, stop);
      if (monitor)
        monitor->record(model.gradRms(state), epoch + 1, step + 1);
      if (!std::isfinite(loss) || badGradient >= 0) {
        endProgress();
        if (monitor)
          (void)monitor->report();
        std::string where = " at epoch " + std::to_string(epoch + 1) +
                            ", step " + std::to_string(step + 1);
        // --save-on-nan skipped this step's update: the state is the last
        // good one.
        if (options.saveOnNan) {
          int64_t good = static_cast<int64_t>(epoch) * steps + step;
          if (!saveAll())
            return failAll(model.lastError(state));
          if (lead)
            llvm::outs() << "saved the last good state (after step " << good
                         << ") to " << options.savePath << "\n";
        }
        if (!std::isfinite(loss))
          return fail("the loss became " + std::to_string(loss) + where +
                      "; try a smaller --lr or clip_grad_norm");
        return fail("the gradient of '" + lib.params[badGradient].name +
                    "' became NaN or infinite" + where +
                    "; try a smaller --lr or clip_grad_norm");
      }
      if (lead)
        nnc_progress_step(&progress, loss, nnc_now());
      int64_t taken = static_cast<int64_t>(epoch) * steps + step + 1;
      if (options.saveEvery > 0 && taken % options.saveEvery == 0 && !saveAll())
        return failAll(model.lastError(state));
      if (stop) {
        endProgress();
        if (lead)
          llvm::outs() << "interrupted after step " << taken << " (epoch "
                       << epoch + 1 << ", step " << step + 1 << ")\n";
        if (!options.savePath.empty()) {
          if (!saveAll())
            return failAll(model.lastError(state));
          if (lead)
            llvm::outs() << "saved " << options.savePath << "\n";
        }
        return kExitInterrupted;
      }
    }
    endProgress();
    // Rank 0 alone watches the gradients; its verdict holds for all.
    double reportFailed = monitor && failed(monitor->report());
    if (std::string error =
            comm->broadcast(&reportFailed, sizeof(reportFailed));
        !error.empty())
      return failAll(error);
    if (reportFailed)
      return kExitInputError;
    // Evaluation, too, sees rank 0's running statistics.
    if (hasBuffers)
      if (std::string error = broadcastParams(/*buffersOnly=*/true);
          !error.empty())
        return failAll(error);
    FailureOr<std::pair<double, double>> evaluated =
        evaluate(model, state, test, batch, classes, *comm);
    if (failed(evaluated))
      return failAll("evaluation failed");
    comm->heartbeat();
    auto [testLoss, testAccuracy] = *evaluated;
    accuracy = testAccuracy;
    if (lead) {
      llvm::outs() << llvm::format("epoch %d/%d: test loss %.4f, test "
                                   "accuracy %.4f\n",
                                   epoch + 1, options.epochs, testLoss,
                                   testAccuracy);
      llvm::outs().flush();
    }
  }
  if (monitor && !options.gradReportPath.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream out(options.gradReportPath, ec);
    if (ec)
      return fail("cannot write '" + options.gradReportPath +
                  "': " + ec.message());
    MeasuredGradients measured = monitor->measured();
    writeFlowReport(monitor->analysis, lib.model, &measured, out);
    llvm::outs() << "wrote " << options.gradReportPath << "\n";
  }
  if (!options.savePath.empty()) {
    if (!saveAll())
      return failAll(model.lastError(state));
    if (lead)
      llvm::outs() << "saved " << options.savePath << "\n";
  }
  if (lead)
    llvm::outs() << llvm::format("test accuracy: %.4f\n", accuracy);
  return kExitSuccess;
}
