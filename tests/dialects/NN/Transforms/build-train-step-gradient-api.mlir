// RUN: nnc-opt %s --nn-autodiff "--nn-build-train-step=gradient-api grad-stats" --canonicalize | FileCheck %s
// RUN: nnc-opt %s --nn-autodiff --nn-build-train-step | FileCheck %s --check-prefix=PLAIN

// With gradient-api the training step also comes in two halves: the grad
// step returns the loss and one gradient per parameter (nn.grad_of); the
// update step takes them, measures their RMS, clips and updates, returning
// the new parameters and momentum buffers in argument order.
// CHECK-LABEL: func.func @m_train_step
// CHECK-LABEL: func.func @m_grad_step
// CHECK-SAME: (%{{.*}}: tensor<3x4xf32> {{.*}}nn.param = "d.weight"}, %{{.*}}: tensor<3xf32> {{.*}}nn.param = "d.bias"}, %{{.*}}: tensor<2x4xf32> {nn.name = "x"}, %{{.*}}: tensor<2xi32> {nn.label, nn.name = "y"}, %{{.*}}: tensor<f64> {nn.name = "step"}, %{{.*}}: tensor<f64> {nn.name = "example_offset"})
// CHECK-SAME: -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = "d.weight"}, tensor<3xf32> {nn.grad_of = "d.bias"})
// CHECK-SAME: nn.step = "grad"
// CHECK-NOT: nn.clip_grad_norm
// CHECK-NOT: nn.sgd_update
// CHECK: return
// CHECK-LABEL: func.func @m_update_step
// CHECK-SAME: (%[[W:.*]]: tensor<3x4xf32> {{.*}}nn.param = "d.weight"}, %[[B:.*]]: tensor<3xf32> {{.*}}nn.param = "d.bias"}, %[[MW:.*]]: tensor<3x4xf32> {nn.state = "d.weight.momentum_buffer"}, %[[MB:.*]]: tensor<3xf32> {nn.state = "d.bias.momentum_buffer"}, %[[GW:.*]]: tensor<3x4xf32> {nn.grad_of = "d.weight"}, %[[GB:.*]]: tensor<3xf32> {nn.grad_of = "d.bias"}, %[[LR:.*]]: tensor<f64> {nn.name = "lr"}, %[[STEP:.*]]: tensor<f64> {nn.name = "step"})
// CHECK-SAME: -> (tensor<3x4xf32>, tensor<3xf32>, tensor<3x4xf32>, tensor<3xf32>, tensor<2xf64> {nn.name = "grad_rms"})
// CHECK-SAME: nn.step = "update"
// CHECK: %[[RMS:.*]] = nn.gradient_rms %[[GW]], %[[GB]]
// CHECK: %[[C:.*]]:2, %{{.*}} = nn.clip_grad_norm %[[GW]], %[[GB]]
// CHECK: %[[NW:.*]], %[[NMW:.*]] = nn.sgd_update %[[W]], %[[C]]#0, %[[MW]], %[[LR]], %[[STEP]]
// CHECK: %[[NB:.*]], %[[NMB:.*]] = nn.sgd_update %[[B]], %[[C]]#1, %[[MB]], %[[LR]], %[[STEP]]
// CHECK: return %[[NW]], %[[NB]], %[[NMW]], %[[NMB]], %[[RMS]]
// PLAIN-NOT: grad_step
// PLAIN-NOT: update_step

func.func @m(%x: tensor<2x4xf32> {nn.name = "x"}, %y: tensor<2xi32> {nn.label, nn.name = "y"}) -> (tensor<f32> {nn.name = "loss"}) attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64, momentum = 0.9 : f64, clip_grad_norm = 1.0 : f64}} {
  %w = nn.param "d.weight" init = normal(0.0, 0.5) : tensor<3x4xf32>
  %b = nn.param "d.bias" init = constant(0.0) : tensor<3xf32>
  %0 = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %1 = nn.cross_entropy %0, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %1 : tensor<f32>
}

// Dropout in the grad step draws its masks by global example: forward and
// backward get the step and the example offset; the training step's have
// no offset.
// CHECK-LABEL: func.func @drop_train_step
// CHECK: nn.dropout %{{[^,]*}}, %{{[^ ]*}} p
// CHECK-LABEL: func.func @drop_grad_step
// CHECK-SAME: %[[S:[^:]*]]: tensor<f64> {nn.name = "step"}, %[[O:[^:]*]]: tensor<f64> {nn.name = "example_offset"})
// CHECK: nn.dropout %{{.*}}, %[[S]] offset %[[O]] : tensor<f64> p 2.500000e-01 seed 3 {training}
// CHECK: nn.dropout %{{.*}}, %[[S]] offset %[[O]] : tensor<f64> p 2.500000e-01 seed 3 {training}
func.func @drop(%x: tensor<2x4xf32> {nn.name = "x"}) -> (tensor<f32> {nn.name = "loss"}) attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64}} {
  %w = nn.param "w" init = constant(1.0) : tensor<2x4xf32>
  %0 = nn.mul %x, %w : tensor<2x4xf32>
  %1 = nn.dropout %0 p 0.25 seed 3 {training} : tensor<2x4xf32>
  %2 = nn.sum %1 dims [] : tensor<2x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}
