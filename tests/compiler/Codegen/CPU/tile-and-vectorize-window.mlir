// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize --split-input-file | FileCheck %s

// A window contraction (a direct convolution, as convert-nn-to-linalg writes
// it): out[q, o] += w[i, j, c, o] * flat[q + 5 i + j + 19, c]. Tiled to a
// 6x16 register tile (6 positions, broadcast from flat's rows at the shifted
// row, times 16 output channels): q tiles, o tiles, then i, j and c as one K
// loop. The fill that initializes the accumulator moves into the tile, and
// the accumulator is carried through all three K loops.

#w = affine_map<(q, o, i, j, c) -> (i, j, c, o)>
#x = affine_map<(q, o, i, j, c) -> (q + i * 5 + j + 19, c)>
#out = affine_map<(q, o, i, j, c) -> (q, o)>

// CHECK-LABEL: func.func @window
// CHECK-SAME: (%[[W:.*]]: memref<3x3x2x16xf32>, %[[FLAT:.*]]: memref<100x2xf32>)
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK-DAG: %[[C19:.*]] = arith.constant 19 : index
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<48x16xf32>
// CHECK-NEXT: scf.for %[[Q:.*]] = %{{.*}} to %{{.*}} step %[[C6]] {
// CHECK-NEXT: scf.for %[[O:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[TILE:.*]] = memref.subview %[[OUT]][%[[Q]], %[[O]]] [6, 16] [1, 1]
// CHECK: vector.transfer_write %{{.*}}, %[[TILE]]
// CHECK: %[[ACC:.*]] = scf.for %[[I:.*]] = {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<6x16xf32>) {
// CHECK: arith.muli %[[I]], %[[C5]]
// CHECK: scf.for %[[J:.*]] = {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<6x16xf32>) {
// CHECK: %[[ROW:.*]] = arith.addi %[[Q]], %{{.*}}
// CHECK: scf.for %[[C:.*]] = {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<6x16xf32>) {
// CHECK-DAG: memref.subview %[[FLAT]][%[[ROW]], %[[C]]] [6, 1]
// CHECK-DAG: memref.subview %[[W]][%[[I]], %[[J]], %[[C]], %[[O]]] [1, 1, 1, 16]
// CHECK-COUNT-6: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: vector.transfer_write %[[ACC]], %{{.*}} : vector<6x16xf32>
func.func @window(%w: memref<3x3x2x16xf32>, %flat: memref<100x2xf32>) -> memref<48x16xf32> {
  %cst = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<48x16xf32>
  linalg.fill ins(%cst : f32) outs(%out : memref<48x16xf32>)
  linalg.generic {indexing_maps = [#w, #x, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%w, %flat : memref<3x3x2x16xf32>, memref<100x2xf32>) outs(%out : memref<48x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %out : memref<48x16xf32>
}

// -----

// The fill stays when something reads the buffer between it and the
// contraction, and the accumulator starts from memory.
#w = affine_map<(q, o, i, j, c) -> (i, j, c, o)>
#x = affine_map<(q, o, i, j, c) -> (q + i * 5 + j + 19, c)>
#out = affine_map<(q, o, i, j, c) -> (q, o)>

// CHECK-LABEL: func.func @window_init_read
// CHECK: memref.alloc()
// CHECK-NEXT: scf.for
// CHECK: vector.transfer_write %{{.*}} : vector<4x16xf32>, memref<4x16xf32, {{.*}}>
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} vector<4x16xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[TILE:.*]] = memref.subview
// CHECK-NEXT: vector.transfer_read %[[TILE]]{{.*}} vector<6x16xf32>
func.func @window_init_read(%w: memref<3x3x2x16xf32>, %flat: memref<100x2xf32>, %seen: memref<48x16xf32>) -> memref<48x16xf32> {
  %cst = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<48x16xf32>
  linalg.fill ins(%cst : f32) outs(%out : memref<48x16xf32>)
  memref.copy %out, %seen : memref<48x16xf32> to memref<48x16xf32>
  linalg.generic {indexing_maps = [#w, #x, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%w, %flat : memref<3x3x2x16xf32>, memref<100x2xf32>) outs(%out : memref<48x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %out : memref<48x16xf32>
}

// -----

// Not a product (max instead of multiply-add): left alone.
#w = affine_map<(q, o, i, j, c) -> (i, j, c, o)>
#x = affine_map<(q, o, i, j, c) -> (q + i * 5 + j + 19, c)>
#out = affine_map<(q, o, i, j, c) -> (q, o)>

// CHECK-LABEL: func.func @negative_window_max
// CHECK: linalg.generic
// CHECK: arith.maximumf
func.func @negative_window_max(%w: memref<3x3x2x16xf32>, %flat: memref<100x2xf32>, %out: memref<48x16xf32>) {
  linalg.generic {indexing_maps = [#w, #x, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%w, %flat : memref<3x3x2x16xf32>, memref<100x2xf32>) outs(%out : memref<48x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.addf %a, %b : f32
    %s = arith.maximumf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The weight gradient of a direct convolution: dW[i, j, c, o] += flat[q + 5
// i + j + 19, c] * dy[q, o], loops (i, j, c, o, q). Tiled like one product
// over all kernel offsets: q blocked by 256 (the [256, 16] panel of dy stays
// in cache), then o tiles, i, j and c tiles around a 4x16 register tile
// (c = 8 channels, two tiles, read as a row of flat) whose accumulator is
// carried through the q loop.
#flat = affine_map<(i, j, c, o, q) -> (q + i * 5 + j + 19, c)>
#dy = affine_map<(i, j, c, o, q) -> (q, o)>
#dw = affine_map<(i, j, c, o, q) -> (i, j, c, o)>

// CHECK-LABEL: func.func @window_weight_gradient
// CHECK-SAME: (%[[FLAT:.*]]: memref<600x8xf32>, %[[DY:.*]]: memref<512x16xf32>)
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C512:.*]] = arith.constant 512 : index
// CHECK: %[[DW:.*]] = memref.alloc() : memref<3x3x8x16xf32>
// CHECK: scf.for %[[KB:.*]] = %{{.*}} to %[[C512]] step %[[C256]] {
// CHECK: scf.for %[[O:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[TILE:.*]] = memref.subview %[[DW]][%[[I]], %[[J]], %[[C]], %[[O]]] [1, 1, 4, 16]
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[TILE]]{{.*}} vector<4x16xf32>
// CHECK: %[[ACC:.*]] = scf.for %[[K:.*]] = %[[KB]] to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<4x16xf32>) {
// CHECK-DAG: memref.subview %[[FLAT]][%{{.*}}, %[[C]]] [1, 4]
// CHECK-DAG: memref.subview %[[DY]][%[[K]], %[[O]]] [1, 16]
// CHECK-COUNT-4: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: vector.transfer_write %[[ACC]], %[[TILE]]
func.func @window_weight_gradient(%flat: memref<600x8xf32>, %dy: memref<512x16xf32>) -> memref<3x3x8x16xf32> {
  %cst = arith.constant 0.0 : f32
  %dw = memref.alloc() : memref<3x3x8x16xf32>
  linalg.fill ins(%cst : f32) outs(%dw : memref<3x3x8x16xf32>)
  linalg.generic {indexing_maps = [#flat, #dy, #dw], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%flat, %dy : memref<600x8xf32>, memref<512x16xf32>) outs(%dw : memref<3x3x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %dw : memref<3x3x8x16xf32>
}

// -----

// A window contraction over the valid output positions only, loops (n, y,
// x, o, i, j, c): out[n, y, x, o] += w[i, j, c, o] * flat[36 n + 6 y + x +
// 6 i + j + 29, c]. The position loops n and y step by one, x by the 4-row
// register tile (which divides the 4-wide row), so a tile never covers a
// gap position; the shifted row is 36 n + 6 y + x plus the offset's shift.
#w = affine_map<(n, y, x, o, i, j, c) -> (i, j, c, o)>
#x = affine_map<(n, y, x, o, i, j, c) -> (n * 36 + y * 6 + x + i * 6 + j + 29, c)>
#out = affine_map<(n, y, x, o, i, j, c) -> (n, y, x, o)>

// CHECK-LABEL: func.func @window_valid_positions
// CHECK-SAME: (%[[W:.*]]: memref<3x3x2x16xf32>, %[[FLAT:.*]]: memref<144x2xf32>)
// CHECK-DAG: %[[C36:.*]] = arith.constant 36 : index
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<2x4x4x16xf32>
// CHECK-NEXT: scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for %[[Y:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for %[[X:.*]] = %{{.*}} to %{{.*}} step %[[C4]] {
// CHECK: scf.for %[[O:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[TILE:.*]] = memref.subview %[[OUT]][%[[N]], %[[Y]], %[[X]], %[[O]]] [1, 1, 4, 16] [1, 1, 1, 1]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<4x16xf32>) {
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<4x16xf32>) {
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<4x16xf32>) {
// CHECK: memref.subview %[[FLAT]][%{{.*}}, %{{.*}}] [4, 1]
// CHECK-COUNT-4: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: vector.transfer_write %{{.*}}, %[[TILE]]
func.func @window_valid_positions(%w: memref<3x3x2x16xf32>, %flat: memref<144x2xf32>) -> memref<2x4x4x16xf32> {
  %cst = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<2x4x4x16xf32>
  linalg.fill ins(%cst : f32) outs(%out : memref<2x4x4x16xf32>)
  linalg.generic {indexing_maps = [#w, #x, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%w, %flat : memref<3x3x2x16xf32>, memref<144x2xf32>) outs(%out : memref<2x4x4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %out : memref<2x4x4x16xf32>
}

// -----

// The weight gradient over the valid positions, loops (i, j, c, o, n, y,
// x): dW[i, j, c, o] += flat[36 n + 6 y + x + 6 i + j + 29, c] * dy[n, y,
// x, o]. Its K blocks are lines of positions (here 2 lines, half of an
// image's 4 rows: the plan's k_block): the block loops over n (one image a
// block) and y (two rows) outermost, then o, i, j and c tiles, then the
// block's rows and the x loop innermost, the accumulator carried through
// both.
#flat = affine_map<(i, j, c, o, n, y, x) -> (n * 36 + y * 6 + x + i * 6 + j + 29, c)>
#dy = affine_map<(i, j, c, o, n, y, x) -> (n, y, x, o)>
#dw = affine_map<(i, j, c, o, n, y, x) -> (i, j, c, o)>

// CHECK-LABEL: func.func @window_weight_gradient_valid_positions
// CHECK-SAME: (%[[FLAT:.*]]: memref<144x8xf32>, %[[DY:.*]]: memref<2x4x4x16xf32>)
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[DW:.*]] = memref.alloc() : memref<3x3x8x16xf32>
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for %[[YB:.*]] = %{{.*}} to %{{.*}} step %[[C2]] {
// CHECK: scf.for %[[O:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[TILE:.*]] = memref.subview %[[DW]][%{{.*}}, %{{.*}}, %{{.*}}, %[[O]]] [1, 1, 4, 16]
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[TILE]]{{.*}} vector<4x16xf32>
// CHECK: scf.for %[[Y:.*]] = %[[YB]] to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<4x16xf32>) {
// CHECK: scf.for %[[X:.*]] = {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<4x16xf32>) {
// CHECK-DAG: memref.subview %[[DY]][%[[N]], %[[Y]], %[[X]], %[[O]]] [1, 1, 1, 16]
// CHECK-COUNT-4: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: vector.transfer_write %{{.*}}, %[[TILE]]
func.func @window_weight_gradient_valid_positions(%flat: memref<144x8xf32>, %dy: memref<2x4x4x16xf32>) -> memref<3x3x8x16xf32> {
  %cst = arith.constant 0.0 : f32
  %dw = memref.alloc() : memref<3x3x8x16xf32>
  linalg.fill ins(%cst : f32) outs(%dw : memref<3x3x8x16xf32>)
  linalg.generic {indexing_maps = [#flat, #dy, #dw], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      {nnc.cpu.tiles = {register = array<i64: 4, 16>, k_block = 2 : i64, threads = 1 : i64}}
      ins(%flat, %dy : memref<144x8xf32>, memref<2x4x4x16xf32>) outs(%dw : memref<3x3x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %dw : memref<3x3x8x16xf32>
}
