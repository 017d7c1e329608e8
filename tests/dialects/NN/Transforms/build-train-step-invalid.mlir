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

// -----

// A hand-written gradient function that does not match its model (found
// by tests/fuzz: the step builder used to follow it into a null value).
// expected-note @below {{the model is here}}
func.func @renamed(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error @below {{expects @renamed_grad to be the gradient of @renamed (as nn-autodiff builds it), but it lacks the model's parameter 'w'}}
func.func @renamed_grad(%x: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>) {
  %w = nn.param "v" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l, %x : tensor<f32>, tensor<4xf32>
}

// -----

// expected-note @below {{the model is here}}
func.func @extra(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error @below {{but it has a parameter 'u' that the model lacks}}
func.func @extra_grad(%x: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>, tensor<4xf32>) {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %u = nn.param "u" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l, %x, %u : tensor<f32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// expected-note @below {{the model is here}}
func.func @retyped(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error @below {{but its parameter 'w' has type 'tensor<4xf64>', the model's 'tensor<4xf32>'}}
func.func @retyped_grad(%x: tensor<4xf32>) -> (tensor<f32>, tensor<4xf64>) {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf64>
  %l = nn.sum %x dims [] : tensor<4xf32> -> tensor<f32>
  return %l, %w : tensor<f32>, tensor<4xf64>
}

// -----

// expected-note @below {{the model is here}}
func.func @args(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %l = nn.sum %x dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error @below {{but its arguments differ from the model's}}
func.func @args_grad(%x: tensor<8xf32>) -> tensor<f32> {
  %l = nn.sum %x dims [] : tensor<8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-note @below {{the model is here}}
func.func @results(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error @below {{but its results are not the model's followed by one gradient per parameter}}
func.func @results_grad(%x: tensor<4xf32>) -> tensor<f32> {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-note @below {{the model is here}}
func.func @declared(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %l = nn.sum %x dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error @below {{but it is not one block ending in 'func.return'}}
func.func private @declared_grad(%x: tensor<4xf32>) -> tensor<f32>
