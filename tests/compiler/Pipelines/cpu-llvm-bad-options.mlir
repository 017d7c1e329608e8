// RUN: not nnc-opt %s --nnc-cpu-llvm="threads=0" 2>&1 | FileCheck %s
// RUN: not nnc-opt %s --nnc-cpu-llvm="threads=-2" 2>&1 | FileCheck %s --check-prefix=NEG

// The pipeline's options are checked when it is built, before any pass
// runs.
// CHECK: error: nnc-cpu-llvm expects a positive thread count, got 0
// NEG: error: nnc-cpu-llvm expects a positive thread count, got -2
func.func @f() {
  return
}
