// RUN: nnc-opt %s -nnc-gpu-lower-launches="symbol-prefix=_nnc_m_gpu" -split-input-file -verify-diagnostics | FileCheck %s

// The binary becomes an external constant with a trailing NUL; each launch
// a call to nnc_gpu_launch on the step's new last argument, the context,
// with kernel indices in order of first launch and the operands in stack
// slots.
// CHECK: module attributes {nnc.gpu.image_bytes = 6 : i64, nnc.gpu.kernels = ["k0", "k1"]}
// CHECK-LABEL: llvm.func @step
// CHECK-SAME: (%[[X:.*]]: !llvm.ptr, %[[N:.*]]: i64, %[[CTX:.*]]: !llvm.ptr)
// CHECK: llvm.store %[[X]], %[[SLOT0:.*]] : !llvm.ptr, !llvm.ptr
// CHECK: %[[F0:.*]] = llvm.getelementptr %[[PARAMS:.*]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<2 x ptr>
// CHECK: llvm.store %[[SLOT0]], %[[F0]]
// CHECK: llvm.store %[[N]], %[[SLOT1:.*]] : i64, !llvm.ptr
// CHECK: %[[F1:.*]] = llvm.getelementptr %[[PARAMS]][0, 1]
// CHECK: llvm.store %[[SLOT1]], %[[F1]]
// CHECK: %[[S0:.*]] = llvm.mlir.constant(0 : i32)
// CHECK-NEXT: %[[I0:.*]] = llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.call @nnc_gpu_launch(%[[CTX]], %[[I0]], {{.*}}, %[[S0]], %[[PARAMS]])
// CHECK: %[[I1:.*]] = llvm.mlir.constant(1 : i32)
// CHECK-NEXT: llvm.call @nnc_gpu_launch(%[[CTX]], %[[I1]],
// CHECK: llvm.mlir.constant(0 : i32)
// CHECK-NEXT: %[[I2:.*]] = llvm.mlir.constant(0 : i32)
// CHECK-NEXT: llvm.call @nnc_gpu_launch(%[[CTX]], %[[I2]],
// CHECK-NOT: gpu.
// CHECK-DAG: llvm.mlir.global external constant @_nnc_m_gpu_image("PTX\0Ax\00") {addr_space = 0 : i32, alignment = 16 : i64}
// CHECK-DAG: llvm.func @nnc_gpu_launch(!llvm.ptr, i32, i64, i64, i64, i64, i64, i64, i32, !llvm.ptr)
module attributes {gpu.container_module} {
  llvm.func @step(%x: !llvm.ptr, %n: i64) {
    %c1 = llvm.mlir.constant(1 : i64) : i64
    %c64 = llvm.mlir.constant(64 : i64) : i64
    gpu.launch_func @nnc_kernels::@k0 blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) : i64 args(%x : !llvm.ptr, %n : i64)
    gpu.launch_func @nnc_kernels::@k1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) : i64 args(%x : !llvm.ptr)
    gpu.launch_func @nnc_kernels::@k0 blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) : i64 args(%x : !llvm.ptr, %n : i64)
    llvm.return
  }
  gpu.binary @nnc_kernels [#gpu.object<#nvvm.target<chip = "sm_90">, "PTX\nx">]
}

// -----

module attributes {gpu.container_module} {
  // expected-error @+1 {{launches kernels and is called within the module; only entry points may launch}}
  llvm.func @helper(%x: !llvm.ptr) {
    %c1 = llvm.mlir.constant(1 : i64) : i64
    gpu.launch_func @nnc_kernels::@k0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) : i64 args(%x : !llvm.ptr)
    llvm.return
  }
  llvm.func @step(%x: !llvm.ptr) {
    llvm.call @helper(%x) : (!llvm.ptr) -> ()
    llvm.return
  }
  gpu.binary @nnc_kernels [#gpu.object<#nvvm.target<chip = "sm_90">, "PTX">]
}

// -----

module attributes {gpu.container_module} {
  // expected-error @+1 {{expects kernels serialized by gpu-module-to-binary}}
  gpu.module @nnc_kernels {
  }
}

// -----

module attributes {gpu.container_module} {
  llvm.func @step(%x: !llvm.ptr) {
    %c1 = llvm.mlir.constant(1 : i64) : i64
    // expected-error @+1 {{expects a synchronous launch without clusters: nnc orders kernels on its one stream}}
    %t = gpu.launch_func async @nnc_kernels::@k0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) : i64 args(%x : !llvm.ptr)
    llvm.return
  }
  gpu.binary @nnc_kernels [#gpu.object<#nvvm.target<chip = "sm_90">, "PTX">]
}

// -----

module attributes {gpu.container_module} {
  gpu.binary @a [#gpu.object<#nvvm.target<chip = "sm_90">, "PTX">]
  // expected-error @+1 {{expects one kernel binary per module}}
  gpu.binary @b [#gpu.object<#nvvm.target<chip = "sm_90">, "PTX">]
}
