// RUN: nnc-opt %s -nnc-gpu-sink-host-scalars -split-input-file -verify-diagnostics | FileCheck %s

// A scale computed on the host from a 0-d buffer (a norm) moves, load and
// arithmetic, into the kernel that uses it; the host copy goes. Constants
// move in too.
// CHECK-LABEL: func.func @clip_scale
// CHECK-NOT: memref.load
// CHECK: gpu.launch
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[NORM:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: %[[ROOT:.*]] = math.sqrt %[[NORM]]
// CHECK: %[[SCALE:.*]] = arith.divf %[[ONE]], %[[ROOT]]
// CHECK: %[[G:.*]] = memref.load %{{.*}}[%{{.*}}]
// CHECK: arith.mulf %[[G]], %[[SCALE]]
func.func @clip_scale(%norm: memref<f32>, %g: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %one = arith.constant 1.0 : f32
  %n = memref.load %norm[] : memref<f32>
  %r = math.sqrt %n : f32
  %scale = arith.divf %one, %r : f32
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %g[%tx] : memref<64xf32>
    %w = arith.mulf %v, %scale : f32
    memref.store %w, %g[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

// Scalars that only constants feed stay host values, passed as arguments.
// CHECK-LABEL: func.func @pure_host_scalar
// CHECK: %[[S:.*]] = arith.addf
// CHECK: gpu.launch
// CHECK: arith.mulf %{{.*}}, %[[S]]
func.func @pure_host_scalar(%g: memref<64xf32>, %a: f32) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %s = arith.addf %a, %a : f32
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %g[%tx] : memref<64xf32>
    %w = arith.mulf %v, %s : f32
    memref.store %w, %g[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @negative_written_between(%norm: memref<f32>, %g: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  // expected-error @+1 {{reads on the host a buffer that is written before the kernel using the value}}
  %n = memref.load %norm[] : memref<f32>
  // expected-note @+1 {{written here}}
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %zero = arith.constant 0.0 : f32
    memref.store %zero, %norm[] : memref<f32>
    gpu.terminator
  }
  // expected-note @+1 {{used by this kernel}}
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    memref.store %n, %g[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @negative_host_call(%g: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  // expected-error @+1 {{computes a value that a kernel uses, on the host with memory effects; it cannot move into the kernel}}
  %s = func.call @scale(%g) : (memref<64xf32>) -> f32
  // expected-note @+1 {{used by this kernel}}
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    memref.store %s, %g[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
func.func private @scale(memref<64xf32>) -> f32

// -----

func.func @negative_nested_kernel(%norm: memref<f32>, %g: memref<64xf32>, %p: i1) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %n = memref.load %norm[] : memref<f32>
  scf.if %p {
    // expected-error @+1 {{'gpu.launch' op is in a nested host region and uses a value that the host computes from buffer contents outside it}}
    gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
      memref.store %n, %g[%tx] : memref<64xf32>
      gpu.terminator
    }
  }
  return
}
