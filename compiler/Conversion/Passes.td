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

def StepBufferABIPass : Pass<"nnc-step-buffer-abi", "::mlir::ModuleOp"> {
  let summary = "Gives step functions the in-place buffer signature of the "
                "generated library";
  let description = [{
    Rewrites each step function (`nn.step = "train"`, `"eval"`, `"grad"`
    or `"update"`), which takes and returns tensors, into `<prefix><name>`
    taking one memref per argument and one per result, returning nothing.
    The arguments a step updates come first among its results, in argument
    order, and are written back in place through
    `bufferization.materialize_in_destination`, so that one-shot
    bufferization can update them without copies: a train step's
    `nn.param`, `nn.buffer` and `nn.state` arguments, a grad step's
    `nn.buffer`s, an update step's `nn.param`s and `nn.state`s. Other
    results are written into their own output memrefs. The original tensor
    function is erased.

    Input: step functions on tensors (after `convert-nn-to-linalg`).
    Output: the same computation with memref arguments and tensor bodies,
    ready for `one-shot-bufferize`.
  }];
  let options = [
    Option<"prefix", "prefix", "std::string", /*default=*/"\"_nnc_\"",
           "Prefix of the rewritten functions' symbols">
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect"];
}

#endif // NNC_CONVERSION_PASSES_TD
