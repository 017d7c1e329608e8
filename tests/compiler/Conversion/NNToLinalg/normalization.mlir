// RUN: nnc-opt %s --convert-nn-to-linalg --canonicalize | FileCheck %s

// batch_norm in training mode: the per-channel sum, mean, squared
// deviation and variance as reductions over every dimension but 1, one
// generic updating both running statistics (unbiased variance: 4 / 3), one
// normalizing the input. In evaluation mode nothing is reduced.

// CHECK-DAG: #[[$X:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @batch_norm_training
// CHECK-DAG: %[[UNBIAS:.*]] = arith.constant 1.33333337 : f32
// CHECK-DAG: %[[MOM:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[KEEP:.*]] = arith.constant 7.500000e-01 : f32
// CHECK: linalg.generic {indexing_maps = [#[[$X]], #[[$C]]], iterator_types = ["reduction", "parallel"]}
// CHECK: linalg.generic {indexing_maps = [#[[$X]], #[[$C]], #[[$C]]], iterator_types = ["reduction", "parallel"]}
// CHECK: %{{.*}}:2 = linalg.generic
// CHECK: arith.mulf %{{.*}}, %[[UNBIAS]] : f32
// CHECK: linalg.generic {indexing_maps = [#[[$X]], #[[$C]], #[[$C]], #[[$C]], #[[$C]], #[[$X]]], iterator_types = ["parallel", "parallel"]}
func.func @batch_norm_training(%x: tensor<4x3xf32>, %w: tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %m, %v = nn.batch_norm %x, %w, %w, %w, %w momentum 0.25 eps 0.5 {training} : tensor<4x3xf32>, tensor<3xf32>
  return %y, %m, %v : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}

// CHECK-LABEL: func.func @batch_norm_eval
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[W:.*]]: tensor<3xf32>, %[[M:.*]]: tensor<3xf32>, %[[V:.*]]: tensor<3xf32>)
// CHECK-NOT: "reduction"
// CHECK: %[[INV:.*]] = linalg.generic {{.*}} ins(%[[V]] : tensor<3xf32>)
// CHECK-NOT: "reduction"
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[M]], %[[INV]], %[[W]], %[[W]] :
// CHECK: return %[[Y]], %[[M]], %[[V]]
func.func @batch_norm_eval(%x: tensor<4x3xf32>, %w: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %m2, %v2 = nn.batch_norm %x, %w, %w, %m, %v momentum 0.25 eps 0.5 : tensor<4x3xf32>, tensor<3xf32>
  return %y, %m2, %v2 : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}

// The key fmix32(seed + 0x9E3779B9 * step) is computed once, outside the
// generic; each element hashes its row-major index with it.
// CHECK-LABEL: func.func @dropout
// CHECK-DAG: %[[GOLDEN:.*]] = arith.constant -1640531527 : i32
// CHECK-DAG: %[[SEED:.*]] = arith.constant 5 : i32
// CHECK: %[[STEP:.*]] = arith.fptoui %{{.*}} : f64 to i32
// CHECK: %[[MUL:.*]] = arith.muli %[[STEP]], %[[GOLDEN]] : i32
// CHECK: arith.addi %[[MUL]], %[[SEED]] : i32
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: arith.xori
// CHECK: arith.cmpf oge, %{{.*}}, %{{.*}} : f32
// CHECK: arith.select
func.func @dropout(%x: tensor<4x3xf32>, %s: tensor<f64>) -> tensor<4x3xf32> {
  %y = nn.dropout %x, %s p 0.25 seed 5 {training} : tensor<4x3xf32>, tensor<f64>
  return %y : tensor<4x3xf32>
}

// Outside training, dropout folds away.
// CHECK-LABEL: func.func @dropout_eval
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @dropout_eval(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %y = nn.dropout %x p 0.25 seed 5 : tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// batch_norm_grad: the statistics (shared with the forward op through CSE),
// one generic reducing sum(dy) and sum(dy * xhat) together, one computing
// dx.
// CHECK-LABEL: func.func @batch_norm_grad
// CHECK-COUNT-2: linalg.generic {indexing_maps = [#[[$X]], {{.*}}], iterator_types = ["reduction", "parallel"]}
// CHECK: %[[SUMS:.*]]:2 = linalg.generic {indexing_maps = [#[[$X]], #[[$X]], #[[$C]], #[[$C]], #[[$C]], #[[$C]]], iterator_types = ["reduction", "parallel"]}
// CHECK: %[[DX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: return %[[DX]], %[[SUMS]]#1, %[[SUMS]]#0
func.func @batch_norm_grad(%x: tensor<4x3xf32>, %w: tensor<3xf32>, %dy: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %dx, %dw, %db = nn.batch_norm_grad %x, %w, %dy eps 0.5 : tensor<4x3xf32>, tensor<3xf32>
  return %dx, %dw, %db : tensor<4x3xf32>, tensor<3xf32>, tensor<3xf32>
}
