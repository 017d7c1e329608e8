// RUN: nnc-opt %s --convert-nn-to-linalg | FileCheck %s

// Reductions become linalg.reduce over a filled accumulator; softmax and
// log_softmax are computed stably from the row maximum: max-reduce,
// subtract, exp-sum, log.

// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1) -> (d1)>

// CHECK-LABEL: func.func @sum
// CHECK-SAME: (%[[A:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<3xf32>) -> tensor<3xf32>
// CHECK: %[[R:.*]] = linalg.reduce { arith.addf } ins(%[[A]] : tensor<2x3x4xf32>) outs(%[[INIT]] : tensor<3xf32>) dimensions = [0, 2]
// CHECK-NOT: tensor.expand_shape
// CHECK: return %[[R]] : tensor<3xf32>
func.func @sum(%a: tensor<2x3x4xf32>) -> tensor<3xf32> {
  %0 = nn.sum %a dims [0, 2] : tensor<2x3x4xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// An empty dimension list reduces everything into a 0-d tensor.
// CHECK-LABEL: func.func @sum_all
// CHECK: linalg.reduce { arith.addf } ins(%{{.*}} : tensor<2x3xf32>) outs(%{{.*}} : tensor<f32>) dimensions = [0, 1]
func.func @sum_all(%a: tensor<2x3xf32>) -> tensor<f32> {
  %0 = nn.sum %a dims [] : tensor<2x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// mean = sum times 1/count; keepdim expands the result back.
// CHECK-LABEL: func.func @mean_keepdim
// CHECK-SAME: (%[[A:.*]]: tensor<2x4xf32>)
// CHECK: %[[S:.*]] = linalg.reduce { arith.addf } ins(%[[A]] : tensor<2x4xf32>) {{.*}} dimensions = [1]
// CHECK: %[[M:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[INV:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[P:.*]] = arith.mulf %[[IN]], %[[INV]] : f32
// CHECK: linalg.yield %[[P]] : f32
// CHECK: %[[R:.*]] = tensor.expand_shape %[[M]] {{\[}}[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
// CHECK: return %[[R]]
func.func @mean_keepdim(%a: tensor<2x4xf32>) -> tensor<2x1xf32> {
  %0 = nn.mean %a dims [1] {keepdim} : tensor<2x4xf32> -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// CHECK-LABEL: func.func @mean_dim0
// CHECK: linalg.reduce { arith.addf } {{.*}} dimensions = [0]
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK-NOT: tensor.expand_shape
// CHECK: return %{{.*}} : tensor<3xf32>
func.func @mean_dim0(%a: tensor<2x3xf32>) -> tensor<3xf32> {
  %0 = nn.mean %a dims [0] : tensor<2x3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// softmax(x) = exp((x - max) - log(sum(exp(x - max)))) along dim 1.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MINIT:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<2xf32>)
// CHECK: %[[MAX:.*]] = linalg.reduce { arith.maximumf } ins(%[[X]] : tensor<2x3xf32>) outs(%[[MINIT]] : tensor<2xf32>) dimensions = [1]
// CHECK: %[[SH:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ROW]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MAX]] : tensor<2x3xf32>, tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[M:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.subf %[[IN]], %[[M]] : f32
// CHECK: %[[SUM:.*]] = linalg.reduce ins(%[[SH]] : tensor<2x3xf32>) {{.*}} dimensions = [1]
// CHECK-NEXT: (%[[IN:.*]]: f32, %[[ACC:.*]]: f32) {
// CHECK-NEXT: %[[E:.*]] = math.exp %[[IN]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[E]] : f32
// CHECK: %[[LSE:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.log %[[IN]] : f32
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ROW]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[SH]], %[[LSE]] : tensor<2x3xf32>, tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[L:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[IN]], %[[L]] : f32
// CHECK-NEXT: %[[P:.*]] = math.exp %[[D]] : f32
// CHECK-NEXT: linalg.yield %[[P]] : f32
// CHECK: return %[[R]]
func.func @softmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.softmax %x dim 1 : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// log_softmax(x) = (x - max) - log(sum(exp(x - max))), here along dim 0:
// the row statistics are indexed by d1.
// CHECK-LABEL: func.func @log_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[MAX:.*]] = linalg.reduce { arith.maximumf } ins(%[[X]] : tensor<2x3xf32>) {{.*}} dimensions = [0]
// CHECK: %[[SH:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$COL]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[MAX]] : tensor<2x3xf32>, tensor<3xf32>)
// CHECK: arith.subf
// CHECK: %[[SUM:.*]] = linalg.reduce ins(%[[SH]] : tensor<2x3xf32>) {{.*}} dimensions = [0]
// CHECK: math.exp
// CHECK: %[[LSE:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>)
// CHECK: math.log
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$COL]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[SH]], %[[LSE]] : tensor<2x3xf32>, tensor<3xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[L:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[IN]], %[[L]] : f32
// CHECK-NEXT: linalg.yield %[[D]] : f32
// CHECK: return %[[R]]
func.func @log_softmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.log_softmax %x dim 0 : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
