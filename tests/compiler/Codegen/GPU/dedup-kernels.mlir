// RUN: nnc-opt %s -nnc-gpu-dedup-kernels | FileCheck %s

// @b is @a up to SSA names: its launch goes to @a and it goes. @c differs
// in one constant, @d in its known block size: both stay.
// CHECK-LABEL: func.func @step
// CHECK-NEXT: arith.constant
// CHECK-NEXT: gpu.launch_func @kernels::@a
// CHECK-NEXT: gpu.launch_func @kernels::@a
// CHECK-NEXT: gpu.launch_func @kernels::@c
// CHECK-NEXT: gpu.launch_func @kernels::@d
// CHECK: gpu.module @kernels
// CHECK: gpu.func @a
// CHECK-NOT: gpu.func @b
// CHECK: gpu.func @c
// CHECK: gpu.func @d
module attributes {gpu.container_module} {
  func.func @step(%m: memref<64xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@a blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<64xf32>)
    gpu.launch_func @kernels::@b blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<64xf32>)
    gpu.launch_func @kernels::@c blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<64xf32>)
    gpu.launch_func @kernels::@d blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<64xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @a(%arg0: memref<64xf32>) kernel attributes {known_block_size = array<i32: 1, 1, 1>} {
      %c0 = arith.constant 0 : index
      %v = memref.load %arg0[%c0] : memref<64xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %arg0[%c0] : memref<64xf32>
      gpu.return
    }
    gpu.func @b(%x: memref<64xf32>) kernel attributes {known_block_size = array<i32: 1, 1, 1>} {
      %zero = arith.constant 0 : index
      %a = memref.load %x[%zero] : memref<64xf32>
      %b = arith.addf %a, %a : f32
      memref.store %b, %x[%zero] : memref<64xf32>
      gpu.return
    }
    gpu.func @c(%arg0: memref<64xf32>) kernel attributes {known_block_size = array<i32: 1, 1, 1>} {
      %c1 = arith.constant 1 : index
      %v = memref.load %arg0[%c1] : memref<64xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %arg0[%c1] : memref<64xf32>
      gpu.return
    }
    gpu.func @d(%arg0: memref<64xf32>) kernel attributes {known_block_size = array<i32: 2, 1, 1>} {
      %c0 = arith.constant 0 : index
      %v = memref.load %arg0[%c0] : memref<64xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %arg0[%c0] : memref<64xf32>
      gpu.return
    }
  }
}
