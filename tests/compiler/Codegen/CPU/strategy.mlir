// RUN: nnc-opt %s --split-input-file --convert-nn-to-linalg --nnc-cpu-strategy=annotate-only | FileCheck %s
// RUN: nnc-opt %s --split-input-file --convert-nn-to-linalg --nnc-cpu-strategy | FileCheck %s --check-prefix=APPLY

// One decision per case: the CPU strategy reads each convolution's form and
// geometry back from the target-neutral IR and records its algorithm; with
// annotate-only=false it applies it, and no named convolution is left.

// Stride 1, padding within the kernel's reach: direct, in all three forms.
// CHECK-LABEL: func.func @stride1
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}nnc.cpu.strategy = {algorithm = "direct", form = "forward"}
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}nnc.cpu.strategy = {algorithm = "direct", form = "grad-input"}
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}nnc.cpu.strategy = {algorithm = "direct", form = "grad-weight"}
// APPLY-LABEL: func.func @stride1
// APPLY-NOT: linalg.conv_2d_nchw_fchw
// APPLY-NOT: nnc.cpu.strategy
// APPLY: return
func.func @stride1(%x: tensor<2x8x6x6xf32>, %w: tensor<4x8x3x3xf32>, %dy: tensor<2x4x6x6xf32>)
    -> (tensor<2x4x6x6xf32>, tensor<2x8x6x6xf32>, tensor<4x8x3x3xf32>) {
  %y = nn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x8x6x6xf32>, tensor<4x8x3x3xf32> -> tensor<2x4x6x6xf32>
  %dx = nn.conv2d_grad_input %dy, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x4x6x6xf32>, tensor<4x8x3x3xf32> -> tensor<2x8x6x6xf32>
  %dw = nn.conv2d_grad_weight %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x4x6x6xf32>, tensor<2x8x6x6xf32> -> tensor<4x8x3x3xf32>
  return %y, %dx, %dw : tensor<2x4x6x6xf32>, tensor<2x8x6x6xf32>, tensor<4x8x3x3xf32>
}

// -----

// A 3x3 kernel at stride 2: space-to-depth (16/9 of the work), in all
// three forms.
// CHECK-LABEL: func.func @stride2
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}nnc.cpu.strategy = {algorithm = "space-to-depth", form = "forward"}
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}nnc.cpu.strategy = {algorithm = "space-to-depth", form = "grad-input"}
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}nnc.cpu.strategy = {algorithm = "space-to-depth", form = "grad-weight"}
func.func @stride2(%x: tensor<2x8x8x8xf32>, %w: tensor<4x8x3x3xf32>, %dy: tensor<2x4x4x4xf32>)
    -> (tensor<2x4x4x4xf32>, tensor<2x8x8x8xf32>, tensor<4x8x3x3xf32>) {
  %y = nn.conv2d %x, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x8x8x8xf32>, tensor<4x8x3x3xf32> -> tensor<2x4x4x4xf32>
  %dx = nn.conv2d_grad_input %dy, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x4x4x4xf32>, tensor<4x8x3x3xf32> -> tensor<2x8x8x8xf32>
  %dw = nn.conv2d_grad_weight %dy, %x stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x4x4x4xf32>, tensor<2x8x8x8xf32> -> tensor<4x8x3x3xf32>
  return %y, %dx, %dw : tensor<2x4x4x4xf32>, tensor<2x8x8x8xf32>, tensor<4x8x3x3xf32>
}

// -----

// A 1x1 kernel at stride 2 would do four times the work as space-to-depth:
// im2col.
// CHECK-LABEL: func.func @negative_space_to_depth_too_costly
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}nnc.cpu.strategy = {algorithm = "im2col", form = "forward"}
func.func @negative_space_to_depth_too_costly(%x: tensor<2x8x8x8xf32>, %w: tensor<4x8x1x1xf32>) -> tensor<2x4x4x4xf32> {
  %y = nn.conv2d %x, %w stride [2, 2] padding [0, 0] dilation [1, 1] groups 1 : tensor<2x8x8x8xf32>, tensor<4x8x1x1xf32> -> tensor<2x4x4x4xf32>
  return %y : tensor<2x4x4x4xf32>
}

// -----

// A weight gradient with fewer than four input channels (a first layer)
// fills no register tile: im2col.
// CHECK-LABEL: func.func @negative_direct_grad_weight_few_channels
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}nnc.cpu.strategy = {algorithm = "im2col", form = "grad-weight"}
func.func @negative_direct_grad_weight_few_channels(%x: tensor<2x1x6x6xf32>, %dy: tensor<2x4x6x6xf32>) -> tensor<4x1x3x3xf32> {
  %dw = nn.conv2d_grad_weight %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x4x6x6xf32>, tensor<2x1x6x6xf32> -> tensor<4x1x3x3xf32>
  return %dw : tensor<4x1x3x3xf32>
}

// -----

// Grouped convolutions are one named convolution per group, each decided
// on its own.
// CHECK-LABEL: func.func @groups
// CHECK-COUNT-2: linalg.conv_2d_nchw_fchw {{.*}}nnc.cpu.strategy = {algorithm = "direct", form = "forward"}
func.func @groups(%x: tensor<2x8x6x6xf32>, %w: tensor<4x4x3x3xf32>) -> tensor<2x4x6x6xf32> {
  %y = nn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x8x6x6xf32>, tensor<4x4x3x3xf32> -> tensor<2x4x6x6xf32>
  return %y : tensor<2x4x6x6xf32>
}
