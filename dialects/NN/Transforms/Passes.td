//===- Passes.td - nn dialect passes -----------------------*- tablegen -*-===//

#ifndef NN_PASSES_TD
#define NN_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNAutodiffPass : Pass<"nn-autodiff", "::mlir::ModuleOp"> {
  let summary = "Builds the reverse-mode gradient of each model";
  let description = [{
    For every `func.func @m` marked `nn.model`, adds `func.func @m_grad` with
    the same arguments. It computes the forward pass of `@m`, then the
    gradient of the loss (the first result) with respect to every
    `nn.param`, and returns `(loss, outputs..., gradients...)`; each gradient
    result carries `nn.grad_of = "<param name>"`. A model that already has
    its `_grad` function is left alone.

    The pass seeds the loss with one, walks the forward ops in reverse,
    calls each op's `GradientOpInterface` rule, and sums cotangents where a
    value has several uses. Only values that depend on a parameter get a
    cotangent: inputs and labels get none. A parameter that does not reach
    the loss gets a zero gradient. Backward ops are located at
    `fused<"grad">[<forward op location>]`. An op without a rule on the
    gradient path is an error located at that op.

    Input: verified `nn` models. Output: the models unchanged, plus one
    gradient function each, un-canonicalized (run `canonicalize` and `cse`).
  }];
  let dependentDialects = ["::mlir::nn::NNDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def NNBuildTrainStepPass : Pass<"nn-build-train-step", "::mlir::ModuleOp"> {
  let summary = "Assembles training and evaluation steps from gradients";
  let description = [{
    For every model `@m` with a gradient function `@m_grad` (from
    `nn-autodiff`), builds

    - `@m_train_step(params..., optimizer state..., inputs..., lr, step)
      -> (new params..., new optimizer state..., loss)`: forward, loss,
      backward, gradient clipping by global norm (`clip_grad_norm` in the
      `train` section) and the optimizer update (`sgd`, `adam` or `adamw`,
      as PyTorch defines them). `lr` and `step` (counting from 1) are
      `tensor<f64>` scalars passed at run time.
    - `@m_eval_step(params..., inputs...) -> (loss, outputs...)`.

    Every `nn.param` becomes an argument with `nn.param = "<name>"` and
    `nn.init`; optimizer state arguments carry `nn.state = "<name>.<slot>"`
    and start at zero. The model and its gradient function are erased.

    With `grad-stats`, the training step also returns, after the loss, a
    `tensor<Nxf64>` (result attribute `nn.name = "grad_rms"`) with the RMS
    of each parameter's gradient before clipping (`nn.gradient_rms`);
    without it the steps are unchanged.

    With `gradient-api`, it also builds the training step's two halves, for
    callers that combine gradients between them (data-parallel training):

    - `@m_grad_step(params..., buffers..., inputs..., step, example_offset)
      -> (new buffers..., loss, gradients...)` (`nn.step = "grad"`): the
      forward and backward pass; each gradient result carries `nn.grad_of =
      "<param>"`. `example_offset` (a `tensor<f64>`) is the global index of
      the batch's first example, the `offset` of every `nn.dropout`.
    - `@m_update_step(params..., optimizer state..., gradients..., lr,
      step) -> (new params..., new optimizer state...)` (`nn.step =
      "update"`): with `grad-stats`, the RMS of the given gradients, then
      clipping and the optimizer update. Gradient arguments carry
      `nn.grad_of`.

    The two compute what the training step computes, with the same ops.

    Input: models with their `_grad` functions. Output: only the step
    functions, on value-semantic tensors.
  }];
  let dependentDialects = ["::mlir::nn::NNDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"gradStats", "grad-stats", "bool", /*default=*/"false",
           "Also return each parameter's gradient RMS from the training step">,
    Option<"gradientAPI", "gradient-api", "bool", /*default=*/"false",
           "Also build the gradient and update steps (the training step in "
           "two halves)">
  ];
}

#endif // NN_PASSES_TD
