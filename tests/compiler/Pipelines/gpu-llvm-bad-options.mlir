// RUN: not nnc-opt %s --nnc-gpu-llvm="gpu-arch=sm_60" 2>&1 | FileCheck %s --check-prefix=ARCH
// RUN: not nnc-opt %s --nnc-gpu-llvm="format=elf" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not nnc-opt %s --nnc-gpu-llvm="threads-per-block=100" 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not nnc-opt %s --nnc-gpu-distribute="threads-per-block=2000" 2>&1 | FileCheck %s --check-prefix=PASS

// The GPU pipeline's options are checked when it is built, and the
// distribution pass's when it is initialized, before any pass runs.
// ARCH: error: nnc-gpu-llvm expects gpu-arch sm_70 or newer (sm_80, sm_90, sm_90a, ...), got 'sm_60'
// FORMAT: error: nnc-gpu-llvm expects format fatbin, bin or isa, got 'elf'
// THREADS: error: nnc-gpu-llvm expects threads-per-block a multiple of 32 in [32, 1024], got 100
// PASS: error: nnc-gpu-distribute expects threads-per-block a multiple of 32 in [32, 1024], got 2000
func.func @f() {
  return
}
