// RUN: nnc-opt %s --nn-build-train-step -split-input-file -verify-diagnostics

// Errors of nn-build-train-step, located at the model.

// expected-error @below {{expects the gradient function @no_grad_grad; run nn-autodiff first}}
func.func @no_grad(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A function named like a gradient but for another model does not count.
// expected-error @below {{expects the gradient function @other_grad; run nn-autodiff first}}
func.func @other(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %l = nn.sum %x dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
func.func @other_gradient(%x: tensor<4xf32>) -> tensor<f32> {
  %l = nn.sum %x dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @below {{expects optimizer sgd, adam or adamw, got 'rmsprop'}}
func.func @bad_optimizer(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model, nn.train = {optimizer = "rmsprop"}} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
func.func @bad_optimizer_grad(%x: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>) {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l, %x : tensor<f32>, tensor<4xf32>
}
