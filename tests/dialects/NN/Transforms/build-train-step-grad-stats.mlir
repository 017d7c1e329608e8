// RUN: nnc-opt %s --nn-autodiff "--nn-build-train-step=grad-stats" --canonicalize | FileCheck %s
// RUN: nnc-opt %s --nn-autodiff --nn-build-train-step --canonicalize | FileCheck %s --check-prefix=PLAIN

// With grad-stats the training step also returns the RMS of every raw
// gradient, measured before clipping; without it the step is unchanged.
// CHECK-LABEL: func.func @m_train_step
// CHECK-SAME: -> (tensor<3x4xf32>, tensor<3xf32>, tensor<f32>, tensor<2xf64> {nn.name = "grad_rms"})
// CHECK: %[[RMS:.*]] = nn.gradient_rms %[[GW:.*]], %[[GB:.*]] : tensor<3x4xf32>, tensor<3xf32> -> tensor<2xf64>
// CHECK-NEXT: nn.clip_grad_norm %[[GW]], %[[GB]]
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %[[RMS]] : tensor<3x4xf32>, tensor<3xf32>, tensor<f32>, tensor<2xf64>
// CHECK-LABEL: func.func @m_eval_step
// CHECK-NOT: gradient_rms
// PLAIN-NOT: gradient_rms
// PLAIN-NOT: grad_rms

func.func @m(%x: tensor<2x4xf32> {nn.name = "x"}, %y: tensor<2xi32> {nn.label, nn.name = "y"}) -> (tensor<f32> {nn.name = "loss"}) attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64, clip_grad_norm = 1.0 : f64}} {
  %w = nn.param "d.weight" init = normal(0.0, 0.5) : tensor<3x4xf32>
  %b = nn.param "d.bias" init = constant(0.0) : tensor<3xf32>
  %0 = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %1 = nn.cross_entropy %0, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %1 : tensor<f32>
}
