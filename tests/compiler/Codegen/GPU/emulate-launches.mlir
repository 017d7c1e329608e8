// RUN: nnc-opt %s -nnc-gpu-emulate-launches -cse -split-input-file -verify-diagnostics | FileCheck %s

// A launch becomes loops over its grid and block, z, y, x from the outside
// in; the body's ids and sizes become the loop variables and bounds.
// CHECK-LABEL: func.func @scale
// CHECK-SAME: (%[[A:.*]]: memref<64xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK: scf.for %[[BX:.*]] = %[[C0]] to %[[C2]] step %[[C1]]
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK: scf.for %[[TX:.*]] = %[[C0]] to %[[C32]] step %[[C1]]
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %[[C32]]
// CHECK: %[[I:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: memref.load %[[A]][%[[I]]]
// CHECK-NOT: gpu.
func.func @scale(%a: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %base = arith.muli %bx, %sx : index
    %i = arith.addi %base, %tx : index
    %v = memref.load %a[%i] : memref<64xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %a[%i] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @negative_barrier(%a: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{cannot be emulated by threads run one after another}}
    gpu.barrier
    gpu.terminator
  }
  return
}

// -----

func.func @negative_shared_memory(%a: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %bytes = arith.constant 256 : i32
  // expected-error @+1 {{expects a synchronous launch without clusters, shared memory or attributions to emulate on the host}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1)
             dynamic_shared_memory_size %bytes {
    gpu.terminator
  }
  return
}
