//===- CheckGradientFlow.cpp - Gradient-flow warnings ---------------------===//

#include "compiler/Analysis/GradientFlow.h"
#include "compiler/Analysis/Passes.h"

namespace nnc {
#define GEN_PASS_DEF_CHECKGRADIENTFLOWPASS
#include "compiler/Analysis/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc;

namespace {
struct CheckGradientFlowPass
    : nnc::impl::CheckGradientFlowPassBase<CheckGradientFlowPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!nn::isModel(func))
      return markAllAnalysesPreserved();
    WarningPolicy policy;
    for (const std::string &flag : warnings) {
      std::string message;
      if (failed(policy.apply(flag, message))) {
        emitError(func.getLoc()) << message;
        return signalPassFailure();
      }
    }
    GradientFlowOptions options;
    options.vanishingThreshold = vanishingThreshold;
    options.explodingThreshold = explodingThreshold;
    GradientFlowAnalysis analysis(func, options);
    if (failed(emitFlowFindings(analysis.getFindings(), policy)))
      signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace
