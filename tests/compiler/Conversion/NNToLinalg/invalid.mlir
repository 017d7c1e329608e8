// RUN: nnc-opt %s --convert-nn-to-linalg -split-input-file -verify-diagnostics

// An nn op without a lowering is reported at its location. nn.param only
// exists in models; nn-build-train-step turns parameters into arguments.

func.func @negative_param() -> tensor<4xf32> {
  // expected-error @below {{failed to legalize operation 'nn.param' that was explicitly marked illegal}}
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  return %w : tensor<4xf32>
}
