//===- Train.cpp - `nnc train`: compile, load and train -------------------===//

#include "compiler/Driver/Train.h"
#include "compiler/Driver/Driver.h"

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
#include <dlfcn.h>
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
  void *(*create)(uint64_t) = nullptr;
  void (*destroy)(void *) = nullptr;
  float (*trainStep)(void *, const float *, const int32_t *) = nullptr;
  float (*evalStep)(void *, const float *, const int32_t *, float *) = nullptr;
  void (*setLearningRate)(void *, float) = nullptr;
  int (*save)(const void *, const char *) = nullptr;
  int (*load)(void *, const char *) = nullptr;
  const char *(*lastError)(const void *) = nullptr;

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
    if (!sym("create", create) || !sym("destroy", destroy) ||
        !sym("train_step", trainStep) || !sym("eval_step", evalStep) ||
        !sym("set_learning_rate", setLearningRate) || !sym("save", save) ||
        !sym("load", load) || !sym("last_error", lastError))
      return "'" + path + "' lacks the C API of model '" + model + "'";
    return "";
  }
};

/// Finds the train and test files of a data set: a known name or a
/// directory with IDX files (gzipped or not) or .npy pairs.
struct DataFiles {
  std::string trainInputs, trainLabels, testInputs, testLabels;
};

std::optional<DataFiles> findData(StringRef data, std::string &error) {
  std::string dir = data == "fashion-mnist"
                        ? std::string("/usr/share/datasets/fashion-mnist")
                        : data.str();
  auto pick = [&](ArrayRef<std::string> names) -> std::string {
    for (const std::string &name : names) {
      llvm::SmallString<256> path(dir);
      llvm::sys::path::append(path, name);
      if (llvm::sys::fs::exists(path))
        return std::string(path);
    }
    return "";
  };
  DataFiles files;
  files.trainInputs = pick(
      {"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte", "train_x.npy"});
  files.trainLabels = pick(
      {"train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte", "train_y.npy"});
  files.testInputs = pick(
      {"t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte", "test_x.npy"});
  files.testLabels = pick(
      {"t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte", "test_y.npy"});
  if (files.trainInputs.empty() || files.trainLabels.empty() ||
      files.testInputs.empty() || files.testLabels.empty()) {
    error =
        "data set '" + data.str() + "' not found: expects a directory (" + dir +
        ") with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
        "t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz], or "
        "train_x.npy, train_y.npy, test_x.npy and test_y.npy" +
        (data == "fashion-mnist"
             ? " (install Debian's dataset-fashion-mnist: tools/setup.sh)"
             : "");
    return std::nullopt;
  }
  return files;
}

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

} // namespace

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
  std::string keyText = (*source)->getBuffer().str() + "\n" NNC_VERSION "\n" +
                        build + "\n" + options.compile.codegen.cpu + "\n" +
                        std::to_string(options.compile.cpu.threads);
  std::string key = llvm::utohexstr(llvm::xxh3_64bits(keyText));
  llvm::SmallString<256> dir(cacheRoot(options));
  llvm::sys::path::append(dir, key);

  OwningOpRef<ModuleOp> module =
      loadModel(context, sourceMgr, options.modelPath);
  if (!module || failed(buildSteps(*module)))
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

  std::string error;
  std::optional<DataFiles> files = findData(options.data, error);
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
  if (train.features != features || test.features != features)
    return fail("the data set has " + std::to_string(train.features) +
                " features per example, the model's input has " +
                std::to_string(features));
  if (train.count < batch)
    return fail("the training set has fewer examples than one batch");

  void *state = model.create(options.seed);
  if (!state)
    return fail("out of memory creating the model state");
  auto destroy = llvm::scope_exit([&] { model.destroy(state); });
  if (!options.loadPath.empty() &&
      model.load(state, options.loadPath.c_str()) != 0)
    return fail(model.lastError(state));
  if (options.learningRate)
    model.setLearningRate(state, *options.learningRate);

  size_t steps = train.count / batch;
  if (options.maxSteps > 0)
    steps = std::min<size_t>(steps, options.maxSteps);
  std::vector<uint32_t> order(train.count);
  std::vector<float> inputs(batch * features);
  std::vector<int32_t> labels(batch);
  double accuracy = 0;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    nnc_shuffle(order.data(), train.count, options.seed, epoch);
    nnc_progress progress;
    nnc_progress_begin(&progress, stderr, epoch + 1, options.epochs, steps,
                       batch, nnc_now());
    for (size_t step = 0; step < steps; ++step) {
      nnc_gather_batch(&train, order.data(), step * batch, batch, inputs.data(),
                       labels.data());
      float loss = model.trainStep(state, inputs.data(), labels.data());
      if (!std::isfinite(loss)) {
        nnc_progress_end(&progress, nnc_now());
        return fail("the loss became " + std::to_string(loss) + " at epoch " +
                    std::to_string(epoch + 1) + ", step " +
                    std::to_string(step + 1) +
                    "; try a smaller --lr or clip_grad_norm");
      }
      nnc_progress_step(&progress, loss, nnc_now());
    }
    nnc_progress_end(&progress, nnc_now());
    auto [testLoss, testAccuracy] =
        evaluate(model, state, test, batch, classes);
    accuracy = testAccuracy;
    llvm::outs() << llvm::format("epoch %d/%d: test loss %.4f, test "
                                 "accuracy %.4f\n",
                                 epoch + 1, options.epochs, testLoss,
                                 testAccuracy);
    llvm::outs().flush();
  }
  if (!options.savePath.empty()) {
    if (model.save(state, options.savePath.c_str()) != 0)
      return fail(model.lastError(state));
    llvm::outs() << "saved " << options.savePath << "\n";
  }
  llvm::outs() << llvm::format("test accuracy: %.4f\n", accuracy);
  return kExitSuccess;
}
