// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize=lower-vectors=false --canonicalize --split-input-file | FileCheck %s
// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize="lower-vectors=false threads=2" --canonicalize --split-input-file | FileCheck %s --check-prefix=THREADS

// A transpose that moves the innermost dimension ([n, c, h, w] to
// [n, h, w, c], around a direct convolution) is tiled to one block of the
// two dimensions that trade places (w by 4, since 4 divides 28; c by 8) and
// one element of the others: each tile reads 8 rows of 4 and writes 4 rows
// of 8, one vector transpose.
// CHECK-LABEL: func.func @transpose_to_channels_last
// CHECK-SAME: (%[[X:.*]]: memref<2x16x32x28xf32>, %[[Y:.*]]: memref<2x32x28x16xf32>)
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %[[C1]]
// CHECK: scf.for %[[H:.*]] = %{{.*}} to %{{.*}} step %[[C1]]
// CHECK: scf.for %[[W:.*]] = %{{.*}} to %{{.*}} step %[[C4]]
// CHECK: scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %[[C8]]
// CHECK: memref.subview %[[X]][%[[N]], %[[C]], %[[H]], %[[W]]] [1, 8, 1, 4]
// CHECK: memref.subview %[[Y]][%[[N]], %[[H]], %[[W]], %[[C]]] [1, 1, 4, 8]
// CHECK: vector.transfer_read {{.*}} vector<1x1x4x8xf32>
// threads=2: large enough (28672 elements), so the batch is split across
// the threads first, one image each, then tiled the same way.
// THREADS-LABEL: func.func @transpose_to_channels_last
// THREADS: scf.forall (%[[T:.*]]) in (2)
// THREADS: scf.for
// THREADS: vector.transfer_read {{.*}} vector<1x1x4x8xf32>
// THREADS-LABEL: func.func @transpose_keeps_rows
// THREADS-NOT: scf.forall
func.func @transpose_to_channels_last(%x: memref<2x16x32x28xf32>, %y: memref<2x32x28x16xf32>) {
  linalg.transpose ins(%x : memref<2x16x32x28xf32>) outs(%y : memref<2x32x28x16xf32>) permutation = [0, 2, 3, 1]
  return
}

// -----

// A transpose that keeps the innermost dimension moves whole rows: it is
// tiled like a copy, two rows of 28 at a time (as many as fit in the
// 64-element chunk and divide 16).
// CHECK-LABEL: func.func @transpose_keeps_rows
// CHECK: memref.subview %{{.*}}[%{{.*}}, %{{.*}}, 0] [1, 2, 28]
// CHECK: vector.transfer_read {{.*}} vector<1x2x28xf32>
func.func @transpose_keeps_rows(%x: memref<16x2x28xf32>, %y: memref<2x16x28xf32>) {
  linalg.transpose ins(%x : memref<16x2x28xf32>) outs(%y : memref<2x16x28xf32>) permutation = [1, 0, 2]
  return
}
