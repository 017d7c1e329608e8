// RUN: nnc-opt %s --convert-nn-to-linalg | FileCheck %s

// Reshapes to and from 0-d tensors, which a keepdim reduction over every
// dimension produces (`mean(h, dim = [0, 1], keepdim = true)` lowers its
// 0-d sum through a reshape to tensor<1x1xf32>, and its gradient reshapes
// tensor<1x1xf32> back to tensor<f32>). tensor.collapse_shape and
// tensor.expand_shape relate a 0-d tensor to an all-ones shape directly,
// with an empty reassociation; there is no 1-D step in between.

// CHECK-LABEL: func.func @to_rank0
// CHECK-SAME: (%[[A:.*]]: tensor<1x1xf32>)
// CHECK-NOT: nn.reshape
// CHECK-NOT: tensor<1xf32>
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[A]] [] : tensor<1x1xf32> into tensor<f32>
// CHECK: return %[[R]] : tensor<f32>
func.func @to_rank0(%a: tensor<1x1xf32>) -> tensor<f32> {
  %0 = nn.reshape %a : tensor<1x1xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @from_rank0
// CHECK-SAME: (%[[A:.*]]: tensor<f32>)
// CHECK-NOT: nn.reshape
// CHECK: %[[R:.*]] = tensor.expand_shape %[[A]] [] output_shape [1] : tensor<f32> into tensor<1xf32>
// CHECK: return %[[R]] : tensor<1xf32>
func.func @from_rank0(%a: tensor<f32>) -> tensor<1xf32> {
  %0 = nn.reshape %a : tensor<f32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// CHECK-LABEL: func.func @sum_keepdim_all
// CHECK-NOT: nn.sum
// CHECK: %[[S:.*]] = linalg.reduce
// CHECK-SAME: dimensions = [0, 1]
// CHECK: %[[R:.*]] = tensor.expand_shape %[[S]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: return %[[R]] : tensor<1x1xf32>
func.func @sum_keepdim_all(%a: tensor<2x3xf32>) -> tensor<1x1xf32> {
  %0 = nn.sum %a dims [] {keepdim} : tensor<2x3xf32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}
