// RUN: nnc-opt %s --nnc-cpu-tile-and-vectorize="lower-vectors=1 chunk=256" -split-input-file | FileCheck %s

// A stride-2 read (a pooling window's row) becomes one scalar load per
// element, gathered by vector.from_elements, not a strided transfer that
// vector-to-scf would turn into a loop.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @strided_read
// CHECK: %[[VIEW:.*]] = memref.subview {{.*}} : memref<4x8xf32, strided<[16, 2]>> to memref<4x8xf32, strided<[16, 2], offset: ?>>
// CHECK-COUNT-32: memref.load %[[VIEW]]
// CHECK: %[[X:.*]] = vector.from_elements {{.*}} : vector<4x8xf32>
// CHECK-NOT: vector.transfer_read %[[VIEW]]
// CHECK: arith.maximumf %[[X]]
func.func @strided_read(%x: memref<4x16xf32>, %y: memref<4x8xf32>) {
  %s = memref.subview %x[0, 0] [4, 8] [1, 2] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 2]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : memref<4x8xf32, strided<[16, 2]>>) outs(%y : memref<4x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.maximumf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A strided write becomes one scalar store per element.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @strided_write
// CHECK: %[[VIEW:.*]] = memref.subview {{.*}} : memref<4x8xf32, strided<[16, 2]>> to memref<4x8xf32, strided<[16, 2], offset: ?>>
// CHECK: %[[Y:.*]] = arith.negf %{{.*}} : vector<4x8xf32>
// CHECK: %[[E:.*]] = vector.extract %[[Y]][0, 0] : f32 from vector<4x8xf32>
// CHECK-NEXT: memref.store %[[E]], %[[VIEW]]
// CHECK-COUNT-31: memref.store %{{.*}}, %[[VIEW]]
// CHECK-NOT: vector.transfer_write
func.func @strided_write(%x: memref<4x8xf32>, %y: memref<4x16xf32>) {
  %s = memref.subview %y[0, 0] [4, 8] [1, 2] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 2]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x8xf32>) outs(%s : memref<4x8xf32, strided<[16, 2]>>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.negf %a : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Rows contiguous in memory stay vector transfers, whatever the row stride.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @negative_contiguous_rows
// CHECK-NOT: memref.load
// CHECK: vector.transfer_read {{.*}} : memref<4x8xf32, strided<[16, 1], offset: ?>>, vector<4x8xf32>
// CHECK-NOT: memref.store
func.func @negative_contiguous_rows(%x: memref<4x16xf32>, %y: memref<4x8xf32>) {
  %s = memref.subview %x[0, 0] [4, 8] [1, 1] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 1]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : memref<4x8xf32, strided<[16, 1]>>) outs(%y : memref<4x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.maximumf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Past 64 elements (a 4x32 tile with chunk=256) a strided transfer is left
// to vector-to-scf.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @negative_large_strided
// CHECK-NOT: memref.load
// CHECK: vector.transfer_read {{.*}} : memref<4x32xf32, strided<[64, 2], offset: ?>>, vector<4x32xf32>
func.func @negative_large_strided(%x: memref<4x64xf32>, %y: memref<4x32xf32>) {
  %s = memref.subview %x[0, 0] [4, 32] [1, 2] : memref<4x64xf32> to memref<4x32xf32, strided<[64, 2]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : memref<4x32xf32, strided<[64, 2]>>) outs(%y : memref<4x32xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.maximumf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}
