//===- Train.cpp - `nnc train`: compile, load and train -------------------===//

#include "compiler/Driver/Train.h"
#include "compiler/Driver/Driver.h"
#include "compiler/Target/CSyntax.h"

#include "nnc_runtime.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cmath>
#include <csignal>
#include <dlfcn.h>
#include <signal.h>
#include <vector>

using namespace mlir;
using namespace nnc;

namespace {

int fail(const llvm::Twine &message) {
  llvm::errs() << "nnc: error: " << message << "\n";
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
        !sym("step_count", stepCount))
      return "'" + path + "' lacks the C API of model '" + model + "'";
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
/// batch is padded with the first examples, which are not counted.
std::pair<double, double> evaluate(const ModelLibrary &lib, void *state,
                                   const nnc_dataset &ds, size_t batch,
                                   size_t classes) {
  std::vector<float> inputs(batch * ds.features), logits(batch * classes);
  std::vector<int32_t> labels(batch);
  std::vector<uint32_t> order(batch);
  double lossSum = 0;
  size_t correct = 0;
  for (size_t first = 0; first < ds.count; first += batch) {
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
  return {lossSum / ds.count, double(correct) / ds.count};
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
      (options.compile.target == Target::CUDA
           ? "cuda:" + options.compile.gpu.arch.getValue() +
                 (options.compile.gpu.emulate ? ":emulated" : "")
           : "cpu");
  std::string key = llvm::utohexstr(llvm::xxh3_64bits(keyText));
  llvm::SmallString<256> dir(cacheRoot(options));
  llvm::sys::path::append(dir, key);

  OwningOpRef<ModuleOp> module =
      loadModel(context, sourceMgr, options.modelPath);
  if (!module || failed(checkGradientFlow(*module, options.flow)))
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
  size_t batch = lib.inputs[1].shape[0];
  size_t features = lib.inputs[0].numElements() / batch;
  size_t classes = lib.outputs[0].shape[1];

  llvm::SmallString<256> libPath(dir);
  llvm::sys::path::append(libPath, "lib" + lib.model + ".so");
  if (!llvm::sys::fs::exists(libPath)) {
    llvm::errs() << "nnc: compiling " << options.modelPath << " into " << dir
                 << "\n";
    LibraryInterface written;
    if (failed(writeLibrary(*module, options.compile, dir, written)))
      return kExitInputError;
  }
  ModelLibrary model;
  if (std::string error = model.open(std::string(libPath), lib.model);
      !error.empty())
    return fail(error);
  std::optional<GradientMonitor> monitor;
  if (options.compile.steps.gradStats) {
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
    return fail(error);
  char message[512];
  nnc_dataset train{}, test{};
  if (nnc_dataset_load(&train, files->trainInputs.c_str(),
                       files->trainLabels.c_str(), message, sizeof(message)) ||
      nnc_dataset_load(&test, files->testInputs.c_str(),
                       files->testLabels.c_str(), message, sizeof(message))) {
    nnc_dataset_free(&train);
    return fail(message);
  }
  auto freeData = llvm::scope_exit([&] {
    nnc_dataset_free(&train);
    nnc_dataset_free(&test);
  });
  // Name the file whose examples do not fit the model's input.
  for (auto [set, path] : {std::pair{&train, &files->trainInputs},
                           std::pair{&test, &files->testInputs}})
    if (set->features != features)
      return fail("inputs file '" + *path + "' has " +
                  std::to_string(set->features) +
                  " features per example, but the model's input '" +
                  lib.inputs[0].name + "' (" + shapeText(lib.inputs[0]) +
                  ") has " + std::to_string(features));
  if (train.count < batch)
    return fail("the training set has fewer examples than one batch");

  if (!options.resumePath.empty() && !model.loadTraining)
    return fail("--resume needs a CPU build (--target=cpu): GPU builds "
                "have no training checkpoints yet");
  char createError[512] = "";
  void *state = model.create(options.seed, createError, sizeof(createError));
  if (!state) {
    // The runtime's messages start with "nnc: ", as fail()'s output does.
    StringRef why = StringRef(createError).trim();
    why.consume_front("nnc: ");
    return fail("cannot create the model state: " + why);
  }
  auto destroy = llvm::scope_exit([&] { model.destroy(state); });
  if (!options.loadPath.empty() &&
      model.load(state, options.loadPath.c_str()) != 0)
    return fail(model.lastError(state));
  size_t steps = train.count / batch;
  if (options.maxSteps > 0)
    steps = std::min<size_t>(steps, options.maxSteps);
  // Where training starts: step 0, or where the checkpoint stopped.
  int64_t done = 0;
  if (!options.resumePath.empty()) {
    std::string from = trainingCheckpointPath(options.resumePath);
    if (model.loadTraining(state, from.c_str()) != 0)
      return fail(model.lastError(state));
    done = model.stepCount(state);
    if (done < 0 || done >= static_cast<int64_t>(steps) * options.epochs)
      return fail("'" + from + "' stopped after step " + std::to_string(done) +
                  ", and --epochs " + std::to_string(options.epochs) + " of " +
                  std::to_string(steps) + " steps leaves nothing to resume");
    llvm::outs() << "resumed " << from << " after step " << done << "\n";
  }
  if (options.learningRate)
    model.setLearningRate(state, *options.learningRate);
  // Saves the parameters and, for CPU builds, the training checkpoint.
  auto saveAll = [&]() -> bool {
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
  for (int epoch = done / steps; epoch < options.epochs; ++epoch) {
    nnc_shuffle(order.data(), train.count, options.seed, epoch);
    nnc_progress progress;
    nnc_progress_begin(&progress, stderr, epoch + 1, options.epochs, steps,
                       batch, nnc_now());
    size_t first =
        epoch == done / static_cast<int64_t>(steps) ? done % steps : 0;
    for (size_t step = first; step < steps; ++step) {
      nnc_gather_batch(&train, order.data(), step * batch, batch, inputs.data(),
                       labels.data());
      float loss = model.trainStep(state, inputs.data(), labels.data());
      if (monitor)
        monitor->record(model.gradRms(state), epoch + 1, step + 1);
      if (!std::isfinite(loss)) {
        nnc_progress_end(&progress, nnc_now());
        if (monitor)
          (void)monitor->report();
        return fail("the loss became " + std::to_string(loss) + " at epoch " +
                    std::to_string(epoch + 1) + ", step " +
                    std::to_string(step + 1) +
                    "; try a smaller --lr or clip_grad_norm");
      }
      nnc_progress_step(&progress, loss, nnc_now());
      int64_t taken = static_cast<int64_t>(epoch) * steps + step + 1;
      if (options.saveEvery > 0 && taken % options.saveEvery == 0 && !saveAll())
        return fail(model.lastError(state));
      if (interrupted) {
        nnc_progress_end(&progress, nnc_now());
        llvm::outs() << "interrupted after step " << taken << " (epoch "
                     << epoch + 1 << ", step " << step + 1 << ")\n";
        if (!options.savePath.empty()) {
          if (!saveAll())
            return fail(model.lastError(state));
          llvm::outs() << "saved " << options.savePath << "\n";
        }
        return kExitInterrupted;
      }
    }
    nnc_progress_end(&progress, nnc_now());
    if (monitor && failed(monitor->report()))
      return kExitInputError;
    auto [testLoss, testAccuracy] =
        evaluate(model, state, test, batch, classes);
    accuracy = testAccuracy;
    llvm::outs() << llvm::format("epoch %d/%d: test loss %.4f, test "
                                 "accuracy %.4f\n",
                                 epoch + 1, options.epochs, testLoss,
                                 testAccuracy);
    llvm::outs().flush();
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
      return fail(model.lastError(state));
    llvm::outs() << "saved " << options.savePath << "\n";
  }
  llvm::outs() << llvm::format("test accuracy: %.4f\n", accuracy);
  return kExitSuccess;
}
