//===- Passes.td - nnc conversion passes -------------------*- tablegen -*-===//

#ifndef NNC_CONVERSION_PASSES_TD
#define NNC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertNNToLinalgPass : Pass<"convert-nn-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers nn ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every `nn` op into `linalg` structured ops (mostly
    `linalg.generic`, so that elementwise fusion can merge chains such as
    bias, activation and its derivative), `tensor` ops for shapes, and
    `arith`/`math` for the scalar work. Optimizer updates become one
    multi-result `linalg.generic` per parameter.

    Input: value-semantic `nn` ops on static shapes (typically the output of
    `nnc-train-step`). Output: no `nn` ops left, still on tensors. An op
    that cannot be lowered is reported at its location and the pass fails.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

#endif // NNC_CONVERSION_PASSES_TD
