// RUN: nnc-opt %s --nn-autodiff --canonicalize --cse | FileCheck %s

// Gradient rules of batch_norm, layer_norm and dropout, with
// `loss = sum(op(params) * t)` so that the cotangent reaching the op is %t.

// Training-mode batch_norm: one nn.batch_norm_grad computes the input,
// weight and bias cotangents from the forward input and weight. The
// buffers get no gradient.
// CHECK-LABEL: func.func @batch_norm_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x3xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<2x3xf32> {nn.grad_of = "x"}, tensor<3xf32> {nn.grad_of = "w"}, tensor<3xf32> {nn.grad_of = "b"})
// CHECK: %[[X:.*]] = nn.param "x"
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[DX:.*]], %[[DW:.*]], %[[DB:.*]] = nn.batch_norm_grad %[[X]], %[[W]], %[[T]] eps 5.000000e-01 : tensor<2x3xf32>, tensor<3xf32>
// CHECK-NEXT: return %{{.*}}, %[[DX]], %[[DW]], %[[DB]]
func.func @batch_norm(%t: tensor<2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %x = nn.param "x" init = constant(1.0) : tensor<2x3xf32>
  %w = nn.param "w" init = constant(1.0) : tensor<3xf32>
  %b = nn.param "b" init = constant(0.0) : tensor<3xf32>
  %m = nn.buffer "m" init = constant(0.0) : tensor<3xf32>
  %v = nn.buffer "v" init = constant(1.0) : tensor<3xf32>
  %y, %m2, %v2 = nn.batch_norm %x, %w, %b, %m, %v momentum 0.1 eps 0.5 {training} : tensor<2x3xf32>, tensor<3xf32>
  %z = nn.mul %y, %t : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// In evaluation mode the statistics are the running ones, constants of
// the step: dx = t * weight * invstd.
// CHECK-LABEL: func.func @batch_norm_eval_grad
// CHECK: %[[V:.*]] = nn.buffer "v"
// CHECK-NOT: nn.mean
// CHECK: nn.add %[[V]], %{{.*}} : tensor<3xf32>
// CHECK-NOT: nn.mean
// CHECK: return
func.func @batch_norm_eval(%t: tensor<2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %x = nn.param "x" init = constant(1.0) : tensor<2x3xf32>
  %w = nn.param "w" init = constant(1.0) : tensor<3xf32>
  %m = nn.buffer "m" init = constant(0.0) : tensor<3xf32>
  %v = nn.buffer "v" init = constant(1.0) : tensor<3xf32>
  %y, %m2, %v2 = nn.batch_norm %x, %w, %w, %m, %v momentum 0.1 eps 0.5 : tensor<2x3xf32>, tensor<3xf32>
  %z = nn.mul %y, %t : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Layer norm: statistics over the trailing dimension, the weight's
// cotangent summed over the leading one.
// CHECK-LABEL: func.func @layer_norm_grad
// CHECK-SAME: -> (tensor<f32>, tensor<2x3xf32> {nn.grad_of = "x"}, tensor<3xf32> {nn.grad_of = "w"})
// CHECK: %[[X:.*]] = nn.param "x"
// CHECK: nn.mean %[[X]] dims [1] : tensor<2x3xf32> -> tensor<2xf32>
// CHECK: nn.broadcast %{{.*}} dims [0] : tensor<2xf32> -> tensor<2x3xf32>
// CHECK: %[[DW:.*]] = nn.add %{{.*}}, %{{.*}} : tensor<3xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[DW]]
func.func @layer_norm(%t: tensor<2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %x = nn.param "x" init = constant(1.0) : tensor<2x3xf32>
  %w = nn.param "w" init = constant(1.0) : tensor<3xf32>
  %y = nn.layer_norm %x, %w, %w eps 0.5 : tensor<2x3xf32>, tensor<3xf32>
  %z = nn.mul %y, %t : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Dropout's cotangent is the same dropout (seed, step, p) of the cotangent.
// CHECK-LABEL: func.func @dropout_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x3xf32>, %[[S:.*]]: tensor<f64>)
// CHECK: %[[DX:.*]] = nn.dropout %[[T]], %[[S]] p 5.000000e-01 seed 4 {training} : tensor<2x3xf32>, tensor<f64>
// CHECK: return %{{.*}}, %[[DX]]
func.func @dropout(%t: tensor<2x3xf32>, %s: tensor<f64>) -> tensor<f32> attributes {nn.model} {
  %x = nn.param "x" init = constant(1.0) : tensor<2x3xf32>
  %y = nn.dropout %x, %s p 0.5 seed 4 {training} : tensor<2x3xf32>, tensor<f64>
  %z = nn.mul %y, %t : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
