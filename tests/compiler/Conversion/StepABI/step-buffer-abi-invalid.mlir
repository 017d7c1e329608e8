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
