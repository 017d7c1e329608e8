//===- Passes.td - nnc analysis passes ---------------------*- tablegen -*-===//

#ifndef NNC_ANALYSIS_PASSES_TD
#define NNC_ANALYSIS_PASSES_TD

include "mlir/Pass/PassBase.td"

def CheckGradientFlowPass
    : Pass<"nn-check-gradient-flow", "::mlir::func::FuncOp"> {
  let summary = "Warns where gradients will vanish or explode at initialization";
  let description = [{
    Runs the gradient-flow analysis on every model function (`nn.model`) and
    reports its findings as warnings at the ops' locations, each tagged with
    its flag, with notes at the lines that contribute and a suggested fix:

    - `vanishing-gradient`: the first weight layer's predicted gradient RMS
      is at most `vanishing-threshold` times the last one's;
    - `exploding-gradient`: it is at least `exploding-threshold` times the
      last one's, and the `train` section does not clip the gradient norm;
    - `saturated-activation`: more than half of a sigmoid's or tanh's inputs
      fall where its derivative is below a tenth of its peak;
    - `dead-relu`: more than 90% of a relu's inputs are expected negative;
    - `parameter-without-gradient`: the loss does not depend on a parameter;
    - `unmodeled-op`: an op without a gradient-flow rule (its results are
      taken to be standardized).

    `warnings` takes the `-W` flags of `nnc` without their `-W`
    (`no-dead-relu`, `error=exploding-gradient`, `gradient-flow`, `error`).
    The pass fails if a finding was promoted to an error.

    Input and output: any IR; the IR is not changed. Functions that are not
    models are skipped.
  }];
  let dependentDialects = ["::mlir::nn::NNDialect"];
  let options = [
    ListOption<"warnings", "warnings", "std::string",
               "Warning flags without -W, applied in order">,
    Option<"vanishingThreshold", "vanishing-threshold", "double",
           /*default=*/"1e-3",
           "First-to-last gradient ratio at or below which gradients vanish">,
    Option<"explodingThreshold", "exploding-threshold", "double",
           /*default=*/"70.0",
           "First-to-last gradient ratio at or above which gradients explode">
  ];
}

#endif // NNC_ANALYSIS_PASSES_TD
