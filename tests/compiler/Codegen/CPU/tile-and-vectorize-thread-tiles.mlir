// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize="threads=2" | FileCheck %s

// Known bug (this test fails until it is fixed): with threads > 1 the
// register tile is picked from the whole op's sizes, not from the thread's
// slice. Here N = 48 is the larger dimension, so each thread gets 24 columns,
// but nr = 16 (it divides 48) does not divide 24: tiling leaves a remainder
// (affine.min) and the dynamically-sized tile stays a scalar linalg.generic,
// so the whole product runs unvectorized. The register tile must divide the
// thread's slice (e.g. nr = 8 here), as it does without threads.

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
func.func @matmul_thread_slice(%a: memref<8x16xf32>, %b: memref<16x48xf32>, %c: memref<8x48xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x16xf32>, memref<16x48xf32>) outs(%c : memref<8x48xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}
