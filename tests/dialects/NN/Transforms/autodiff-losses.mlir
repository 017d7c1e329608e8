// RUN: nnc-opt %s --nn-autodiff --canonicalize --cse | FileCheck %s

// Gradient rules of the losses.

// cross_entropy: dlogits = (softmax(logits) - one_hot(labels)) / batch. The
// labels get no gradient.
// CHECK-LABEL: func.func @cross_entropy_grad
// CHECK-SAME: (%[[Y:.*]]: tensor<4xi32> {nn.label})
// CHECK-SAME: -> (tensor<f32>, tensor<4x3xf32> {nn.grad_of = "w"})
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[L:.*]] = nn.cross_entropy %[[W]], %[[Y]]
// CHECK-DAG: %[[P:.*]] = nn.softmax %[[W]] dim 1 : tensor<4x3xf32>
// CHECK-DAG: %[[H:.*]] = nn.one_hot %[[Y]] : tensor<4xi32> -> tensor<4x3xf32>
// CHECK: %[[D:.*]] = nn.sub %[[P]], %[[H]] : tensor<4x3xf32>
// CHECK: %[[DW:.*]] = nn.scale %[[D]] by 2.500000e-01 : tensor<4x3xf32>
// CHECK: return %[[L]], %[[DW]] :
func.func @cross_entropy(%y: tensor<4xi32> {nn.label}) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4x3xf32>
  %l = nn.cross_entropy %w, %y : tensor<4x3xf32>, tensor<4xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// A loss cotangent other than one multiplies the gradient through a
// broadcast of the scalar.
// CHECK-LABEL: func.func @cross_entropy_scaled_grad
// CHECK-SAME: (%[[Y:.*]]: tensor<2xi32>)
// CHECK: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[L:.*]] = nn.scale %{{.*}} by 3.000000e+00 : tensor<f32>
// CHECK: %[[DL:.*]] = nn.scale %[[ONE]] by 3.000000e+00 : tensor<f32>
// CHECK: %[[D:.*]] = nn.scale %{{.*}} by 5.000000e-01 : tensor<2x5xf32>
// CHECK: %[[B:.*]] = nn.broadcast %[[DL]] dims [] : tensor<f32> -> tensor<2x5xf32>
// CHECK: %[[DW:.*]] = nn.mul %[[D]], %[[B]] : tensor<2x5xf32>
// CHECK: return %[[L]], %[[DW]] :
func.func @cross_entropy_scaled(%y: tensor<2xi32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<2x5xf32>
  %l = nn.cross_entropy %w, %y : tensor<2x5xf32>, tensor<2xi32> -> tensor<f32>
  %s = nn.scale %l by 3.0 : tensor<f32>
  return %s : tensor<f32>
}

// mse: dinput = 2 (input - target) / n, with n = 8 elements.
// CHECK-LABEL: func.func @mse_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[L:.*]] = nn.mse
// CHECK: %[[D:.*]] = nn.sub %[[W]], %[[T]] : tensor<2x4xf32>
// CHECK: %[[DW:.*]] = nn.scale %[[D]] by 2.500000e-01 : tensor<2x4xf32>
// CHECK: return %[[L]], %[[DW]] :
func.func @mse(%t: tensor<2x4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<2x4xf32>
  %l = nn.mse %w, %t : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// With a parameter as the target too, dtarget = -dinput.
// CHECK-LABEL: func.func @mse_target_grad
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[V:.*]] = nn.param "v"
// CHECK: %[[L:.*]] = nn.mse
// CHECK: %[[D:.*]] = nn.sub %[[W]], %[[V]] : tensor<2x4xf32>
// CHECK: %[[DW:.*]] = nn.scale %[[D]] by 2.500000e-01 : tensor<2x4xf32>
// CHECK: %[[DV:.*]] = nn.neg %[[DW]] : tensor<2x4xf32>
// CHECK: return %[[L]], %[[DW]], %[[DV]] :
func.func @mse_target() -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<2x4xf32>
  %v = nn.param "v" init = constant(0.0) : tensor<2x4xf32>
  %l = nn.mse %w, %v : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// bce_with_logits: dlogits = (sigmoid(x) - t) / n.
// CHECK-LABEL: func.func @bce_with_logits_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[L:.*]] = nn.bce_with_logits
// CHECK: %[[S:.*]] = nn.sigmoid %[[W]] : tensor<2x4xf32>
// CHECK: %[[D:.*]] = nn.sub %[[S]], %[[T]] : tensor<2x4xf32>
// CHECK: %[[DW:.*]] = nn.scale %[[D]] by 1.250000e-01 : tensor<2x4xf32>
// CHECK: return %[[L]], %[[DW]] :
func.func @bce_with_logits(%t: tensor<2x4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<2x4xf32>
  %l = nn.bce_with_logits %w, %t : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// With a parameter as the target, dtarget = -x / n.
// CHECK-LABEL: func.func @bce_with_logits_target_grad
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[L:.*]] = nn.bce_with_logits
// CHECK: %[[DV:.*]] = nn.scale %[[W]] by -1.250000e-01 : tensor<2x4xf32>
// CHECK: return %[[L]], %{{.*}}, %[[DV]] :
func.func @bce_with_logits_target() -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<2x4xf32>
  %v = nn.param "v" init = constant(0.5) : tensor<2x4xf32>
  %l = nn.bce_with_logits %w, %v : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
