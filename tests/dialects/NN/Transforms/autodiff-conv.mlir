// RUN: nnc-opt %s --nn-autodiff --canonicalize --cse | FileCheck %s

// Gradient rules of conv2d, max_pool2d and avg_pool2d. Each model computes
// `loss = sum(op(params) * t)` with `t` an input, so the cotangent reaching
// the op is %t after canonicalization.

// The input and weight cotangents are the dedicated backward ops with the
// forward geometry; the bias cotangent sums over batch, height and width.
// CHECK-LABEL: func.func @conv2d_grad
// CHECK-SAME: (%[[T:.*]]: tensor<2x6x4x4xf32>)
// CHECK: %[[X:.*]] = nn.param "x"
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[L:.*]] = nn.sum
// CHECK-DAG: %[[DX:.*]] = nn.conv2d_grad_input %[[T]], %[[W]] stride [2, 1] padding [1, 0] dilation [1, 2] groups 2 : tensor<2x6x4x4xf32>, tensor<6x2x3x3xf32> -> tensor<2x4x8x8xf32>
// CHECK-DAG: %[[DW:.*]] = nn.conv2d_grad_weight %[[T]], %[[X]] stride [2, 1] padding [1, 0] dilation [1, 2] groups 2 : tensor<2x6x4x4xf32>, tensor<2x4x8x8xf32> -> tensor<6x2x3x3xf32>
// CHECK-DAG: %[[DB:.*]] = nn.sum %[[T]] dims [0, 2, 3] : tensor<2x6x4x4xf32> -> tensor<6xf32>
// CHECK: return %[[L]], %[[DX]], %[[DW]], %[[DB]]
func.func @conv2d(%t: tensor<2x6x4x4xf32>) -> tensor<f32> attributes {nn.model} {
  %x = nn.param "x" init = constant(1.0) : tensor<2x4x8x8xf32>
  %w = nn.param "w" init = constant(1.0) : tensor<6x2x3x3xf32>
  %b = nn.param "b" init = constant(1.0) : tensor<6xf32>
  %y = nn.conv2d %x, %w, %b stride [2, 1] padding [1, 0] dilation [1, 2] groups 2 : tensor<2x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<2x6x4x4xf32>
  %z = nn.mul %y, %t : tensor<2x6x4x4xf32>
  %l = nn.sum %z dims [] : tensor<2x6x4x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// An input image gets no cotangent, so no conv2d_grad_input is built.
// CHECK-LABEL: func.func @conv2d_input_grad
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x5x5xf32>, %[[T:.*]]: tensor<1x2x5x5xf32>)
// CHECK-NOT: nn.conv2d_grad_input
// CHECK: %[[DW:.*]] = nn.conv2d_grad_weight %[[T]], %[[X]] stride [1, 1] padding [1, 1]
// CHECK-NOT: nn.conv2d_grad_input
// CHECK: return %{{.*}}, %[[DW]] :
func.func @conv2d_input(%x: tensor<1x1x5x5xf32>, %t: tensor<1x2x5x5xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<2x1x3x3xf32>
  %y = nn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<1x1x5x5xf32>, tensor<2x1x3x3xf32> -> tensor<1x2x5x5xf32>
  %z = nn.mul %y, %t : tensor<1x2x5x5xf32>
  %l = nn.sum %z dims [] : tensor<1x2x5x5xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Max pooling routes the cotangent through the forward input.
// CHECK-LABEL: func.func @max_pool2d_grad
// CHECK-SAME: (%[[T:.*]]: tensor<1x2x2x3xf32>)
// CHECK: %[[X:.*]] = nn.param "x"
// CHECK: %[[DX:.*]] = nn.max_pool2d_grad %[[X]], %[[T]] kernel [3, 2] stride [2, 2] padding [1, 0] : tensor<1x2x4x6xf32>, tensor<1x2x2x3xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @max_pool2d(%t: tensor<1x2x2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %x = nn.param "x" init = constant(1.0) : tensor<1x2x4x6xf32>
  %y = nn.max_pool2d %x kernel [3, 2] stride [2, 2] padding [1, 0] : tensor<1x2x4x6xf32> -> tensor<1x2x2x3xf32>
  %z = nn.mul %y, %t : tensor<1x2x2x3xf32>
  %l = nn.sum %z dims [] : tensor<1x2x2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Average pooling needs only the cotangent.
// CHECK-LABEL: func.func @avg_pool2d_grad
// CHECK-SAME: (%[[T:.*]]: tensor<1x2x2x3xf32>)
// CHECK: %[[DX:.*]] = nn.avg_pool2d_grad %[[T]] kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x2x2x3xf32> -> tensor<1x2x4x6xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @avg_pool2d(%t: tensor<1x2x2x3xf32>) -> tensor<f32> attributes {nn.model} {
  %x = nn.param "x" init = constant(1.0) : tensor<1x2x4x6xf32>
  %y = nn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x2x4x6xf32> -> tensor<1x2x2x3xf32>
  %z = nn.mul %y, %t : tensor<1x2x2x3xf32>
  %l = nn.sum %z dims [] : tensor<1x2x2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
