// RUN: nnc-opt %s --convert-nn-to-linalg | FileCheck %s

// nn.gradient_rms: each gradient's squares are summed in f64 (where squares
// of f32 values cannot overflow), divided by its size, and the square roots
// gathered into one tensor.
// CHECK-LABEL: func.func @gradient_rms
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[SA:.*]] = linalg.reduce ins(%[[A]] : tensor<2x3xf32>) outs(%{{.*}} : tensor<f64>) dimensions = [0, 1]
// CHECK-NEXT: (%[[X:.*]]: f32, %[[ACC:.*]]: f64) {
// CHECK-NEXT: %[[XD:.*]] = arith.extf %[[X]] : f32 to f64
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[XD]], %[[XD]] : f64
// CHECK-NEXT: arith.addf %[[ACC]], %[[SQ]] : f64
// CHECK: %[[EA:.*]] = tensor.extract %[[SA]][] : tensor<f64>
// CHECK: %[[NA:.*]] = arith.constant 6.000000e+00 : f64
// CHECK: %[[MA:.*]] = arith.divf %[[EA]], %[[NA]] : f64
// CHECK: %[[RA:.*]] = math.sqrt %[[MA]] : f64
// CHECK: %[[SB:.*]] = linalg.reduce ins(%[[B]] : tensor<3xf32>) outs(%{{.*}} : tensor<f64>)
// CHECK: %[[RB:.*]] = math.sqrt %{{.*}} : f64
// CHECK: %[[R:.*]] = tensor.from_elements %[[RA]], %[[RB]] : tensor<2xf64>
// CHECK: return %[[R]]
func.func @gradient_rms(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2xf64> {
  %0 = nn.gradient_rms %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2xf64>
  return %0 : tensor<2xf64>
}
