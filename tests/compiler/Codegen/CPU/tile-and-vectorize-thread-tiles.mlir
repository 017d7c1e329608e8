// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize="threads=2" | FileCheck %s

// With threads > 1 the register tile divides the thread's slice, not only
// the whole op: N = 48 is the larger dimension, so each thread gets 24
// columns, and nr = 16 (which divides 48) would leave a remainder
// (affine.min) whose dynamically-sized tile stays a scalar linalg.generic.
// The tile is picked from the slice (nr = 8), and every tile vectorizes.
// (14x48 over K = 448 is large enough to be split at all, and its 7 rows
// per thread too few to split M instead.)

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// CHECK-LABEL: func.func @matmul_thread_slice
// CHECK: scf.forall (%{{.*}}) = (0) to (48) step (24) {
// CHECK-NOT: affine.min
// CHECK-NOT: linalg.generic
// CHECK: vector.fma
// CHECK-NOT: affine.min
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @matmul_thread_slice(%a: memref<14x448xf32>, %b: memref<448x48xf32>, %c: memref<14x48xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<14x448xf32>, memref<448x48xf32>) outs(%c : memref<14x48xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A sum over the batch (outermost loop a reduction: a bias gradient) splits
// its innermost, parallel dimension across the threads instead, in whole
// 64-wide chunks: each thread sums all 128 rows of its 128 columns.
// CHECK-LABEL: func.func @column_sum_thread_slice
// CHECK: scf.forall (%[[T:.*]]) = (0) to (256) step (128) {
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C128:.*]] step %{{.*}} {
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C128]] step %[[C64:.*]] {
// CHECK: vector.load {{.*}} vector<64xf32>
func.func @column_sum_thread_slice(%a: memref<128x256xf32>, %b: memref<256xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%a : memref<128x256xf32>) outs(%b : memref<256xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}

// Rows of one 64-wide chunk are tiled whole, so they are not split: the
// sum stays on one thread.
// CHECK-LABEL: func.func @negative_column_sum_partial_chunk
// CHECK-NOT: scf.forall
// CHECK: return
func.func @negative_column_sum_partial_chunk(%a: memref<512x64xf32>, %b: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%a : memref<512x64xf32>) outs(%b : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}
