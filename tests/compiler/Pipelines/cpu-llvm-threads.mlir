// RUN: nnc-opt %s --nnc-train-step --nnc-linalg --nnc-cpu-linalg="threads=2" --nnc-cpu-llvm="threads=2" | FileCheck %s
// RUN: not nnc-opt %s --nnc-train-step --nnc-linalg --nnc-cpu-linalg --nnc-cpu-llvm="threads=2" 2>&1 | FileCheck %s --check-prefix=MISMATCH
// RUN: nnc-opt %s --nnc-train-step --nnc-linalg --nnc-cpu-linalg --nnc-cpu-llvm="threads=1" | FileCheck %s --check-prefix=SERIAL
// RUN: nnc-opt %s --nnc-train-step --nnc-linalg --nnc-cpu-linalg --nnc-cpu-llvm | FileCheck %s --check-prefix=SERIAL

// With threads=2 the dense layer's product (16x32 over 1024 inputs: 524288
// multiply-adds, large enough to be worth a fork and a join) is
// divided across threads: its scf.forall becomes an OpenMP worksharing loop
// in a parallel region of two threads, kept as `omp` ops around LLVM-dialect
// bodies (they become __kmpc_fork_call only on translation to LLVM IR). The
// region is in the product's kernel, which the steps call.
// With one thread there is no OpenMP at all. Both pipelines take the same
// thread count: products planned for one thread are not compiled for two.
// MISMATCH: error: expects a plan ('nnc.cpu.tiles') for 2 thread(s), the threads this pass compiles for, got one for 1; plan with nnc-cpu-strategy{threads=2}

// CHECK-LABEL: llvm.func @_nnc_m_train_step(
// CHECK-NOT: omp.
// CHECK: llvm.call @nnc_kernel_
// CHECK-NOT: omp.
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @_nnc_m_eval_step(
// CHECK-NOT: omp.
// CHECK: llvm.call @nnc_kernel_
// CHECK-NOT: omp.
// CHECK: llvm.return
// CHECK: llvm.func internal @nnc_kernel_
// CHECK-SAME: passthrough = ["noinline"]
// CHECK: %[[NT:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK: omp.parallel num_threads(%[[NT]] : i32) {
// CHECK-NEXT: omp.wsloop {
// CHECK-NEXT: omp.loop_nest (%{{.*}}) : i64 = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK: llvm.intr.fmuladd
// CHECK: omp.yield
// CHECK: omp.terminator
// CHECK: llvm.return

// SERIAL-NOT: omp.
// SERIAL-LABEL: llvm.func @_nnc_m_train_step(
// SERIAL-NOT: omp.
// SERIAL: llvm.return
// SERIAL-LABEL: llvm.func @_nnc_m_eval_step(
// SERIAL-NOT: omp.
// SERIAL: llvm.return
// SERIAL-NOT: omp.
// SERIAL: llvm.intr.fmuladd
// SERIAL-NOT: omp.
func.func @m(%x: tensor<16x1024xf32> {nn.name = "x"}) -> (tensor<f32> {nn.name = "loss"})
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.01 : f64}} {
  %w = nn.param "w" init = constant(0.5) : tensor<32x1024xf32>
  %b = nn.param "b" init = constant(0.0) : tensor<32xf32>
  %y = nn.dense %x, %w, %b : tensor<16x1024xf32>, tensor<32x1024xf32>, tensor<32xf32> -> tensor<16x32xf32>
  %r = nn.relu %y : tensor<16x32xf32>
  %l = nn.sum %r dims [] : tensor<16x32xf32> -> tensor<f32>
  return %l : tensor<f32>
}
