// RUN: nnc-opt %s --split-input-file --nnc-cpu-tile-and-vectorize="lower-vectors=0 threads=2" -verify-diagnostics | FileCheck %s

// A product carrying a plan (`nnc.cpu.tiles`, as nnc-cpu-strategy records
// it) is tiled by that plan, not by the pass's own choice (6 x 16 here).

#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// CHECK-LABEL: func.func @planned
// CHECK: scf.forall (%{{.*}}) = (0) to (12) step (6)
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[NR:.*]] {
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[MR:.*]] {
// CHECK: vector.transfer_read {{.*}} : memref<2x8xf32, {{.*}}>, vector<2x8xf32>
// CHECK-NOT: vector<6x16xf32>
// CHECK: return
func.func @planned(%a: memref<12x8xf32>, %b: memref<8x32xf32>, %c: memref<12x32xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x8xf32>, memref<8x32xf32>) outs(%c : memref<12x32xf32>)
      attrs = {nnc.cpu.tiles = {register = array<i64: 2, 8>, split = "m", threads = 2 : i64}} {
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

// @negative_indivisible: a plan whose tile does not divide the product is
// rejected, with the product's sizes.
func.func @negative_indivisible(%a: memref<12x8xf32>, %b: memref<8x32xf32>, %c: memref<12x32xf32>) {
  // expected-error @+1 {{expects 'nnc.cpu.tiles' to divide the product (M = 12, N = 32) into equal thread slices and register tiles}}
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x8xf32>, memref<8x32xf32>) outs(%c : memref<12x32xf32>)
      attrs = {nnc.cpu.tiles = {register = array<i64: 5, 16>, threads = 2 : i64}} {
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

// @negative_malformed: a plan without a register tile.
func.func @negative_malformed(%a: memref<12x8xf32>, %b: memref<8x32xf32>, %c: memref<12x32xf32>) {
  // expected-error @+1 {{expects 'nnc.cpu.tiles' to hold a register tile `register = array<i64: mr, nr>` of positive sizes}}
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x8xf32>, memref<8x32xf32>) outs(%c : memref<12x32xf32>)
      attrs = {nnc.cpu.tiles = {k_block = 4 : i64}} {
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

// @negative_split: the split is of M or N.
func.func @negative_split(%a: memref<12x8xf32>, %b: memref<8x32xf32>, %c: memref<12x32xf32>) {
  // expected-error @+1 {{expects 'nnc.cpu.tiles' 'split' to be "m" or "n"}}
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x8xf32>, memref<8x32xf32>) outs(%c : memref<12x32xf32>)
      attrs = {nnc.cpu.tiles = {register = array<i64: 6, 16>, split = "k", threads = 2 : i64}} {
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

// @negative_other_threads: a plan for one thread, compiled for two.
func.func @negative_other_threads(%a: memref<12x8xf32>, %b: memref<8x32xf32>, %c: memref<12x32xf32>) {
  // expected-error @+1 {{expects a plan ('nnc.cpu.tiles') for 2 thread(s), the threads this pass compiles for, got one for 1; plan with nnc-cpu-strategy{threads=2}}}
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x8xf32>, memref<8x32xf32>) outs(%c : memref<12x32xf32>)
      attrs = {nnc.cpu.tiles = {register = array<i64: 6, 16>, threads = 1 : i64}} {
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

// A tail: the 2 rows past the last whole 6-row tile are split off and tiled
// with a 2-row tile.
// CHECK-LABEL: func.func @tail
// CHECK-SAME: (%{{.*}}: memref<14x8xf32>, %{{.*}}: memref<8x32xf32>, %[[C:[^:]*]]: memref<14x32xf32>)
// CHECK: %[[MAIN:.*]] = memref.subview %[[C]][0, 0] [12, 32] [1, 1]
// CHECK: vector.transfer_read {{.*}} : memref<6x16xf32, {{.*}}>, vector<6x16xf32>
// CHECK: %[[REST:.*]] = memref.subview %[[C]][12, 0] [2, 32] [1, 1]
// CHECK: vector.transfer_read {{.*}} : memref<2x16xf32, {{.*}}>, vector<2x16xf32>
// CHECK: return
func.func @tail(%a: memref<14x8xf32>, %b: memref<8x32xf32>, %c: memref<14x32xf32>) {
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<14x8xf32>, memref<8x32xf32>) outs(%c : memref<14x32xf32>)
      attrs = {nnc.cpu.tiles = {register = array<i64: 6, 16>, tail = 2 : i64, threads = 2 : i64}} {
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

// @negative_wrong_tail: the tail must be the rows the tile leaves over.
func.func @negative_wrong_tail(%a: memref<14x8xf32>, %b: memref<8x32xf32>, %c: memref<14x32xf32>) {
  // expected-error @+1 {{with 'tail' the rows left over}}
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<14x8xf32>, memref<8x32xf32>) outs(%c : memref<14x32xf32>)
      attrs = {nnc.cpu.tiles = {register = array<i64: 6, 16>, tail = 4 : i64, threads = 2 : i64}} {
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

// @negative_k_block_indivisible: a K block must divide K.
func.func @negative_k_block_indivisible(%a: memref<12x8xf32>, %b: memref<8x32xf32>, %c: memref<12x32xf32>) {
  // expected-error @+1 {{expects 'nnc.cpu.tiles' 'k_block' to be a positive divisor of K (8) that blocks whole inner position loops, and absent for direct convolutions}}
  linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<12x8xf32>, memref<8x32xf32>) outs(%c : memref<12x32xf32>)
      attrs = {nnc.cpu.tiles = {register = array<i64: 6, 16>, k_block = 3 : i64, threads = 2 : i64}} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// @negative_k_block_lines: the weight gradient over valid positions (2
// images of 6 rows of 4) has 12 lines; a block of 4 divides them, but not
// into whole rows of an image or whole images.
#flat = affine_map<(i, j, c, o, n, y, x) -> (n * 42 + y * 6 + x + i * 6 + j + 35, c)>
#dy = affine_map<(i, j, c, o, n, y, x) -> (n, y, x, o)>
#dw = affine_map<(i, j, c, o, n, y, x) -> (i, j, c, o)>
func.func @negative_k_block_lines(%flat: memref<168x8xf32>, %dy: memref<2x6x4x16xf32>, %dw: memref<3x3x8x16xf32>) {
  // expected-error @+1 {{expects 'nnc.cpu.tiles' 'k_block' to be a positive divisor of K (12) that blocks whole inner position loops}}
  linalg.generic {indexing_maps = [#flat, #dy, #dw], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%flat, %dy : memref<168x8xf32>, memref<2x6x4x16xf32>) outs(%dw : memref<3x3x8x16xf32>)
      attrs = {nnc.cpu.tiles = {register = array<i64: 4, 16>, k_block = 4 : i64, threads = 2 : i64}} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// @window_valid_positions_threads: over valid positions, the threads split
// the images (split = "m"): each takes one of the 2, whole rows in tiles
// of 4 positions.
#w = affine_map<(n, y, x, o, i, j, c) -> (i, j, c, o)>
#x = affine_map<(n, y, x, o, i, j, c) -> (n * 36 + y * 6 + x + i * 6 + j + 29, c)>
#out = affine_map<(n, y, x, o, i, j, c) -> (n, y, x, o)>
// CHECK-LABEL: func.func @window_valid_positions_threads
// CHECK: scf.forall (%[[T:.*]]) in (2) {
// CHECK: %[[N0:.*]] = arith.muli %[[T]], %{{.*}} : index
// CHECK: scf.for %[[N:.*]] = %[[N0]] to %{{.*}} step %{{.*}} {
// CHECK: scf.for {{.*}} {
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C4:.*]] {
func.func @window_valid_positions_threads(%w: memref<3x3x2x16xf32>, %flat: memref<144x2xf32>, %out: memref<2x4x4x16xf32>) {
  linalg.generic {indexing_maps = [#w, #x, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%w, %flat : memref<3x3x2x16xf32>, memref<144x2xf32>) outs(%out : memref<2x4x4x16xf32>)
      attrs = {nnc.cpu.tiles = {register = array<i64: 4, 16>, split = "m", threads = 2 : i64}} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
