// RUN: nnc-opt %s --nn-autodiff --nn-build-train-step -verify-diagnostics

// A buffer is state with one new value per step: two ops updating the same
// running statistics are an error at the second.

func.func @negative_buffer_updated_twice(%x: tensor<4x3xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<3xf32>
  %m = nn.buffer "m" init = constant(0.0) : tensor<3xf32>
  %v = nn.buffer "v" init = constant(1.0) : tensor<3xf32>
  // expected-note @below {{also updated here}}
  %y, %m2, %v2 = nn.batch_norm %x, %w, %w, %m, %v momentum 0.1 eps 1.0e-5 {training} : tensor<4x3xf32>, tensor<3xf32>
  // expected-error @below {{expects buffer 'm' to be updated by one op}}
  %z, %m3, %v3 = nn.batch_norm %y, %w, %w, %m, %v momentum 0.1 eps 1.0e-5 {training} : tensor<4x3xf32>, tensor<3xf32>
  %l = nn.sum %z dims [] : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
