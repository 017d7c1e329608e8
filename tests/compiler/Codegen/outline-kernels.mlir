// RUN: nnc-opt %s --split-input-file --nnc-outline-kernels | FileCheck %s

// Two layers with the same loops on buffers of the same types call one
// kernel; a layer of another shape gets its own. The constants the loops
// use are cloned into the kernel, the buffers are its arguments: distinct
// buffers of the step, so `llvm.noalias`.

// CHECK-LABEL: func.func @two_layers_one_shape
// CHECK-SAME: (%[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<8xf32>, %[[C:.*]]: memref<8xf32>, %[[D:.*]]: memref<16xf32>)
// CHECK-NEXT: call @[[K0:nnc_kernel_[0-9]+]](%[[A]], %[[B]]) : (memref<8xf32>, memref<8xf32>) -> ()
// CHECK-NEXT: call @[[K0]](%[[B]], %[[C]]) : (memref<8xf32>, memref<8xf32>) -> ()
// CHECK-NEXT: call @[[K1:nnc_kernel_[0-9]+]](%[[C]], %[[D]]) : (memref<8xf32>, memref<16xf32>) -> ()
// CHECK-NEXT: return
// CHECK: func.func private @[[K0]](%[[X:[^:]*]]: memref<8xf32> {llvm.noalias}, %[[Y:[^:]*]]: memref<8xf32> {llvm.noalias})
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C8]]
// CHECK: memref.load %[[X]]
// CHECK: memref.store %{{.*}}, %[[Y]]
// CHECK: func.func private @[[K1]]
// CHECK-SAME: (%{{[^:]*}}: memref<8xf32> {llvm.noalias}, %{{[^:]*}}: memref<16xf32> {llvm.noalias})
// CHECK-NOT: func.func
func.func @two_layers_one_shape(%a: memref<8xf32>, %b: memref<8xf32>,
                                %c: memref<8xf32>, %d: memref<16xf32>)
    attributes {nn.step = "train"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %b[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %b[%i] : memref<8xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %c[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %c[%i] : memref<8xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %d[%i] : memref<16xf32>
  }
  return
}

// -----

// A different constant is a different kernel.

// CHECK-LABEL: func.func @other_constant
// CHECK-NEXT: call @[[K0:nnc_kernel_[0-9]+]](
// CHECK-NEXT: call @[[K1:nnc_kernel_[0-9]+]](
// CHECK: func.func private @[[K0]]
// CHECK: arith.constant 2.000000e+00 : f32
// CHECK: func.func private @[[K1]]
// CHECK: arith.constant 3.000000e+00 : f32
func.func @other_constant(%a: memref<8xf32>, %b: memref<8xf32>)
    attributes {nn.step = "train"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  %three = arith.constant 3.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %b[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    %y = arith.mulf %x, %three : f32
    memref.store %y, %b[%i] : memref<8xf32>
  }
  return
}

// -----

// A layer that reads and writes the same buffer is not the kernel of one
// that reads and writes two: the buffer is one argument.

// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<8xf32>)
// CHECK-NEXT: call @[[K0:nnc_kernel_[0-9]+]](%[[A]], %[[B]]) : (memref<8xf32>, memref<8xf32>) -> ()
// CHECK-NEXT: call @[[K1:nnc_kernel_[0-9]+]](%[[A]]) : (memref<8xf32>) -> ()
func.func @in_place(%a: memref<8xf32>, %b: memref<8xf32>)
    attributes {nn.step = "train"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %b[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %a[%i] : memref<8xf32>
  }
  return
}

// -----

// A loop that carries a scalar returns it from its kernel; the scalar code
// between the nests stays in the step, and a value it computes is an
// argument of the kernel that uses it.

// CHECK-LABEL: func.func @carried
// CHECK: %[[SUM:.*]] = call @[[K0:nnc_kernel_[0-9]+]](%{{.*}}) : (memref<8xf32>) -> f32
// CHECK-NEXT: %[[S:.*]] = arith.mulf %[[SUM]], %[[SUM]] : f32
// CHECK-NEXT: call @[[K1:nnc_kernel_[0-9]+]](%{{.*}}, %[[S]]) : (memref<8xf32>, f32) -> ()
// CHECK: func.func private @[[K0]](%{{[^:]*}}: memref<8xf32> {llvm.noalias}) -> f32
// CHECK: %[[R:.*]] = scf.for
// CHECK: return %[[R]] : f32
func.func @carried(%a: memref<8xf32>) attributes {nn.step = "train"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> f32 {
    %x = memref.load %a[%i] : memref<8xf32>
    %next = arith.addf %acc, %x : f32
    scf.yield %next : f32
  }
  %s = arith.mulf %sum, %sum : f32
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    %y = arith.mulf %x, %s : f32
    memref.store %y, %a[%i] : memref<8xf32>
  }
  return
}

// -----

// Functions that are not steps, and ops whose results are buffers, stay.

// CHECK-LABEL: func.func @negative_not_a_step
// CHECK-NEXT: arith.constant
// CHECK: scf.for
// CHECK-NOT: call
func.func @negative_not_a_step(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i] : memref<8xf32>
    memref.store %x, %a[%i] : memref<8xf32>
  }
  return
}

// CHECK-LABEL: func.func @negative_buffer_result
// CHECK: scf.if
// CHECK-NOT: call
func.func @negative_buffer_result(%a: memref<8xf32>, %b: memref<8xf32>,
                                  %p: i1) -> memref<8xf32>
    attributes {nn.step = "eval"} {
  %m = scf.if %p -> memref<8xf32> {
    scf.yield %a : memref<8xf32>
  } else {
    scf.yield %b : memref<8xf32>
  }
  return %m : memref<8xf32>
}

// -----

// Two views of one buffer may overlap: neither is `noalias`, while the
// third argument, another buffer, is. A kernel shared by two calls is
// `noalias` only where both calls allow it.

// CHECK-LABEL: func.func @views_of_one_buffer
// CHECK: call @[[K:nnc_kernel_[0-9]+]](
// CHECK: call @[[K]](
// CHECK: func.func private @[[K]](%{{[^:]*}}: memref<4xf32, strided<[1]>>, %{{[^:]*}}: memref<4xf32, strided<[1], offset: ?>>, %{{[^:]*}}: memref<4xf32> {llvm.noalias})
func.func @views_of_one_buffer(%a: memref<8xf32>, %b: memref<8xf32>, %c: memref<4xf32>, %d: memref<4xf32>)
    attributes {nn.step = "train"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %lo = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %hi = memref.subview %a[%c4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: ?>>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %lo[%i] : memref<4xf32, strided<[1]>>
    %y = memref.load %hi[%i] : memref<4xf32, strided<[1], offset: ?>>
    %z = arith.addf %x, %y : f32
    memref.store %z, %c[%i] : memref<4xf32>
  }
  %blo = memref.subview %b[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %c2 = arith.constant 2 : index
  %bhi = memref.subview %d[%c0] [4] [1] : memref<4xf32> to memref<4xf32, strided<[1], offset: ?>>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %blo[%i] : memref<4xf32, strided<[1]>>
    %y = memref.load %bhi[%i] : memref<4xf32, strided<[1], offset: ?>>
    %z = arith.addf %x, %y : f32
    memref.store %z, %c[%i] : memref<4xf32>
  }
  return
}
