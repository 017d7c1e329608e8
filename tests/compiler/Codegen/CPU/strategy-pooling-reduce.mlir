// RUN: nnc-opt %s --split-input-file --nnc-cpu-strategy=annotate-only | FileCheck %s --check-prefix=NOTE
// RUN: nnc-opt %s --split-input-file --nnc-cpu-strategy | FileCheck %s

// Pooling: one elementwise generic over the window's strided views (plain
// maps, which vectorize), in row-major kernel order. A fill of -inf is the
// identity of max and is not read.

// NOTE-LABEL: func.func @max_pool
// NOTE: linalg.pooling_nchw_max {{.*}}nnc.cpu.strategy = {algorithm = "window-views"}
// CHECK-LABEL: func.func @max_pool
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x5x5xf32>)
// CHECK-NOT: linalg.pooling_nchw_max
// CHECK: %[[A:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: %[[B:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 1] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: %[[C:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: %[[D:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 1] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[A]], %[[B]], %[[C]], %[[D]] :
// CHECK-NEXT: ^bb0(%[[IA:.*]]: f32, %[[IB:.*]]: f32, %[[IC:.*]]: f32, %[[ID:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[M1:.*]] = arith.maximumf %[[IA]], %[[IB]]
// CHECK-NEXT: %[[M2:.*]] = arith.maximumf %[[M1]], %[[IC]]
// CHECK-NEXT: %[[M3:.*]] = arith.maximumf %[[M2]], %[[ID]]
// CHECK-NEXT: linalg.yield %[[M3]]
// CHECK: return %[[R]]
func.func @max_pool(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x2x2xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%x, %win : tensor<1x2x5x5xf32>, tensor<2x2xf32>)
      outs(%init : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

// -----

// A sum into an accumulator that is not zeros (here an argument) adds the
// accumulator first; dilation spaces the views.

// CHECK-LABEL: func.func @sum_pool_accumulate
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x4x4xf32>, %[[ACC:.*]]: tensor<1x1x2x4xf32>)
// CHECK: %[[A:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 1, 2, 4] [1, 1, 1, 1]
// CHECK: %[[B:.*]] = tensor.extract_slice %[[X]][0, 0, 2, 0] [1, 1, 2, 4] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[A]], %[[B]] :
// CHECK-NEXT: ^bb0(%[[IACC:.*]]: f32, %[[IA:.*]]: f32, %[[IB:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[S1:.*]] = arith.addf %[[IACC]], %[[IA]]
// CHECK-NEXT: arith.addf %[[S1]], %[[IB]]
func.func @sum_pool_accumulate(%x: tensor<1x1x4x4xf32>, %acc: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %win = tensor.empty() : tensor<2x1xf32>
  %0 = linalg.pooling_nchw_sum {dilations = dense<[2, 1]> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %win : tensor<1x1x4x4xf32>, tensor<2x1xf32>)
      outs(%acc : tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %0 : tensor<1x1x2x4xf32>
}

// -----

// @negative_dynamic_pool: dynamic shapes have no window views; the op stays
// as it is, unannotated.

// NOTE-LABEL: func.func @negative_dynamic_pool
// NOTE-NOT: nnc.cpu.strategy
// CHECK-LABEL: func.func @negative_dynamic_pool
// CHECK: linalg.pooling_nchw_sum
func.func @negative_dynamic_pool(%x: tensor<?x1x4x4xf32>, %acc: tensor<?x1x2x2xf32>) -> tensor<?x1x2x2xf32> {
  %win = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%x, %win : tensor<?x1x4x4xf32>, tensor<2x2xf32>)
      outs(%acc : tensor<?x1x2x2xf32>) -> tensor<?x1x2x2xf32>
  return %0 : tensor<?x1x2x2xf32>
}

// -----

// A reduction becomes the equivalent generic, which elementwise fusion and
// nnc-split-reductions work on.

// NOTE-LABEL: func.func @reduce
// NOTE: linalg.reduce {{.*}}nnc.cpu.strategy = {algorithm = "fused-generic"}
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @reduce
// CHECK-NOT: linalg.reduce
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-NOT: nnc.cpu.strategy
// CHECK: arith.addf
func.func @reduce(%x: tensor<4x8xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.reduce { arith.addf } ins(%x : tensor<4x8xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
  return %0 : tensor<4xf32>
}
