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
