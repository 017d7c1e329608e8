// RUN: nnc-opt %s -nnc-gpu-distribute="threads-per-block=64" -canonicalize -split-input-file -verify-diagnostics | FileCheck %s

// An elementwise op: a thread per element, the innermost dimension fastest;
// 100 x 10 elements need 16 blocks of 64 and a guard.
// CHECK-LABEL: func.func @elementwise
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C16]], {{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C64]], {{.*}}) module(@nnc_kernels) function(@elementwise_0_generic)
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %{{.*}}
// CHECK: %[[ID:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[ID]], %{{.*}}
// CHECK: scf.if %[[IN]]
// CHECK: %[[J:.*]] = arith.remui %[[ID]], %{{.*}}
// CHECK: %[[I:.*]] = arith.divui %[[ID]], %{{.*}}
// CHECK: %[[X:.*]] = memref.load %{{.*}}[%[[I]], %[[J]]]
// CHECK: %[[E:.*]] = math.exp %[[X]]
// CHECK: memref.store %[[E]], %{{.*}}[%[[I]], %[[J]]]
// CHECK-NOT: linalg.
func.func @elementwise(%a: memref<100x10xf32>, %b: memref<100x10xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<100x10xf32>) outs(%b : memref<100x10xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A column sum, reduction loop outermost: the parallel column goes to the
// threads, 128 of them in 2 exact blocks (no guard), and each thread loops
// over the rows with its sum in a register, contracting adds.
// CHECK-LABEL: func.func @column_sum
// CHECK: gpu.launch
// CHECK-NOT: scf.if
// CHECK: %[[INIT:.*]] = memref.load %[[C:.*]][%[[COL:.*]]] : memref<128xf32>
// CHECK: %[[SUM:.*]] = scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]])
// CHECK-NEXT: %[[X:.*]] = memref.load %{{.*}}[%[[R]], %[[COL]]]
// CHECK-NEXT: %[[NEXT:.*]] = arith.addf %[[X]], %[[ACC]] fastmath<contract>
// CHECK-NEXT: scf.yield %[[NEXT]]
// CHECK: memref.store %[[SUM]], %[[C]][%[[COL]]]
func.func @column_sum(%a: memref<32x128xf32>, %c: memref<128xf32>) {
  linalg.reduce ins(%a : memref<32x128xf32>) outs(%c : memref<128xf32>) dimensions = [0]
    (%x: f32, %acc: f32) {
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }
  return
}

// -----

// A full reduction runs on one thread; a copy is an op like any other.
// CHECK-LABEL: func.func @sum_and_copy
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[C1]], %{{.*}} = %[[C1]], %{{.*}} = %[[C1]]) threads({{.*}}) in (%{{.*}} = %[[C1]], {{.*}}) {{.*}} function(@sum_and_copy_0_reduce)
// CHECK: %[[INIT:.*]] = memref.load %[[S:.*]][] : memref<f32>
// CHECK: %[[TOTAL:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK: scf.for
// CHECK: memref.store %[[TOTAL]], %[[S]][]
// CHECK: gpu.launch {{.*}} function(@sum_and_copy_1_copy)
func.func @sum_and_copy(%a: memref<8x8xf32>, %s: memref<f32>, %b: memref<8x8xf32>) {
  linalg.reduce ins(%a : memref<8x8xf32>) outs(%s : memref<f32>) dimensions = [0, 1]
    (%x: f32, %acc: f32) {
      %t = arith.addf %x, %acc : f32
      linalg.yield %t : f32
    }
  memref.copy %a, %b : memref<8x8xf32> to memref<8x8xf32>
  return
}

// -----

func.func @negative_dynamic(%a: memref<?xf32>, %b: memref<?xf32>) {
  // expected-error @+1 {{expects static loop ranges on the GPU}}
  linalg.copy ins(%a : memref<?xf32>) outs(%b : memref<?xf32>)
  return
}

// -----

func.func @negative_tensors(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expects buffers (run one-shot-bufferize first)}}
  %r = linalg.copy ins(%a : tensor<4xf32>) outs(%b : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A large full reduction (a gradient's sum of squares) is split: partials
// filled with 0, one thread per row reducing into its partial, then one
// thread summing the 64 partials into the result.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK: %[[P:.*]] = memref.alloc() : memref<64xf32>
// CHECK: gpu.launch {{.*}} function(@sum_of_squares_0_fill)
// CHECK: memref.store %{{.*}}, %[[P]]
// CHECK: gpu.launch {{.*}} function(@sum_of_squares_1_generic)
// CHECK: %[[INIT:.*]] = memref.load %[[P]][%[[ROW:.*]]]
// CHECK: %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: memref.store %[[SUM]], %[[P]][%[[ROW]]]
// CHECK: gpu.launch {{.*}} function(@sum_of_squares_2_generic)
// CHECK: %[[S0:.*]] = memref.load %[[S:.*]][] : memref<f32>
// CHECK: %[[TOTAL:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[S0]])
// CHECK: memref.load %[[P]]
// CHECK: memref.store %[[TOTAL]], %[[S]][]
func.func @sum_of_squares(%g: memref<64x32xf32>, %s: memref<f32>) {
  linalg.reduce ins(%g : memref<64x32xf32>) outs(%s : memref<f32>) dimensions = [0, 1]
    (%x: f32, %acc: f32) {
      %sq = arith.mulf %x, %x : f32
      %t = arith.addf %acc, %sq : f32
      linalg.yield %t : f32
    }
  return
}

// -----

// A matrix product: a thread per 4 x 4 block of outputs (8 x 8 outputs: 4
// threads), K outermost with the 16 accumulators in registers, one load of
// each of the 4 + 4 operand elements per step of K.
// CHECK-LABEL: func.func @product
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %[[C4]], {{.*}} function(@product_0_matmul)
// CHECK: %[[A:.*]] = memref.subview %{{.*}} [4, 16] [1, 1]
// CHECK: %[[B:.*]] = memref.subview %{{.*}} [16, 4] [1, 1]
// CHECK: %[[C:.*]] = memref.subview %{{.*}} [4, 4] [1, 1]
// CHECK-COUNT-16: memref.load %[[C]]
// CHECK: %[[SUMS:.*]]:16 = scf.for %[[K:.*]] = {{.*}} iter_args(
// CHECK-COUNT-4: memref.load %[[A]][%{{.*}}, %[[K]]]
// CHECK-NOT: memref.load
// CHECK: scf.yield
// CHECK-COUNT-16: memref.store %[[SUMS]]#{{[0-9]+}}, %[[C]]
func.func @product(%a: memref<8x16xf32>, %b: memref<16x8xf32>, %c: memref<8x8xf32>) {
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x8xf32>) outs(%c : memref<8x8xf32>)
  return
}

// -----

// A convolution reuses its image across output channels and its filter
// across the batch: a thread per 4 images x 4 channels of one output pixel
// (4 x 4 x 3 x 3 outputs: 9 threads), the reduction over (c, kh, kw) with
// the 16 accumulators in registers.
// CHECK-LABEL: func.func @conv
// CHECK: %[[C9:.*]] = arith.constant 9 : index
// CHECK: gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %[[C9]], {{.*}} function(@conv_0_conv_2d_nchw_fchw)
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-COUNT-16: memref.store
func.func @conv(%x: memref<4x2x5x5xf32>, %w: memref<4x2x3x3xf32>, %y: memref<4x4x3x3xf32>) {
  linalg.conv_2d_nchw_fchw ins(%x, %w : memref<4x2x5x5xf32>, memref<4x2x3x3xf32>) outs(%y : memref<4x4x3x3xf32>)
  return
}
