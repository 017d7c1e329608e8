// RUN: nnc-opt %s --nnc-step-buffer-abi -split-input-file -verify-diagnostics

// The buffer signature only exists for tensors.

// expected-error @below {{expects tensor arguments, got 'f32'}}
func.func @negative_scalar_argument(%x: f32) -> tensor<4xf32> attributes {nn.step = "eval"} {
  %c = arith.constant dense<1.0> : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

// expected-error @below {{expects tensor arguments, got 'memref<4xf32>'}}
func.func @negative_memref_argument(%x: memref<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> attributes {nn.step = "train"} {
  return %y : tensor<4xf32>
}

// -----

// Each argument a step updates needs its result.
// expected-error @below {{expects a result for each of the 2 arguments it updates, got 1}}
func.func @negative_missing_update(%w: tensor<4xf32> {nn.param = "w"}, %m: tensor<4xf32> {nn.state = "w.momentum_buffer"}) -> tensor<4xf32> attributes {nn.step = "update"} {
  return %w : tensor<4xf32>
}
