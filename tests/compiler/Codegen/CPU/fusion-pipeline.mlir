// RUN: nnc-opt %s --convert-nn-to-linalg --nnc-cpu-strategy | FileCheck %s --check-prefix=UNFUSED
// RUN: nnc-opt %s --nnc-linalg --nnc-cpu-linalg | FileCheck %s

// The nnc-cpu-linalg pipeline (the CPU strategy, then linalg elementwise
// fusion) merges the elementwise generics that follow a dense layer into one,
// and folds a backward activation chain into the reduction that consumes it.

// Forward: dense + bias, relu, scale, exp. Unfused, one generic per op; fused,
// the contraction (starting from the broadcast bias) and one elementwise
// generic doing relu, scale and exp.
// UNFUSED-LABEL: func.func @forward
// UNFUSED-COUNT-4: linalg.generic
// UNFUSED-NOT: linalg.generic
// UNFUSED: return
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:.*]]: tensor<8x16xf32>, %[[W:.*]]: tensor<32x16xf32>, %[[B:.*]]: tensor<32xf32>)
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<32xf32>)
// CHECK: %[[MM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %{{.*}} : tensor<8x16xf32>, tensor<16x32xf32>) outs(%[[INIT]] : tensor<8x32xf32>)
// CHECK: %[[ACT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[MM]] : tensor<8x32xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[IN]], %{{.*}} : f32
// CHECK-NEXT: %[[S:.*]] = arith.mulf %[[R]], %{{.*}} : f32
// CHECK-NEXT: %[[E:.*]] = math.exp %[[S]] : f32
// CHECK-NEXT: linalg.yield %[[E]] : f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[ACT]]
func.func @forward(%x: tensor<8x16xf32>, %w: tensor<32x16xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %0 = nn.dense %x, %w, %b : tensor<8x16xf32>, tensor<32x16xf32>, tensor<32xf32> -> tensor<8x32xf32>
  %1 = nn.relu %0 : tensor<8x32xf32>
  %2 = nn.scale %1 by 2.0 : tensor<8x32xf32>
  %3 = nn.exp %2 : tensor<8x32xf32>
  return %3 : tensor<8x32xf32>
}

// Backward: relu's derivative, a scale and the bias gradient's batch sum
// become a single reduction generic; the forward relu, whose output the
// relu derivative does not read, disappears.
// UNFUSED-LABEL: func.func @backward
// UNFUSED-COUNT-4: linalg.generic
// UNFUSED-NOT: linalg.generic
// UNFUSED: return
// CHECK-LABEL: func.func @backward
// CHECK-SAME: (%[[Z:.*]]: tensor<8x32xf32>, %[[DY:.*]]: tensor<8x32xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[Z]], %[[DY]] : tensor<8x32xf32>, tensor<8x32xf32>) outs(%{{.*}} : tensor<32xf32>)
// CHECK-NEXT: ^bb0(%[[ZZ:.*]]: f32, %[[DD:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[POS:.*]] = arith.cmpf ogt, %[[ZZ]], %{{.*}} : f32
// CHECK-NEXT: %[[G:.*]] = arith.select %[[POS]], %[[DD]], %{{.*}} : f32
// CHECK-NEXT: %[[GS:.*]] = arith.mulf %[[G]], %{{.*}} : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[GS]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @backward(%z: tensor<8x32xf32>, %dy: tensor<8x32xf32>) -> tensor<32xf32> {
  %h = nn.relu %z : tensor<8x32xf32>
  %g = nn.activation_grad relu %z, %h, %dy : tensor<8x32xf32>
  %s = nn.scale %g by 0.5 : tensor<8x32xf32>
  %db = nn.sum %s dims [0] : tensor<8x32xf32> -> tensor<32xf32>
  return %db : tensor<32xf32>
}
