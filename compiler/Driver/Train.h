//===- Train.h - `nnc train`: compile, load and train -----------*- C++ -*-===//
//
// Compiles a model into a cached library, loads it and trains it on a data
// set with a progress bar, evaluating on the test set after each epoch.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_DRIVER_TRAIN_H
#define NNC_COMPILER_DRIVER_TRAIN_H

#include "compiler/Driver/Analyze.h"
#include "compiler/Driver/Compile.h"
#include "compiler/Driver/DataSet.h"

#include <cstdint>
#include <optional>
#include <string>

namespace nnc {

/// What `nnc train` was asked to do.
struct TrainOptions {
  std::string modelPath;
  std::string data = "fashion-mnist"; ///< A known name or a directory.
  int epochs = 1;
  uint64_t seed = 0;
  /// Shuffle the training set anew each epoch (from `seed`); false: the
  /// data set's order.
  bool shuffle = true;
  std::optional<float> learningRate; ///< Overrides the model's train section.
  std::string savePath, loadPath;
  /// With `savePath`: also save every this many steps (0: only at the end).
  /// Each save writes the parameters to `savePath` and a training
  /// checkpoint (with the optimizer state and the step count) beside it,
  /// `trainingCheckpointPath(savePath)`.
  int64_t saveEvery = 0;
  /// With `savePath`: when the loss or a gradient turns NaN or infinite,
  /// skip that step's update and save the last good state. Needs
  /// `compile.steps.gradientAPI` (the step's halves).
  bool saveOnNan = false;
  /// A checkpoint to continue from (its training checkpoint is read).
  std::string resumePath;
  std::string cacheDir; ///< Empty: $XDG_CACHE_HOME/nnc or ~/.cache/nnc.
  /// Stop each epoch after this many steps (0: the whole data set); for
  /// quick runs and tests.
  int64_t maxSteps = 0;
  /// Train in every process of an MPI job (`mpirun ... nnc train
  /// --distributed`): each takes its slice of every global batch (the
  /// model's batch per process) and the gradients are averaged. Needs
  /// `compile.steps.gradientAPI`.
  bool distributed = false;
  /// Distributed only: end the run when no step finishes for this many
  /// seconds (0: never).
  double stepTimeout = 300;
  CompileOptions compile;
  /// The gradient-flow warnings, checked before training and, with
  /// `compile.steps.gradStats`, against the measured gradients during it.
  FlowCheckOptions flow;
  /// Where to write the predicted-versus-measured report (needs
  /// `compile.steps.gradStats`); empty: none.
  std::string gradReportPath;
};

/// The training checkpoint written beside the parameters file `path`:
/// `ckpt.safetensors` -> `ckpt.train.safetensors` (a path already ending in
/// `.train.safetensors` is its own).
std::string trainingCheckpointPath(llvm::StringRef path);

/// The exit status of `nnc train` stopped by SIGINT (after saving, if asked).
constexpr int kExitInterrupted = 130;

/// Runs `nnc train`; returns the process exit status. Errors about the
/// model go through the diagnostic engine of `context`; others are printed
/// as `nnc: error: ...`.
int runTraining(mlir::MLIRContext &context, llvm::SourceMgr &sourceMgr,
                const TrainOptions &options);

} // namespace nnc

#endif // NNC_COMPILER_DRIVER_TRAIN_H
