// RUN: %exit-status nnc-opt %s -split-input-file --nnc-step-buffer-abi | FileCheck %s

// Malformed step functions are reported as errors at the function, with exit
// status 1, not a crash.

// A result that is not a tensor has no memref form either.
// CHECK: step-buffer-abi-errors.mlir:[[# @LINE + 1]]:1: error:
func.func @negative_scalar_result(%x: tensor<4xf32>) -> f32 attributes {nn.step = "eval"} {
  %c = arith.constant 1.0 : f32
  return %c : f32
}

// -----

// A declaration has no body to rewrite.
// CHECK: step-buffer-abi-errors.mlir:[[# @LINE + 1]]:1: error:
func.func private @negative_declaration(%x: tensor<4xf32>) -> tensor<4xf32> attributes {nn.step = "eval"}

// CHECK-NOT: crashed
// CHECK: exit status: 1
