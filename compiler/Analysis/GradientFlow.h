//===- GradientFlow.h - Static gradient-flow analysis -----------*- C++ -*-===//
//
// Predicts, before training, how large the gradient of every parameter of a
// model will be at initialization, and finds where it vanishes or explodes.
// Activation moments are propagated forwards from the inputs and expected
// squared gradients backwards from the loss, op by op, through each op's
// GradientFlowOpInterface rule.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_ANALYSIS_GRADIENTFLOW_H
#define NNC_COMPILER_ANALYSIS_GRADIENTFLOW_H

#include "dialects/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

#include <string>
#include <vector>

namespace nnc {

/// The kinds of finding, each with its warning flag (`-W<flag>`).
enum class FlowWarning {
  VanishingGradient,
  ExplodingGradient,
  SaturatedActivation,
  DeadRelu,
  ParameterWithoutGradient,
  UnmodeledOp,
};

/// The flag name of `kind` without `-W`: `vanishing-gradient`.
llvm::StringRef getFlagName(FlowWarning kind);
/// All kinds, in the order diagnostics list them.
llvm::ArrayRef<FlowWarning> getAllFlowWarnings();

/// Thresholds of the decision rules; the defaults mirror AUTOTRAINER.
struct GradientFlowOptions {
  /// Vanishing when the first layer's gradient RMS is at most this fraction
  /// of the last layer's.
  double vanishingThreshold = 1e-3;
  /// Exploding when it is at least this multiple of the last layer's.
  double explodingThreshold = 70.0;
  /// A sigmoid or tanh saturates when more than this fraction of its inputs
  /// fall where its derivative is below a tenth of its peak.
  double saturationThreshold = 0.5;
  /// A relu is mostly dead when more than this fraction of its inputs is
  /// expected to be negative.
  double deadReluThreshold = 0.9;
  /// Moments of the model's float inputs by argument number; standardized
  /// (mean 0, variance 1) where absent.
  llvm::DenseMap<unsigned, mlir::nn::FlowMoments> inputMoments;
};

/// What the analysis predicts for one parameter.
struct ParamFlow {
  mlir::nn::ParamOp op;
  std::string name;
  int64_t numElements = 0;
  unsigned rank = 0;
  /// Predicted RMS of the parameter's gradient at initialization.
  double gradRms = 0;
  /// RMS of the parameter's initial values.
  double paramRms = 0;
  /// Spread (standard deviation) of the activations entering the layer that
  /// uses the parameter; 0 where it has no such layer.
  double inputSpread = 0;
  /// RMS of the backpropagated signal at the output of that layer.
  double signalRms = 0;
  /// Whether the loss depends on the parameter at all.
  bool reached = false;
};

/// One diagnostic the analysis raises: a warning and its notes.
struct FlowFinding {
  FlowWarning kind;
  mlir::Location loc;
  std::string message;
  std::vector<std::pair<mlir::Location, std::string>> notes;
};

/// The analysis of one model function (`nn.model`).
class GradientFlowAnalysis {
public:
  GradientFlowAnalysis(mlir::func::FuncOp model,
                       const GradientFlowOptions &options);

  /// Predicted moments of a float value of the model.
  mlir::nn::FlowMoments getMoments(mlir::Value value) const;
  /// Predicted moments of the gradient of `value`.
  mlir::nn::FlowGradient getGradient(mlir::Value value) const;
  /// Per-parameter predictions, in program order.
  llvm::ArrayRef<ParamFlow> getParams() const { return params; }
  /// The findings, in the order they should be reported.
  llvm::ArrayRef<FlowFinding> getFindings() const { return findings; }

private:
  void propagateForward();
  void propagateBackward();
  void summarizeParams();
  void checkDepth();
  void checkActivations();
  void checkReachability();

  mlir::func::FuncOp model;
  GradientFlowOptions options;
  llvm::DenseMap<mlir::Value, mlir::nn::FlowMoments> moments;
  llvm::DenseMap<mlir::Value, mlir::nn::FlowGradient> gradSquare;
  llvm::DenseSet<mlir::Value> reached;
  /// Per op, the factor by which it scales the expected squared gradient on
  /// its way to the first operand.
  llvm::DenseMap<mlir::Operation *, double> gain;
  std::vector<ParamFlow> params;
  std::vector<FlowFinding> findings;
};

/// Which findings are reported, and which are errors, as set by `-W` flags.
class WarningPolicy {
public:
  /// Applies one flag without its `-W`: `vanishing-gradient`,
  /// `no-dead-relu`, `error`, `error=exploding-gradient`,
  /// `no-error=...`, and the group `gradient-flow`. Fails on an unknown
  /// flag, setting `message`.
  llvm::LogicalResult apply(llvm::StringRef flag, std::string &message);
  bool isEnabled(FlowWarning kind) const;
  bool isError(FlowWarning kind) const;

private:
  llvm::StringSet<> disabled, errors, notErrors;
  bool allErrors = false;
};

/// Emits `findings` through the MLIR diagnostic engine as clang-style
/// warnings (or errors) tagged with their flag, with their notes. Returns
/// failure if any was an error.
llvm::LogicalResult emitFlowFindings(llvm::ArrayRef<FlowFinding> findings,
                                     const WarningPolicy &policy);

/// Formats a positive ratio the way diagnostics quote it: `0.21`, `3e-11`.
std::string formatRatio(double value);

} // namespace nnc

#endif // NNC_COMPILER_ANALYSIS_GRADIENTFLOW_H
