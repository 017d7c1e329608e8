// RUN: nnc-opt %s --nn-autodiff --canonicalize --cse | FileCheck %s

// Gradient rules of dense, matmul, transpose, reshape, broadcast and concat.
// Each model computes `loss = sum(op(params) * t)` with `t` an input, so the
// cotangent reaching the op is %t after canonicalization.

// y = x W^T + b: dx = dy W, dW = dy^T x (transpose_lhs), db = sum_batch(dy).
// CHECK-LABEL: func.func @dense_bias_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x3xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<2x4xf32> {nn.grad_of = "x"}, tensor<3x4xf32> {nn.grad_of = "w"}, tensor<3xf32> {nn.grad_of = "b"})
// CHECK: %[[X:.*]] = nn.param "x"
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[L:.*]] = nn.sum
// CHECK-DAG: %[[DX:.*]] = nn.matmul %[[T]], %[[W]] : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
// CHECK-DAG: %[[DW:.*]] = nn.matmul %[[T]], %[[X]] {transpose_lhs} : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<3x4xf32>
// CHECK-DAG: %[[DB:.*]] = nn.sum %[[T]] dims [0] : tensor<2x3xf32> -> tensor<3xf32>
// CHECK: return %[[L]], %[[DX]], %[[DW]], %[[DB]]
func.func @dense_bias(%t: tensor<2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %x = nn.param "x" init = constant(1.0) : tensor<2x4xf32>
  %w = nn.param "w" init = constant(1.0) : tensor<3x4xf32>
  %b = nn.param "b" init = constant(1.0) : tensor<3xf32>
  %y = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %z = nn.mul %y, %t : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Without a bias there is no bias gradient, and with the input %x a model
// argument there is no dx either.
// CHECK-LABEL: func.func @dense_no_bias_grad
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>, %[[T:.*]]: tensor<2x3xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<3x4xf32> {nn.grad_of = "w"})
// CHECK: %[[L:.*]] = nn.sum %{{.*}} dims []
// CHECK-NOT: nn.sum
// CHECK-NOT: nn.matmul %[[T]], %{{.*}} :
// CHECK: %[[DW:.*]] = nn.matmul %[[T]], %[[X]] {transpose_lhs} : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<3x4xf32>
// CHECK-NOT: nn.sum
// CHECK-NOT: nn.matmul
// CHECK: return %[[L]], %[[DW]] :
func.func @dense_no_bias(%x: tensor<2x4xf32>, %t: tensor<2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<3x4xf32>
  %y = nn.dense %x, %w : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  %z = nn.mul %y, %t : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// C = A B: dA = dC B^T, dB = A^T dC. The transposes stay flags; no nn.transpose is built.
// CHECK-LABEL: func.func @matmul_nn_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x3xf32>)
// CHECK: %[[A:.*]] = nn.param "a"
// CHECK: %[[C:.*]] = nn.param "c"
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NOT: nn.transpose
// CHECK-DAG: %[[DA:.*]] = nn.matmul %[[T]], %[[C]] {transpose_rhs} : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
// CHECK-DAG: %[[DC:.*]] = nn.matmul %[[A]], %[[T]] {transpose_lhs} : tensor<2x4xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
// CHECK: return %[[L]], %[[DA]], %[[DC]]
func.func @matmul_nn(%t: tensor<2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %a = nn.param "a" init = constant(1.0) : tensor<2x4xf32>
  %c = nn.param "c" init = constant(1.0) : tensor<4x3xf32>
  %y = nn.matmul %a, %c : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %z = nn.mul %y, %t : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// C = A^T B: dA = B dC^T, dB = A dC. The transposes stay flags; no nn.transpose is built.
// CHECK-LABEL: func.func @matmul_tn_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x3xf32>)
// CHECK: %[[A:.*]] = nn.param "a"
// CHECK: %[[C:.*]] = nn.param "c"
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NOT: nn.transpose
// CHECK-DAG: %[[DA:.*]] = nn.matmul %[[C]], %[[T]] {transpose_rhs} : tensor<4x3xf32>, tensor<2x3xf32> -> tensor<4x2xf32>
// CHECK-DAG: %[[DC:.*]] = nn.matmul %[[A]], %[[T]] : tensor<4x2xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
// CHECK: return %[[L]], %[[DA]], %[[DC]]
func.func @matmul_tn(%t: tensor<2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %a = nn.param "a" init = constant(1.0) : tensor<4x2xf32>
  %c = nn.param "c" init = constant(1.0) : tensor<4x3xf32>
  %y = nn.matmul %a, %c {transpose_lhs} : tensor<4x2xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %z = nn.mul %y, %t : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// C = A B^T: dA = dC B, dB = dC^T A. The transposes stay flags; no nn.transpose is built.
// CHECK-LABEL: func.func @matmul_nt_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x3xf32>)
// CHECK: %[[A:.*]] = nn.param "a"
// CHECK: %[[C:.*]] = nn.param "c"
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NOT: nn.transpose
// CHECK-DAG: %[[DA:.*]] = nn.matmul %[[T]], %[[C]] : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
// CHECK-DAG: %[[DC:.*]] = nn.matmul %[[T]], %[[A]] {transpose_lhs} : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<3x4xf32>
// CHECK: return %[[L]], %[[DA]], %[[DC]]
func.func @matmul_nt(%t: tensor<2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %a = nn.param "a" init = constant(1.0) : tensor<2x4xf32>
  %c = nn.param "c" init = constant(1.0) : tensor<3x4xf32>
  %y = nn.matmul %a, %c {transpose_rhs} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  %z = nn.mul %y, %t : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// C = A^T B^T: dA = B^T dC^T, dB = dC^T A^T. The transposes stay flags; no nn.transpose is built.
// CHECK-LABEL: func.func @matmul_tt_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x3xf32>)
// CHECK: %[[A:.*]] = nn.param "a"
// CHECK: %[[C:.*]] = nn.param "c"
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NOT: nn.transpose
// CHECK-DAG: %[[DA:.*]] = nn.matmul %[[C]], %[[T]] {transpose_lhs, transpose_rhs} : tensor<3x4xf32>, tensor<2x3xf32> -> tensor<4x2xf32>
// CHECK-DAG: %[[DC:.*]] = nn.matmul %[[T]], %[[A]] {transpose_lhs, transpose_rhs} : tensor<2x3xf32>, tensor<4x2xf32> -> tensor<3x4xf32>
// CHECK: return %[[L]], %[[DA]], %[[DC]]
func.func @matmul_tt(%t: tensor<2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %a = nn.param "a" init = constant(1.0) : tensor<4x2xf32>
  %c = nn.param "c" init = constant(1.0) : tensor<3x4xf32>
  %y = nn.matmul %a, %c {transpose_lhs, transpose_rhs} : tensor<4x2xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  %z = nn.mul %y, %t : tensor<2x3xf32>
  %l = nn.sum %z dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// The gradient of a transpose is the inverse permutation.
// CHECK-LABEL: func.func @transpose_grad
// CHECK-SAME: (%[[T:.*]]: tensor<3x4x2xf32>)
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DA:.*]] = nn.transpose %[[T]] [2, 0, 1] : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
// CHECK: return %[[L]], %[[DA]]
func.func @transpose(%t: tensor<3x4x2xf32>) -> tensor<f32> attributes {nn.model} {
  %a = nn.param "a" init = constant(1.0) : tensor<2x3x4xf32>
  %y = nn.transpose %a [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %z = nn.mul %y, %t : tensor<3x4x2xf32>
  %l = nn.sum %z dims [] : tensor<3x4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @reshape_grad
// CHECK-SAME: (%[[T:.*]]: tensor<6xf32>)
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DA:.*]] = nn.reshape %[[T]] : tensor<6xf32> -> tensor<2x3xf32>
// CHECK: return %[[L]], %[[DA]]
func.func @reshape(%t: tensor<6xf32>) -> tensor<f32> attributes {nn.model} {
  %a = nn.param "a" init = constant(1.0) : tensor<2x3xf32>
  %y = nn.reshape %a : tensor<2x3xf32> -> tensor<6xf32>
  %z = nn.mul %y, %t : tensor<6xf32>
  %l = nn.sum %z dims [] : tensor<6xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// The gradient of a broadcast sums over the dimensions it created.
// CHECK-LABEL: func.func @broadcast_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[L:.*]] = nn.sum %{{.*}} dims []
// CHECK: %[[DA:.*]] = nn.sum %[[T]] dims [0, 2] : tensor<2x3x4xf32> -> tensor<3xf32>
// CHECK: return %[[L]], %[[DA]]
func.func @broadcast(%t: tensor<2x3x4xf32>) -> tensor<f32> attributes {nn.model} {
  %a = nn.param "a" init = constant(1.0) : tensor<3xf32>
  %y = nn.broadcast %a dims [1] : tensor<3xf32> -> tensor<2x3x4xf32>
  %z = nn.mul %y, %t : tensor<2x3x4xf32>
  %l = nn.sum %z dims [] : tensor<2x3x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// The gradient of a concat slices the cotangent back apart.
// CHECK-LABEL: func.func @concat_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x6xf32>)
// CHECK: %[[L:.*]] = nn.sum
// CHECK-DAG: %[[DA:.*]] = tensor.extract_slice %[[T]][0, 0] [2, 2] [1, 1] : tensor<2x6xf32> to tensor<2x2xf32>
// CHECK-DAG: %[[DC:.*]] = tensor.extract_slice %[[T]][0, 2] [2, 3] [1, 1] : tensor<2x6xf32> to tensor<2x3xf32>
// CHECK-DAG: %[[DE:.*]] = tensor.extract_slice %[[T]][0, 5] [2, 1] [1, 1] : tensor<2x6xf32> to tensor<2x1xf32>
// CHECK: return %[[L]], %[[DA]], %[[DC]], %[[DE]]
func.func @concat(%t: tensor<2x6xf32>) -> tensor<f32> attributes {nn.model} {
  %a = nn.param "a" init = constant(1.0) : tensor<2x2xf32>
  %c = nn.param "c" init = constant(1.0) : tensor<2x3xf32>
  %e = nn.param "e" init = constant(1.0) : tensor<2x1xf32>
  %y = nn.concat %a, %c, %e dim 1 : tensor<2x2xf32>, tensor<2x3xf32>, tensor<2x1xf32> -> tensor<2x6xf32>
  %z = nn.mul %y, %t : tensor<2x6xf32>
  %l = nn.sum %z dims [] : tensor<2x6xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Along dimension 0 the offsets move in the first index.
// CHECK-LABEL: func.func @concat_dim0_grad
// CHECK-SAME: (%[[T:.*]]: tensor<5x2xf32>)
// CHECK-DAG: tensor.extract_slice %[[T]][0, 0] [2, 2] [1, 1] : tensor<5x2xf32> to tensor<2x2xf32>
// CHECK-DAG: tensor.extract_slice %[[T]][2, 0] [3, 2] [1, 1] : tensor<5x2xf32> to tensor<3x2xf32>
func.func @concat_dim0(%t: tensor<5x2xf32>) -> tensor<f32> attributes {nn.model} {
  %a = nn.param "a" init = constant(1.0) : tensor<2x2xf32>
  %c = nn.param "c" init = constant(1.0) : tensor<3x2xf32>
  %y = nn.concat %a, %c dim 0 : tensor<2x2xf32>, tensor<3x2xf32> -> tensor<5x2xf32>
  %z = nn.mul %y, %t : tensor<5x2xf32>
  %l = nn.sum %z dims [] : tensor<5x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
