// RUN: nnc-opt %s --convert-nn-to-linalg --nnc-cpu-strategy | FileCheck %s

// The CPU strategy turns each linalg.matmul into the contraction generic
// over (m, n, k) that nnc-cpu-tile-and-vectorize register-tiles. A
// transposed right operand is packed first: one linalg.transpose, then the
// contraction reads it row-major through (k, n). A transposed left operand
// is read through its map.

// CHECK-DAG: #[[$MK:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$KM:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[$KN:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>

// y = x W^T + b: the accumulator starts as the bias broadcast over the batch.
// CHECK-LABEL: func.func @dense_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>, %[[W:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<3xf32>) outs(%[[E]] : tensor<2x3xf32>) dimensions = [0]
// CHECK-NOT: linalg.fill
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<4x3xf32>) permutation = [1, 0]
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$MK]], #[[$KN]], #[[$MN]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[WT]] : tensor<2x4xf32>, tensor<4x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[C:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[C]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
func.func @dense_bias(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// Without a bias the accumulator is zero-filled.
// CHECK-LABEL: func.func @dense_no_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>, %[[W:.*]]: tensor<3x4xf32>)
// CHECK-NOT: linalg.broadcast
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<3x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[$MK]], #[[$KN]], #[[$MN]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[WT]] : tensor<2x4xf32>, tensor<4x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
func.func @dense_no_bias(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) -> tensor<2x3xf32> {
  %0 = nn.dense %x, %w : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<2x4xf32>, %[[B:.*]]: tensor<4x3xf32>)
// CHECK: %[[INIT:.*]] = linalg.fill
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[$MK]], #[[$KN]], #[[$MN]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<2x4xf32>, tensor<4x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
func.func @matmul(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.matmul %a, %b : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// A transposed left operand is read through (k, m).
// CHECK-LABEL: func.func @matmul_transpose_lhs
// CHECK-SAME: (%[[A:.*]]: tensor<4x2xf32>, %[[B:.*]]: tensor<4x3xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[$KM]], #[[$KN]], #[[$MN]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<4x2xf32>, tensor<4x3xf32>)
func.func @matmul_transpose_lhs(%a: tensor<4x2xf32>, %b: tensor<4x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.matmul %a, %b {transpose_lhs} : tensor<4x2xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @matmul_transpose_rhs
// CHECK-SAME: (%[[A:.*]]: tensor<2x4xf32>, %[[B:.*]]: tensor<3x4xf32>)
// CHECK: %[[BT:.*]] = linalg.transpose ins(%[[B]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<4x3xf32>) permutation = [1, 0]
// CHECK: linalg.generic {indexing_maps = [#[[$MK]], #[[$KN]], #[[$MN]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[A]], %[[BT]] : tensor<2x4xf32>, tensor<4x3xf32>)
func.func @matmul_transpose_rhs(%a: tensor<2x4xf32>, %b: tensor<3x4xf32>) -> tensor<2x3xf32> {
  %0 = nn.matmul %a, %b {transpose_rhs} : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @matmul_transpose_both
// CHECK-SAME: (%[[A:.*]]: tensor<4x2xf32>, %[[B:.*]]: tensor<3x4xf32>)
// CHECK: %[[BT:.*]] = linalg.transpose ins(%[[B]] : tensor<3x4xf32>) outs(%{{.*}} : tensor<4x3xf32>) permutation = [1, 0]
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[$KM]], #[[$KN]], #[[$MN]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[A]], %[[BT]] : tensor<4x2xf32>, tensor<4x3xf32>)
func.func @matmul_transpose_both(%a: tensor<4x2xf32>, %b: tensor<3x4xf32>) -> tensor<2x3xf32> {
  %0 = nn.matmul %a, %b {transpose_lhs, transpose_rhs} : tensor<4x2xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}


// A packed right operand whose rows are a whole number of cache lines (16
// floats here) goes into a buffer one cache line wider, so that the rows of
// a register tile's panel fall into different L1 sets; the product reads the
// [K, N] view of it.
// CHECK-LABEL: func.func @dense_padded_pack
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x4xf32>, %[[W:[^:]*]]: tensor<16x4xf32>
// CHECK: %[[BUF:.*]] = tensor.empty() : tensor<4x32xf32>
// CHECK: %[[VIEW:.*]] = tensor.extract_slice %[[BUF]][0, 0] [4, 16] [1, 1] : tensor<4x32xf32> to tensor<4x16xf32>
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<16x4xf32>) outs(%[[VIEW]] : tensor<4x16xf32>) permutation = [1, 0]
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[WT]] : tensor<2x4xf32>, tensor<4x16xf32>)
func.func @dense_padded_pack(%x: tensor<2x4xf32>, %w: tensor<16x4xf32>, %b: tensor<16xf32>) -> tensor<2x16xf32> {
  %0 = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<16x4xf32>, tensor<16xf32> -> tensor<2x16xf32>
  return %0 : tensor<2x16xf32>
}
