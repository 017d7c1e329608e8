// RUN: nnc-opt %s --split-input-file --nnc-cpu-tile-and-vectorize="lower-vectors=0" -verify-diagnostics --cse | FileCheck %s
// RUN: nnc-opt %s --split-input-file --nnc-cpu-tile-and-vectorize="lower-vectors=0 threads=2" -verify-diagnostics --cse | FileCheck %s --check-prefix=THREADS

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// A plan with `pack_panels`: the N loop copies its [K, nr] panel of the
// right operand, row by row, into a contiguous buffer allocated next to
// the product, and the M loop's tiles read the panel instead of `b`.

// CHECK-LABEL: func.func @pack_panels
// CHECK-SAME: (%[[A:.*]]: memref<48x8xf32>, %[[B:.*]]: memref<8x1024xf32>, %[[C:.*]]: memref<48x1024xf32>)
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<1x8x16xf32>
// CHECK: %[[PANEL:.*]] = memref.subview %[[BUF]][0, 0, 0] [1, 8, 16] [1, 1, 1]
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %[[C16:.*]] {
// CHECK: %[[SRC:.*]] = memref.subview %[[B]][0, %[[J]]] [8, 16] [1, 1]
// CHECK: scf.for %[[R:.*]] =
// CHECK: %[[ROW:.*]] = vector.transfer_read %{{.*}} : memref<1x16xf32, {{.*}}>, vector<1x16xf32>
// CHECK: vector.transfer_write %[[ROW]]
// CHECK: scf.for %[[I:.*]] =
// CHECK-NOT: %[[B]]
// CHECK: memref.subview %[[PANEL]][%{{.*}}, 0] [1, 16] [1, 1]
// CHECK: memref.dealloc %[[BUF]]

// With two threads splitting N, each thread copies into its own panel: the
// slot is the thread's offset over its slice.
// THREADS-LABEL: func.func @pack_panels
// THREADS: %[[BUF:.*]] = memref.alloc() : memref<2x8x16xf32>
// THREADS: scf.forall (%[[T:.*]]) = (0) to (1024) step (512)
// THREADS: %[[SLOT:.*]] = affine.apply #{{.*}}(%[[T]])
// THREADS: memref.subview %[[BUF]][%[[SLOT]], 0, 0] [1, 8, 16] [1, 1, 1]
func.func @pack_panels(%a: memref<48x8xf32>, %b: memref<8x1024xf32>, %c: memref<48x1024xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<48x8xf32>, memref<8x1024xf32>) outs(%c : memref<48x1024xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// A product whose K is not blocked, into a buffer a fill initializes: the
// fill moves into the tile (a [mr, nr] fill right before the K loop) and
// makes no pass of its own.

// CHECK-LABEL: func.func @init_in_tile
// CHECK: %[[C:.*]] = memref.alloc() : memref<12x32xf32>
// CHECK-NOT: linalg.fill
// CHECK: scf.for %[[J:.*]] =
// CHECK: scf.for %[[I:.*]] =
// CHECK: %[[TILE:.*]] = memref.subview %[[C]][%[[I]], %[[J]]] [6, 16] [1, 1]
// CHECK: vector.transfer_write %{{.*}}, %[[TILE]]
// CHECK: %[[INIT:.*]] = vector.transfer_read
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK-NOT: linalg.fill
// CHECK: return %[[C]]
func.func @init_in_tile(%a: memref<12x16xf32>, %b: memref<16x32xf32>) -> memref<12x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<12x32xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<12x32xf32>)
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x16xf32>, memref<16x32xf32>) outs(%c : memref<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %c : memref<12x32xf32>
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// A bias broadcast initializes the accumulator the same way: each tile
// broadcasts its [nr] slice of the bias to its rows.

// CHECK-LABEL: func.func @bias_in_tile
// CHECK-SAME: (%[[A:.*]]: memref<12x16xf32>, %[[B:.*]]: memref<16x32xf32>, %[[BIAS:.*]]: memref<32xf32>)
// CHECK-NOT: linalg.broadcast
// CHECK: scf.for %[[J:.*]] =
// CHECK: %[[SLICE:.*]] = memref.subview %[[BIAS]][%[[J]]] [16] [1]
// CHECK: scf.for %[[I:.*]] =
// CHECK: %[[TILE:.*]] = memref.subview %{{.*}}[%[[I]], %[[J]]] [6, 16] [1, 1]
// CHECK: %[[ROWS:.*]] = vector.transfer_read %[[SLICE]]{{.*}} : memref<16xf32, {{.*}}>, vector<6x16xf32>
// CHECK: vector.transfer_write %[[ROWS]], %[[TILE]]
// CHECK: scf.for
func.func @bias_in_tile(%a: memref<12x16xf32>, %b: memref<16x32xf32>, %bias: memref<32xf32>) -> memref<12x32xf32> {
  %c = memref.alloc() : memref<12x32xf32>
  linalg.broadcast ins(%bias : memref<32xf32>) outs(%c : memref<12x32xf32>) dimensions = [0]
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x16xf32>, memref<16x32xf32>) outs(%c : memref<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %c : memref<12x32xf32>
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// @negative_init_input_written: the bias is overwritten between its
// broadcast and the product, so the broadcast must run where it is: it
// stays a pass of its own.

// CHECK-LABEL: func.func @negative_init_input_written
// CHECK-SAME: %[[BIAS:[^:]*]]: memref<32xf32>)
// CHECK: vector.transfer_read {{.*}} : memref<32xf32, {{.*}}>, vector<2x32xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[BIAS]]
// CHECK: scf.for
func.func @negative_init_input_written(%a: memref<12x16xf32>, %b: memref<16x32xf32>, %bias: memref<32xf32>) -> memref<12x32xf32> {
  %one = arith.constant 1.0 : f32
  %c = memref.alloc() : memref<12x32xf32>
  linalg.broadcast ins(%bias : memref<32xf32>) outs(%c : memref<12x32xf32>) dimensions = [0]
  linalg.fill ins(%one : f32) outs(%bias : memref<32xf32>)
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x16xf32>, memref<16x32xf32>) outs(%c : memref<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %c : memref<12x32xf32>
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// @negative_init_blocked_k: with K blocked (by 256, for 16-column tiles),
// every block but the first
// accumulates into what the one before left, so the fill stays a pass of
// its own.

// CHECK-LABEL: func.func @negative_init_blocked_k
// CHECK: vector.transfer_write %{{.*}} : vector<2x32xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c256
func.func @negative_init_blocked_k(%a: memref<12x512xf32>, %b: memref<512x32xf32>) -> memref<12x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<12x32xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<12x32xf32>)
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x512xf32>, memref<512x32xf32>) outs(%c : memref<12x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %c : memref<12x32xf32>
}

// -----

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// @negative_pack_panels_value: `pack_panels` is a unit attribute.
func.func @negative_pack_panels_value(%a: memref<16x8xf32>, %b: memref<8x32xf32>, %c: memref<16x32xf32>) {
  // expected-error @+1 {{expects 'nnc.cpu.tiles' 'pack_panels' to be a unit attribute, on matrix products only}}
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x8xf32>, memref<8x32xf32>) outs(%c : memref<16x32xf32>)
      attrs = {nnc.cpu.tiles = {register = array<i64: 8, 16>, pack_panels = 1 : i64, threads = 1 : i64}} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
