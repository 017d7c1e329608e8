// RUN: nnc-opt %s --nn-autodiff --canonicalize --cse | FileCheck %s

// Gradient rules of nn.sum and nn.mean: the cotangent is broadcast back over
// the reduced dimensions (after dropping keepdim's unit dimensions), and
// divided by the number of reduced elements for a mean.

// A full sum as the loss: the gradient is all ones.
// CHECK-LABEL: func.func @sum_all_grad
// CHECK: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<2x3xf32>
// CHECK: %[[L:.*]] = nn.sum %{{.*}} dims [] : tensor<2x3xf32> -> tensor<f32>
// CHECK: return %[[L]], %[[ONES]]
func.func @sum_all() -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<2x3xf32>
  %l = nn.sum %w dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @sum_dim_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2xf32>)
// CHECK: %[[L:.*]] = nn.sum %{{.*}} dims []
// CHECK-NOT: nn.reshape
// CHECK: %[[DW:.*]] = nn.broadcast %[[T]] dims [0] : tensor<2xf32> -> tensor<2x3xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @sum_dim(%t: tensor<2xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<2x3xf32>
  %s = nn.sum %w dims [1] : tensor<2x3xf32> -> tensor<2xf32>
  %z = nn.mul %s, %t : tensor<2xf32>
  %l = nn.sum %z dims [] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// With keepdim, the unit dimension goes before the broadcast.
// CHECK-LABEL: func.func @sum_keepdim_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x1xf32>)
// CHECK: %[[L:.*]] = nn.sum %{{.*}} dims []
// CHECK: %[[R:.*]] = nn.reshape %[[T]] : tensor<2x1xf32> -> tensor<2xf32>
// CHECK: %[[DW:.*]] = nn.broadcast %[[R]] dims [0] : tensor<2xf32> -> tensor<2x3xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @sum_keepdim(%t: tensor<2x1xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<2x3xf32>
  %s = nn.sum %w dims [1] {keepdim} : tensor<2x3xf32> -> tensor<2x1xf32>
  %z = nn.mul %s, %t : tensor<2x1xf32>
  %l = nn.sum %z dims [] : tensor<2x1xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// A full mean as the loss: every element gets 1/8.
// CHECK-LABEL: func.func @mean_all_grad
// CHECK: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<2x4xf32>
// CHECK: %[[L:.*]] = nn.mean %{{.*}} dims [] : tensor<2x4xf32> -> tensor<f32>
// CHECK: %[[DW:.*]] = nn.scale %[[ONES]] by 1.250000e-01 : tensor<2x4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @mean_all() -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<2x4xf32>
  %l = nn.mean %w dims [] : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @mean_dim_grad
// CHECK-SAME: (%[[T:.*]]: tensor<3xf32>)
// CHECK: %[[L:.*]] = nn.sum %{{.*}} dims []
// CHECK: %[[B:.*]] = nn.broadcast %[[T]] dims [1] : tensor<3xf32> -> tensor<4x3xf32>
// CHECK: %[[DW:.*]] = nn.scale %[[B]] by 2.500000e-01 : tensor<4x3xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @mean_dim(%t: tensor<3xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<4x3xf32>
  %m = nn.mean %w dims [0] : tensor<4x3xf32> -> tensor<3xf32>
  %z = nn.mul %m, %t : tensor<3xf32>
  %l = nn.sum %z dims [] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Two of three dimensions reduced with keepdim: count = 2 * 4.
// CHECK-LABEL: func.func @mean_keepdim_grad
// CHECK-SAME: (%[[T:.*]]: tensor<1x3x1xf32>)
// CHECK: %[[L:.*]] = nn.sum %{{.*}} dims []
// CHECK: %[[R:.*]] = nn.reshape %[[T]] : tensor<1x3x1xf32> -> tensor<3xf32>
// CHECK: %[[B:.*]] = nn.broadcast %[[R]] dims [1] : tensor<3xf32> -> tensor<2x3x4xf32>
// CHECK: %[[DW:.*]] = nn.scale %[[B]] by 1.250000e-01 : tensor<2x3x4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @mean_keepdim(%t: tensor<1x3x1xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<2x3x4xf32>
  %m = nn.mean %w dims [0, 2] {keepdim} : tensor<2x3x4xf32> -> tensor<1x3x1xf32>
  %z = nn.mul %m, %t : tensor<1x3x1xf32>
  %l = nn.sum %z dims [] : tensor<1x3x1xf32> -> tensor<f32>
  return %l : tensor<f32>
}
