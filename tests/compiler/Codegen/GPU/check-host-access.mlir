// RUN: nnc-opt %s -nnc-gpu-check-host-access -split-input-file -verify-diagnostics | FileCheck %s

// Host code that only computes views and launches kernels is fine.
// CHECK-LABEL: func.func @views_and_kernels
// CHECK: memref.subview
// CHECK: gpu.launch
func.func @views_and_kernels(%a: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %v = memref.subview %a[32] [32] [1] : memref<64xf32> to memref<32xf32, strided<[1], offset: 32>>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %e = memref.load %v[%tx] : memref<32xf32, strided<[1], offset: 32>>
    memref.store %e, %a[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @negative_host_load(%a: memref<f32>) -> f32 {
  // expected-error @+1 {{'memref.load' op reads memory on the host, where every buffer of a GPU step is device memory; it must run in a kernel}}
  %v = memref.load %a[] : memref<f32>
  return %v : f32
}

// -----

func.func @negative_host_loop(%a: memref<8xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    // expected-error @+1 {{'memref.store' op writes memory on the host}}
    memref.store %x, %a[%i] : memref<8xf32>
  }
  return
}

// -----

func.func @negative_host_alloc() {
  // expected-error @+1 {{'memref.alloc' op allocates or frees memory on the host}}
  %a = memref.alloc() : memref<8xf32>
  return
}

// -----

func.func private @opaque(memref<8xf32>)

func.func @negative_host_call(%a: memref<8xf32>) {
  // expected-error @+1 {{'func.call' op has unknown memory effects on the host}}
  func.call @opaque(%a) : (memref<8xf32>) -> ()
  return
}
