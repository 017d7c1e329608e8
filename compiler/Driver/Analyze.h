//===- Analyze.h - Gradient-flow checks and reports -------------*- C++ -*-===//
//
// The driver's side of the gradient-flow analysis: the warnings `nnc
// compile` and `nnc train` print, and `nnc analyze`'s table, JSON and HTML
// report.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_DRIVER_ANALYZE_H
#define NNC_COMPILER_DRIVER_ANALYZE_H

#include "compiler/Analysis/GradientFlow.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace nnc {

/// How the driver runs the gradient-flow analysis.
struct FlowCheckOptions {
  GradientFlowOptions flow;
  WarningPolicy policy;
  /// A data set (as `nnc train --data` takes) whose training inputs give
  /// the input moments; empty: standardized inputs.
  std::string calibrate;
};

/// The model function of `module`, or null (with an error) if it has none.
mlir::func::FuncOp findModel(mlir::ModuleOp module);

/// Computes the analysis options for `model`: the input moments from the
/// calibration data set, if any. Fails with a message in `error`.
mlir::LogicalResult prepareFlowOptions(mlir::func::FuncOp model,
                                       FlowCheckOptions &options,
                                       std::string &error);

/// Runs the analysis on the model in `module` and reports its findings as
/// warnings. Fails if one was promoted to an error, or if calibration
/// failed (printed as `nnc: error:`).
mlir::LogicalResult checkGradientFlow(mlir::ModuleOp module,
                                      FlowCheckOptions options);

/// Gradient RMS measured while training, per parameter by name.
struct MeasuredGradients {
  std::vector<std::string> names;
  /// Mean square over the first steps, then its square root.
  std::vector<double> initial;
  /// The same over the last steps.
  std::vector<double> final;
  int64_t initialSteps = 0, finalSteps = 0;
};

/// Prints the per-parameter table of `nnc analyze`.
void printFlowTable(const GradientFlowAnalysis &analysis,
                    llvm::raw_ostream &os);

/// Prints the analysis as JSON: one record per parameter and the findings.
void printFlowJSON(const GradientFlowAnalysis &analysis, llvm::StringRef model,
                   llvm::raw_ostream &os);

/// Writes a self-contained HTML page with a log-scale chart of the
/// predicted gradient RMS per layer, the measured one overlaid when given,
/// the findings and the table.
void writeFlowReport(const GradientFlowAnalysis &analysis,
                     llvm::StringRef model, const MeasuredGradients *measured,
                     llvm::raw_ostream &os);

/// `file:line:col` of a location, or `unknown`.
std::string locationText(mlir::Location loc);

} // namespace nnc

#endif // NNC_COMPILER_DRIVER_ANALYZE_H
