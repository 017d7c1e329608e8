// RUN: nnc-opt %s --split-input-file --nnc-cpu-strategy -verify-diagnostics | FileCheck %s

// Named convolutions that no nn op wrote: the strategy computes each as a
// forward convolution of its input as it stands, and honours an algorithm
// recorded on it.

// A recorded algorithm is kept: im2col for a convolution that the rule
// would compute directly. One strided copy per kernel offset, then the
// product.
// CHECK-LABEL: func.func @recorded_im2col
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK-COUNT-9: tensor.extract_slice %{{.*}} [1, 1, 1, 1] : tensor<1x2x6x6xf32> to tensor<1x2x4x4xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
func.func @recorded_im2col(%x: tensor<1x2x6x6xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>, nnc.cpu.strategy = {algorithm = "im2col"}}
    ins(%x, %w : tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) outs(%init : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

// An accumulator that is neither zeros nor a broadcast bias is added to the
// convolution afterwards.
// CHECK-LABEL: func.func @accumulate
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x6x6xf32>, %[[W:.*]]: tensor<3x2x3x3xf32>, %[[ACC:.*]]: tensor<1x3x4x4xf32>)
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: %[[Y:.*]] = linalg.transpose {{.*}} outs(%{{.*}} : tensor<1x3x4x4xf32>) permutation = [0, 3, 1, 2]
// CHECK-NEXT: tensor.empty
// CHECK-NEXT: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[Y]], %[[ACC]] : tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>)
// CHECK: arith.addf
// CHECK: return %[[SUM]]
func.func @accumulate(%x: tensor<1x2x6x6xf32>, %w: tensor<3x2x3x3xf32>, %acc: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) outs(%acc : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

// An algorithm that cannot compute the convolution is an error.
func.func @negative_recorded_unsupported(%x: tensor<1x2x7x7xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3x3x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  // expected-error @+1 {{expects an algorithm that computes this convolution (forward, stride 2x2), got direct}}
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>, nnc.cpu.strategy = {algorithm = "direct"}}
    ins(%x, %w : tensor<1x2x7x7xf32>, tensor<3x2x3x3xf32>) outs(%init : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  return %y : tensor<1x3x3x3xf32>
}

// -----

func.func @negative_recorded_unknown(%x: tensor<1x2x6x6xf32>, %w: tensor<3x2x3x3xf32>, %acc: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+1 {{expects 'nnc.cpu.strategy' to name an algorithm (direct, space-to-depth or im2col), got {algorithm = "winograd"}}}
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>, nnc.cpu.strategy = {algorithm = "winograd"}}
    ins(%x, %w : tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) outs(%acc : tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}
