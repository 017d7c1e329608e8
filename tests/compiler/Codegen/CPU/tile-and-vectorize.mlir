// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize="lower-vectors=1" | FileCheck %s
// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize="lower-vectors=0" | FileCheck %s --check-prefix=VEC
// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize="chunk=16" | FileCheck %s --check-prefix=CHUNK16
// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize="chunk=256" | FileCheck %s --check-prefix=CHUNK256
// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize="threads=2" | FileCheck %s --check-prefix=THREADS

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(d0, d1) -> (d0, d1)>

// A matrix product (M = 12, N = 32, K = 16) into a local buffer: tiled to a
// 6x16 register tile over M and N, K innermost in steps of one. The
// accumulator tile is read once before the K loop, carried through it as an
// iter_arg and written once after it; inside, each K step is six
// broadcast-FMAs of a column of A against a row of B.

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: memref<12x16xf32>, %[[B:.*]]: memref<16x32xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[C12:.*]] = arith.constant 12 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK: %[[C:.*]] = memref.alloc() : memref<12x32xf32>
// CHECK: scf.for %[[J:.*]] = %[[C0]] to %[[C32]] step %[[C16]] {
// CHECK-NEXT: scf.for %[[I:.*]] = %[[C0]] to %[[C12]] step %[[C6]] {
// CHECK-NEXT: %[[TILE:.*]] = memref.subview %[[C]][%[[I]], %[[J]]] [6, 16] [1, 1]
// CHECK-NEXT: %[[INIT:.*]] = vector.transfer_read %[[TILE]]{{.*}} vector<6x16xf32>
// CHECK-NEXT: %[[ACC:.*]] = scf.for %[[K:.*]] = %[[C0]] to %[[C16]] step %[[C1]] iter_args(%[[ITER:.*]] = %[[INIT]]) -> (vector<6x16xf32>) {
// CHECK-NOT: %[[TILE]][
// CHECK: memref.subview %[[A]][%[[I]], %[[K]]] [6, 1] [1, 1]
// CHECK: memref.subview %[[B]][%[[K]], %[[J]]] [1, 16] [1, 1]
// CHECK: %[[BROW:.*]] = vector.load %{{.*}} : memref<16xf32, {{.*}}>, vector<16xf32>
// CHECK: %[[A0:.*]] = vector.broadcast %{{.*}} : f32 to vector<16xf32>
// CHECK: %[[ACC0:.*]] = vector.extract %[[ITER]][0] : vector<16xf32> from vector<6x16xf32>
// CHECK: vector.fma %[[A0]], %[[BROW]], %[[ACC0]] : vector<16xf32>
// CHECK-COUNT-5: vector.fma %{{.*}}, %[[BROW]], %{{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK-NOT: %[[TILE]][
// CHECK: scf.yield %{{.*}} : vector<6x16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: vector.transfer_write %[[ACC]], %[[TILE]]{{.*}} : vector<6x16xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]]

// Before the vector lowering, the K step is a broadcast multiply and a
// multi_reduction into the carried accumulator.
// VEC-LABEL: func.func @matmul
// VEC: %[[C:.*]] = memref.alloc() : memref<12x32xf32>
// VEC: %[[TILE:.*]] = memref.subview %[[C]]{{.*}} [6, 16] [1, 1]
// VEC-NEXT: %[[INIT:.*]] = vector.transfer_read %[[TILE]]{{.*}} vector<6x16xf32>
// VEC-NEXT: %[[ACC:.*]] = scf.for {{.*}} iter_args(%[[ITER:.*]] = %[[INIT]]) -> (vector<6x16xf32>) {
// VEC-NOT: vector.fma
// VEC: %[[PROD:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<6x16x1xf32>
// VEC-NEXT: %[[RED:.*]] = vector.multi_reduction <add>, %[[PROD]], %[[ITER]] [2] : vector<6x16x1xf32> to vector<6x16xf32>
// VEC-NEXT: scf.yield %[[RED]] : vector<6x16xf32>
// VEC-NEXT: }
// VEC-NEXT: vector.transfer_write %[[ACC]], %[[TILE]]
// VEC-NOT: linalg.generic
// VEC: return %[[C]]
func.func @matmul(%a: memref<12x16xf32>, %b: memref<16x32xf32>) -> memref<12x32xf32> {
  %c = memref.alloc() : memref<12x32xf32>
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x16xf32>, memref<16x32xf32>) outs(%c : memref<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return %c : memref<12x32xf32>
}

// The right operand stored [N, K]: packed once into a [K, N] buffer by an
// 8x8-blocked transpose, which the product then reads in rows; the buffer is
// freed after the product.

// CHECK-LABEL: func.func @matmul_transposed_rhs
// CHECK-SAME: (%[[A:.*]]: memref<12x16xf32>, %[[B:.*]]: memref<32x16xf32>, %[[C:.*]]: memref<12x32xf32>)
// CHECK: %[[P:.*]] = memref.alloc() : memref<16x32xf32>
// CHECK: scf.for %[[PK:.*]] = %{{.*}} to %[[C16:.*]] step %[[C8:.*]] {
// CHECK-NEXT: scf.for %[[PN:.*]] = %{{.*}} to %[[C32:.*]] step %[[C8]] {
// CHECK-NEXT: %[[SRC:.*]] = memref.subview %[[B]][%[[PN]], %[[PK]]] [8, 8] [1, 1]
// CHECK-NEXT: %[[DST:.*]] = memref.subview %[[P]][%[[PK]], %[[PN]]] [8, 8] [1, 1]
// CHECK-NEXT: vector.transfer_read %[[SRC]]{{.*}} vector<8x8xf32>
// CHECK: vector.shuffle
// CHECK: vector.transfer_write %{{.*}}, %[[DST]]{{.*}} : vector<8x8xf32>
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %[[C16]] {
// CHECK-NEXT: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %[[C6:.*]] {
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %[[C16]] step
// CHECK-NOT: %[[B]][
// CHECK: memref.subview %[[P]][%[[K]], %[[J]]] [1, 16] [1, 1]
// CHECK-COUNT-6: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: %[[B]][
// CHECK: memref.dealloc %[[P]] : memref<16x32xf32>
// CHECK-NEXT: return
func.func @matmul_transposed_rhs(%a: memref<12x16xf32>, %b: memref<32x16xf32>, %c: memref<12x32xf32>) {
  linalg.generic {indexing_maps = [#mk, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x16xf32>, memref<32x16xf32>) outs(%c : memref<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// An elementwise op: rows of the innermost dimension in chunks of 64
// (the default), each one vector<64xf32> load, op and store.

// CHECK-LABEL: func.func @relu
// CHECK-SAME: (%[[X:.*]]: memref<4x256xf32>, %[[Y:.*]]: memref<4x256xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<64xf32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: scf.for %[[I:.*]] = %[[C0]] to %[[C4]] step %[[C1]] {
// CHECK-NEXT: scf.for %[[J:.*]] = %[[C0]] to %[[C256]] step %[[C64]] {
// CHECK-NEXT: %[[XT:.*]] = memref.subview %[[X]][%[[I]], %[[J]]] [1, 64] [1, 1]
// CHECK-NEXT: %[[YT:.*]] = memref.subview %[[Y]][%[[I]], %[[J]]] [1, 64] [1, 1]
// CHECK-NEXT: %[[XR:.*]] = memref.subview %[[XT]][0, 0] [1, 64] [1, 1]
// CHECK-NEXT: %[[V:.*]] = vector.load %[[XR]][%[[C0]]] : memref<64xf32, {{.*}}>, vector<64xf32>
// CHECK-NEXT: %[[R:.*]] = arith.maximumf %[[V]], %[[ZERO]] : vector<64xf32>
// CHECK-NEXT: %[[YR:.*]] = memref.subview %[[YT]][0, 0] [1, 64] [1, 1]
// CHECK-NEXT: vector.store %[[R]], %[[YR]][%[[C0]]] : memref<64xf32, {{.*}}>, vector<64xf32>
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: return

// chunk=16: the same rows in chunks of 16.
// CHUNK16-LABEL: func.func @relu
// CHUNK16-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHUNK16-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHUNK16: scf.for
// CHUNK16-NEXT: scf.for %{{.*}} = %{{.*}} to %[[C256]] step %[[C16]] {
// CHUNK16-NOT: vector<64xf32>
// CHUNK16: %[[V:.*]] = vector.load {{.*}} vector<16xf32>
// CHUNK16-NEXT: %[[R:.*]] = arith.maximumf %[[V]], %{{.*}} : vector<16xf32>
// CHUNK16: vector.store %[[R]], {{.*}} vector<16xf32>
// CHUNK16: return

// chunk=256: a row fits in one chunk, so only the row loop remains.
// CHUNK256-LABEL: func.func @relu
// CHUNK256: scf.for
// CHUNK256-NOT: scf.for
// CHUNK256: %[[V:.*]] = vector.load {{.*}} vector<256xf32>
// CHUNK256-NEXT: %[[R:.*]] = arith.maximumf %[[V]], %{{.*}} : vector<256xf32>
// CHUNK256: vector.store %[[R]], {{.*}} vector<256xf32>
// CHUNK256: return

// Small ops are not split across threads.
// THREADS-LABEL: func.func @relu
// THREADS-NOT: scf.forall
// THREADS: vector<64xf32>
// THREADS-NOT: scf.forall
// THREADS: return
func.func @relu(%x: memref<4x256xf32>, %y: memref<4x256xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x256xf32>) outs(%y : memref<4x256xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// Short rows (a channels-last image with 16 channels, plus a per-channel
// bias): four rows of the next dimension per step, 64 elements, so that the
// loop overhead is paid once per 4 rows; the bias is broadcast across them.
// VEC-LABEL: func.func @short_rows
// VEC-DAG: %[[C4:.*]] = arith.constant 4 : index
// VEC: scf.for
// VEC: scf.for
// VEC: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C4]]
// VEC: vector.transfer_read {{.*}} : memref<1x1x4x16xf32, {{.*}}>, vector<1x1x4x16xf32>
// VEC: vector.transfer_read {{.*}} : memref<16xf32, {{.*}}>, vector<1x1x4x16xf32>
// VEC: arith.addf {{.*}} : vector<1x1x4x16xf32>

// chunk=16: no room for two rows; one row per step.
// CHUNK16-LABEL: func.func @short_rows
// CHUNK16-NOT: vector<1x1x4x16xf32>
// CHUNK16: vector<16xf32>
// CHUNK16: return
func.func @short_rows(%x: memref<2x3x28x16xf32>, %b: memref<16xf32>, %y: memref<2x3x28x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (c)>, affine_map<(n, h, w, c) -> (n, h, w, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %b : memref<2x3x28x16xf32>, memref<16xf32>) outs(%y : memref<2x3x28x16xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %r = arith.addf %a, %c : f32
    linalg.yield %r : f32
  }
  return
}

// memref.copy becomes vectorized row copies, not a runtime-library call.

// CHECK-LABEL: func.func @copy
// CHECK-SAME: (%[[X:.*]]: memref<4x256xf32>, %[[Y:.*]]: memref<4x256xf32>)
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.copy
// CHECK: scf.for %[[I:.*]] =
// CHECK-NEXT: scf.for %[[J:.*]] =
// CHECK-NEXT: memref.subview %[[X]][%[[I]], %[[J]]] [1, 64] [1, 1]
// CHECK-NEXT: memref.subview %[[Y]][%[[I]], %[[J]]] [1, 64] [1, 1]
// CHECK: %[[V:.*]] = vector.load {{.*}} vector<64xf32>
// CHECK: vector.store %[[V]], {{.*}} vector<64xf32>
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.copy
// CHECK: return
func.func @copy(%x: memref<4x256xf32>, %y: memref<4x256xf32>) {
  memref.copy %x, %y : memref<4x256xf32> to memref<4x256xf32>
  return
}

// threads=2: a large product (64x32 over K = 128: 262144 multiply-adds, the
// least worth a fork and a join) is split over M (the larger of M and N) into
// two scf.forall tiles of 32 rows, each register-tiled as above: 30 rows in
// 6x16 tiles, and the 2 rows left over split off (linalg::splitOp) into
// 2x16 tiles of their own.

// THREADS-LABEL: func.func @matmul_large
// THREADS-SAME: (%[[A:.*]]: memref<64x128xf32>, %[[B:.*]]: memref<128x32xf32>, %[[C:.*]]: memref<64x32xf32>)
// THREADS: scf.forall (%[[T:.*]]) = (0) to (64) step (32) {
// THREADS-DAG: memref.subview %[[A]][%[[T]], 0] [32, 128] [1, 1]
// THREADS-DAG: %[[CT:.*]] = memref.subview %[[C]][%[[T]], 0] [32, 32] [1, 1]
// THREADS: %[[MAIN:.*]] = memref.subview %[[CT]][0, 0] [30, 32] [1, 1]
// THREADS: scf.for %[[J:.*]] = %{{.*}} to %[[C32:.*]] step %[[C16:.*]] {
// THREADS-NEXT: scf.for %[[I:.*]] = %{{.*}} to %[[C30:.*]] step %[[C6:.*]] {
// THREADS-NEXT: memref.subview %[[MAIN]][%[[I]], %[[J]]] [6, 16] [1, 1]
// THREADS: scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// THREADS-COUNT-6: vector.fma {{.*}} : vector<16xf32>
// THREADS: %[[REST:.*]] = memref.subview %[[CT]][30, 0] [2, 32] [1, 1]
// THREADS: memref.subview %[[REST]][%{{.*}}, %{{.*}}] [2, 16] [1, 1]
// THREADS-COUNT-2: vector.fma {{.*}} : vector<16xf32>
// THREADS-NOT: scf.forall
// THREADS: return

// Without threads, no scf.forall.
// CHECK-LABEL: func.func @matmul_large
// CHECK-NOT: scf.forall
// CHECK: vector.fma
// CHECK-NOT: scf.forall
// CHECK: return
func.func @matmul_large(%a: memref<64x128xf32>, %b: memref<128x32xf32>, %c: memref<64x32xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x128xf32>, memref<128x32xf32>) outs(%c : memref<64x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// threads=2: a large elementwise op (128x128 elements) is split over its
// outermost dimension, then tiled into rows as usual.

// THREADS-LABEL: func.func @relu_large
// THREADS-SAME: (%[[X:.*]]: memref<128x128xf32>, %[[Y:.*]]: memref<128x128xf32>)
// THREADS: scf.forall (%[[T:.*]]) = (0) to (128) step (64) {
// THREADS-NEXT: memref.subview %[[X]][%[[T]], 0] [64, 128] [1, 1]
// THREADS-NEXT: memref.subview %[[Y]][%[[T]], 0] [64, 128] [1, 1]
// THREADS-NEXT: scf.for
// THREADS-NEXT: scf.for
// THREADS: arith.maximumf {{.*}} : vector<64xf32>
// THREADS: return
func.func @relu_large(%x: memref<128x128xf32>, %y: memref<128x128xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<128x128xf32>) outs(%y : memref<128x128xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// Dynamic shapes are left alone (they later become scalar loops).

// CHECK-LABEL: func.func @negative_dynamic_shape
// CHECK-NOT: scf.for
// CHECK-NOT: vector.
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : memref<?x256xf32>) outs(%{{.*}} : memref<?x256xf32>)
// CHECK-NOT: scf.for
// CHECK-NOT: vector.
// CHECK: return
func.func @negative_dynamic_shape(%x: memref<?x256xf32>, %y: memref<?x256xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x256xf32>) outs(%y : memref<?x256xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// A product written straight into a function argument (an eval step's
// output): the accumulator is hoisted all the same (a step's buffers never
// alias), read once before the K loop and written once after it.

// CHECK-LABEL: func.func @matmul_into_argument
// CHECK-SAME: %[[C:[^:]*]]: memref<12x32xf32>)
// CHECK: %[[TILE:.*]] = memref.subview %[[C]]
// CHECK-NEXT: %[[INIT:.*]] = vector.transfer_read %[[TILE]]{{.*}} vector<6x16xf32>
// CHECK-NEXT: %[[ACC:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<6x16xf32>) {
// CHECK-NOT: %[[TILE]][
// CHECK: scf.yield %{{.*}} : vector<6x16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: vector.transfer_write %[[ACC]], %[[TILE]]
func.func @matmul_into_argument(%a: memref<12x16xf32>, %b: memref<16x32xf32>, %c: memref<12x32xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x16xf32>, memref<16x32xf32>) outs(%c : memref<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}
