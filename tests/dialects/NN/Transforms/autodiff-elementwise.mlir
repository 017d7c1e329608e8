// RUN: nnc-opt %s --nn-autodiff --canonicalize --cse | FileCheck %s

// Gradient rules of the elementwise arithmetic ops. Each model computes
// `loss = sum(op(params) * x)`, so that after canonicalization the cotangent
// reaching `op` is the input %x itself.

// CHECK-LABEL: func.func @add_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<4xf32> {nn.grad_of = "w"}, tensor<4xf32> {nn.grad_of = "v"})
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NEXT: return %[[L]], %[[X]], %[[X]]
func.func @add(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %v = nn.param "v" init = constant(0.0) : tensor<4xf32>
  %y = nn.add %w, %v : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @sub_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DV:.*]] = nn.neg %[[X]] : tensor<4xf32>
// CHECK: return %[[L]], %[[X]], %[[DV]]
func.func @sub(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %v = nn.param "v" init = constant(0.0) : tensor<4xf32>
  %y = nn.sub %w, %v : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @mul_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[V:.*]] = nn.param "v"
// CHECK: %[[L:.*]] = nn.sum
// CHECK-DAG: %[[DW:.*]] = nn.mul %[[X]], %[[V]] : tensor<4xf32>
// CHECK-DAG: %[[DV:.*]] = nn.mul %[[X]], %[[W]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]], %[[DV]]
func.func @mul(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %v = nn.param "v" init = constant(0.0) : tensor<4xf32>
  %y = nn.mul %w, %v : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// d(w/v)/dw = 1/v; d(w/v)/dv = -(w/v)/v, reusing the forward quotient.
// CHECK-LABEL: func.func @div_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[V:.*]] = nn.param "v"
// CHECK: %[[Q:.*]] = nn.div %{{.*}}, %[[V]] : tensor<4xf32>
// CHECK: %[[L:.*]] = nn.sum
// CHECK-DAG: %[[DW:.*]] = nn.div %[[X]], %[[V]] : tensor<4xf32>
// CHECK-DAG: %[[QV:.*]] = nn.div %[[Q]], %[[V]] : tensor<4xf32>
// CHECK-DAG: %[[M:.*]] = nn.mul %[[X]], %[[QV]] : tensor<4xf32>
// CHECK-DAG: %[[DV:.*]] = nn.neg %[[M]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]], %[[DV]]
func.func @div(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<4xf32>
  %v = nn.param "v" init = constant(1.0) : tensor<4xf32>
  %y = nn.div %w, %v : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @neg_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.neg %[[X]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @neg(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %y = nn.neg %w : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @scale_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.scale %[[X]] by 2.500000e+00 : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @scale(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %y = nn.scale %w by 2.5 : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// The derivative of exp is its own result: no exp is recomputed. The
// gradient dy * exp(w) = x * exp(w) is the forward product itself, which
// canonicalize and cse reuse.
// CHECK-LABEL: func.func @exp_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[E:.*]] = nn.exp
// CHECK-NOT: nn.exp
// CHECK: %[[DW:.*]] = nn.mul %[[E]], %[[X]] : tensor<4xf32>
// CHECK: %[[L:.*]] = nn.sum %[[DW]]
// CHECK: return %[[L]], %[[DW]]
func.func @exp(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %y = nn.exp %w : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @log_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.div %[[X]], %[[W]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @log(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<4xf32>
  %y = nn.log %w : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// d sqrt(w) = 0.5 / sqrt(w), reusing the forward root.
// CHECK-LABEL: func.func @sqrt_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[S:.*]] = nn.sqrt
// CHECK-NOT: nn.sqrt
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[Q:.*]] = nn.div %[[X]], %[[S]] : tensor<4xf32>
// CHECK: %[[DW:.*]] = nn.scale %[[Q]] by 5.000000e-01 : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @sqrt(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<4xf32>
  %y = nn.sqrt %w : tensor<4xf32>
  %z = nn.mul %y, %x : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
