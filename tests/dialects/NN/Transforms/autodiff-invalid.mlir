// RUN: nnc-opt %s --nn-autodiff -split-input-file -verify-diagnostics

// Errors of nn-autodiff, each located at the offending op or model.

func.func @negative_arith_on_path(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  // expected-error @below {{no gradient rule for 'arith.addf', which lies between a parameter and the loss}}
  %y = arith.addf %w, %x : tensor<4xf32>
  %l = nn.sum %y dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

func.func @negative_tensor_on_path() -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4x4xf32>
  // expected-error @below {{no gradient rule for 'tensor.extract_slice', which lies between a parameter and the loss}}
  %s = tensor.extract_slice %w[0, 0] [2, 4] [1, 1] : tensor<4x4xf32> to tensor<2x4xf32>
  %l = nn.sum %s dims [] : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// nn.activation_grad is itself not differentiable.
func.func @negative_nn_op_without_rule(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  // expected-error @below {{no gradient rule for 'nn.activation_grad', which lies between a parameter and the loss}}
  %g = nn.activation_grad relu %x, %w, %dy : tensor<4xf32>
  %l = nn.sum %g dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The op without a rule is reported even when the loss reaches it only
// through other ops.
func.func @negative_no_rule_deep(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.relu %w : tensor<4xf32>
  // expected-error @below {{no gradient rule for 'arith.mulf'}}
  %b = arith.mulf %a, %x : tensor<4xf32>
  %c = nn.exp %b : tensor<4xf32>
  %l = nn.mean %c dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
