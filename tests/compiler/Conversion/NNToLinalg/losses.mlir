// RUN: nnc-opt %s --convert-nn-to-linalg | FileCheck %s

// Losses and nn.one_hot. Integer labels are compared with the class index
// (linalg.index) inside the generic, never gathered.

// CHECK-DAG: #[[$ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$BATCH3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// cross_entropy = mean_b(log(sum_c exp(s_bc)) - s_b,y_b) with s = l - max(l).
// CHECK-LABEL: func.func @cross_entropy
// CHECK-SAME: (%[[L:.*]]: tensor<4x3xf32>, %[[Y:.*]]: tensor<4xi32>)
// CHECK: %[[MAX:.*]] = linalg.reduce { arith.maximumf } ins(%[[L]] : tensor<4x3xf32>)
// CHECK: %[[SH:.*]] = linalg.generic {{.*}} ins(%[[L]], %[[MAX]] : tensor<4x3xf32>, tensor<4xf32>)
// CHECK: arith.subf
// CHECK: %[[SUM:.*]] = linalg.reduce ins(%[[SH]] : tensor<4x3xf32>)
// CHECK: math.exp
// CHECK: %[[LSE:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf32>)
// CHECK: math.log
// The logit of each row's label: a reduction over the classes that keeps
// the one whose index equals the label.
// CHECK: %[[PICK:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ROW]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[SH]], %[[Y]] : tensor<4x3xf32>, tensor<4xi32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %[[LABEL:.*]]: i32, %[[ACC:.*]]: f32):
// CHECK-DAG: %[[CLS:.*]] = linalg.index 1 : index
// CHECK-DAG: %[[LI:.*]] = arith.index_cast %[[LABEL]] : i32 to index
// CHECK-DAG: %[[HIT:.*]] = arith.cmpi eq, %[[CLS]], %[[LI]] : index
// CHECK-DAG: %[[SEL:.*]] = arith.select %[[HIT]], %[[S]], %{{.*}} : f32
// CHECK-DAG: %[[ADD:.*]] = arith.addf %[[ACC]], %[[SEL]] : f32
// CHECK: linalg.yield %[[ADD]] : f32
// Per row (lse - picked) / batch, summed into the scalar loss.
// CHECK: %[[ROWS:.*]] = linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]], #[[$ID1]]], iterator_types = ["parallel"]} ins(%[[LSE]], %[[PICK]] : tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[D:.*]] = arith.subf %[[A]], %[[B]] : f32
// CHECK-DAG: %[[INV:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[M:.*]] = arith.mulf %[[D]], %[[INV]] : f32
// CHECK: linalg.yield %[[M]] : f32
// CHECK: %[[LOSS:.*]] = linalg.reduce { arith.addf } ins(%[[ROWS]] : tensor<4xf32>) outs(%{{.*}} : tensor<f32>) dimensions = [0]
// CHECK: return %[[LOSS]] : tensor<f32>
func.func @cross_entropy(%l: tensor<4x3xf32>, %y: tensor<4xi32>) -> tensor<f32> {
  %0 = nn.cross_entropy %l, %y : tensor<4x3xf32>, tensor<4xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// one_hot: the class is the last iteration dimension; the labels are read
// through the batch dimensions.
// CHECK-LABEL: func.func @one_hot
// CHECK-SAME: (%[[Y:.*]]: tensor<2x4xi64>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x4x3xf16>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$BATCH3]], #[[$ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[Y]] : tensor<2x4xi64>) outs(%[[E]] : tensor<2x4x3xf16>)
// CHECK-NEXT: ^bb0(%[[LABEL:.*]]: i64, %{{.*}}: f16):
// CHECK-DAG: %[[CLS:.*]] = linalg.index 2 : index
// CHECK-DAG: %[[LI:.*]] = arith.index_cast %[[LABEL]] : i64 to index
// CHECK-DAG: %[[HIT:.*]] = arith.cmpi eq, %[[CLS]], %[[LI]] : index
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f16
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f16
// CHECK-DAG: %[[SEL:.*]] = arith.select %[[HIT]], %[[ONE]], %[[ZERO]] : f16
// CHECK: linalg.yield %[[SEL]] : f16
// CHECK: return %[[R]]
func.func @one_hot(%y: tensor<2x4xi64>) -> tensor<2x4x3xf16> {
  %0 = nn.one_hot %y : tensor<2x4xi64> -> tensor<2x4x3xf16>
  return %0 : tensor<2x4x3xf16>
}

// mse: sum of (a - b)^2 / n.
// CHECK-LABEL: func.func @mse
// CHECK-SAME: (%[[A:.*]]: tensor<2x4xf32>, %[[B:.*]]: tensor<2x4xf32>)
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ID2]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[B]] : tensor<2x4xf32>, tensor<2x4xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[T:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[D:.*]] = arith.subf %[[X]], %[[T]] : f32
// CHECK-DAG: %[[D2:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-DAG: %[[INV:.*]] = arith.constant 1.250000e-01 : f32
// CHECK-DAG: %[[R:.*]] = arith.mulf %[[D2]], %[[INV]] : f32
// CHECK: linalg.yield %[[R]] : f32
// CHECK: %[[LOSS:.*]] = linalg.reduce { arith.addf } ins(%[[SQ]] : tensor<2x4xf32>) {{.*}} dimensions = [0, 1]
// CHECK: return %[[LOSS]] : tensor<f32>
func.func @mse(%a: tensor<2x4xf32>, %b: tensor<2x4xf32>) -> tensor<f32> {
  %0 = nn.mse %a, %b : tensor<2x4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// bce_with_logits: max(x, 0) - x t + log1p(exp(-|x|)), over n.
// CHECK-LABEL: func.func @bce_with_logits
// CHECK-SAME: (%[[A:.*]]: tensor<2x4xf32>, %[[B:.*]]: tensor<2x4xf32>)
// CHECK: %[[TERMS:.*]] = linalg.generic {{.*}} ins(%[[A]], %[[B]] : tensor<2x4xf32>, tensor<2x4xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[T:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[POS:.*]] = arith.maximumf %[[X]], %{{.*}} : f32
// CHECK-DAG: %[[XT:.*]] = arith.mulf %[[X]], %[[T]] : f32
// CHECK-DAG: %[[ABS:.*]] = math.absf %[[X]] : f32
// CHECK-DAG: %[[NABS:.*]] = arith.negf %[[ABS]] : f32
// CHECK-DAG: %[[E:.*]] = math.exp %[[NABS]] : f32
// CHECK-DAG: %[[L1P:.*]] = math.log1p %[[E]] : f32
// CHECK-DAG: %[[INV:.*]] = arith.constant 1.250000e-01 : f32
// CHECK: linalg.yield
// CHECK: %[[LOSS:.*]] = linalg.reduce { arith.addf } ins(%[[TERMS]] : tensor<2x4xf32>) {{.*}} dimensions = [0, 1]
// CHECK: return %[[LOSS]] : tensor<f32>
func.func @bce_with_logits(%a: tensor<2x4xf32>, %b: tensor<2x4xf32>) -> tensor<f32> {
  %0 = nn.bce_with_logits %a, %b : tensor<2x4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
