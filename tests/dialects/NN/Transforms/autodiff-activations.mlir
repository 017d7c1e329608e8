// RUN: nnc-opt %s --nn-autodiff --canonicalize --cse | FileCheck %s

// Gradient rules of the activations and of softmax / log_softmax.
//
// Pointwise activations differentiate to one nn.activation_grad that names
// the activation and carries its parameters (alpha: leaky_relu's slope or
// elu's alpha; beta and threshold: softplus's), and reuses the forward input
// and output. Each model computes `loss = sum(act(w) * x)`, so the cotangent
// reaching the activation is the input %x after canonicalization.

// CHECK-LABEL: func.func @relu_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.relu %[[W]]
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.activation_grad relu %[[W]], %[[Y]], %[[X]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @relu(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.5) : tensor<4xf32>
  %y = nn.relu %w : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @leaky_relu_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.leaky_relu %[[W]]
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.activation_grad leaky_relu %[[W]], %[[Y]], %[[X]] {alpha = 2.000000e-01 : f64} : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @leaky_relu(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.5) : tensor<4xf32>
  %y = nn.leaky_relu %w slope 0.2 : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @sigmoid_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.sigmoid %[[W]]
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.activation_grad sigmoid %[[W]], %[[Y]], %[[X]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @sigmoid(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.5) : tensor<4xf32>
  %y = nn.sigmoid %w : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @tanh_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.tanh %[[W]]
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.activation_grad tanh %[[W]], %[[Y]], %[[X]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @tanh(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.5) : tensor<4xf32>
  %y = nn.tanh %w : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @silu_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.silu %[[W]]
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.activation_grad silu %[[W]], %[[Y]], %[[X]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @silu(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.5) : tensor<4xf32>
  %y = nn.silu %w : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @gelu_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.gelu %[[W]]
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.activation_grad gelu %[[W]], %[[Y]], %[[X]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @gelu(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.5) : tensor<4xf32>
  %y = nn.gelu %w : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @gelu_tanh_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.gelu %[[W]]
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.activation_grad gelu_tanh %[[W]], %[[Y]], %[[X]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @gelu_tanh(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.5) : tensor<4xf32>
  %y = nn.gelu %w {tanh} : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @softplus_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.softplus %[[W]]
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.activation_grad softplus %[[W]], %[[Y]], %[[X]] {beta = 2.000000e+00 : f64, threshold = 1.000000e+01 : f64} : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @softplus(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.5) : tensor<4xf32>
  %y = nn.softplus %w beta 2.0 threshold 10.0 : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @elu_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.elu %[[W]]
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.activation_grad elu %[[W]], %[[Y]], %[[X]] {alpha = 5.000000e-01 : f64} : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @elu(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.5) : tensor<4xf32>
  %y = nn.elu %w alpha 0.5 : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// softmax: dw = y * (dy - broadcast(sum(dy * y, dim))). The loss
// `sum(3 * softmax(w))` makes the cotangent dy a distinct value, `3 * ones`.
// CHECK-LABEL: func.func @softmax_grad
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.softmax %[[W]] dim 1 : tensor<2x3xf32>
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DY:.*]] = nn.scale %{{.*}} by 3.000000e+00 : tensor<2x3xf32>
// CHECK: %[[P:.*]] = nn.mul %[[DY]], %[[Y]] : tensor<2x3xf32>
// CHECK: %[[DOT:.*]] = nn.sum %[[P]] dims [1] : tensor<2x3xf32> -> tensor<2xf32>
// CHECK: %[[B:.*]] = nn.broadcast %[[DOT]] dims [0] : tensor<2xf32> -> tensor<2x3xf32>
// CHECK: %[[D:.*]] = nn.sub %[[DY]], %[[B]] : tensor<2x3xf32>
// CHECK: %[[DW:.*]] = nn.mul %[[Y]], %[[D]] : tensor<2x3xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @softmax() -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<2x3xf32>
  %y = nn.softmax %w dim 1 : tensor<2x3xf32>
  %z = nn.scale %y by 3.0 : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// log_softmax: dw = dy - exp(y) * broadcast(sum(dy, dim)); softmax(w) is
// recovered as exp of the forward result, not recomputed from w.
// CHECK-LABEL: func.func @log_softmax_grad
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[Y:.*]] = nn.log_softmax %[[W]] dim 0 : tensor<2x3xf32>
// CHECK-NOT: nn.softmax
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DY:.*]] = nn.scale %{{.*}} by 3.000000e+00 : tensor<2x3xf32>
// CHECK-DAG: %[[T:.*]] = nn.sum %[[DY]] dims [0] : tensor<2x3xf32> -> tensor<3xf32>
// CHECK-DAG: %[[E:.*]] = nn.exp %[[Y]] : tensor<2x3xf32>
// CHECK-DAG: %[[B:.*]] = nn.broadcast %[[T]] dims [1] : tensor<3xf32> -> tensor<2x3xf32>
// CHECK: %[[M:.*]] = nn.mul %[[E]], %[[B]] : tensor<2x3xf32>
// CHECK: %[[DW:.*]] = nn.sub %[[DY]], %[[M]] : tensor<2x3xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @log_softmax() -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<2x3xf32>
  %y = nn.log_softmax %w dim 0 : tensor<2x3xf32>
  %z = nn.scale %y by 3.0 : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
