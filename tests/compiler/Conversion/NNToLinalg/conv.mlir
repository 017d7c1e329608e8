// RUN: nnc-opt %s --convert-nn-to-linalg | FileCheck %s

// Convolutions become linalg.conv_2d_nchw_fchw in the model's NCHW layout,
// one per group, with no algorithm chosen (that is nnc-cpu-strategy's
// job); pooling and the backward pooling ops read strided views, one per
// kernel offset. Every generic has plain (projected permutation) maps.

// CHECK-DAG: #[[$ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
// CHECK-DAG: #[[$DX6:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5, d4)>

// Forward: the bias broadcast over [n, oh, ow] is the accumulator; each of
// the two groups zero-pads its channels (an insert_slice into a zero fill)
// and convolves them with its filters into its block of the accumulator.
// CHECK-LABEL: func.func @conv2d
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x5x5xf32>, %[[W:.*]]: tensor<6x2x3x3xf32>, %[[B:.*]]: tensor<6xf32>)
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<6xf32>) outs(%{{.*}} : tensor<2x6x3x3xf32>) dimensions = [0, 2, 3]
// CHECK: %[[I0:.*]] = tensor.extract_slice %[[INIT]][0, 0, 0, 0] [2, 3, 3, 3]
// CHECK: %[[X0:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [2, 2, 5, 5]
// CHECK: %[[Z:.*]] = linalg.fill
// CHECK: %[[P0:.*]] = tensor.insert_slice %[[X0]] into %[[Z]][0, 0, 1, 1] [2, 2, 5, 5] [1, 1, 1, 1] : tensor<2x2x5x5xf32> into tensor<2x2x7x7xf32>
// CHECK: %[[W0:.*]] = tensor.extract_slice %[[W]][0, 0, 0, 0] [3, 2, 3, 3]
// CHECK: %[[Y0:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[P0]], %[[W0]] : tensor<2x2x7x7xf32>, tensor<3x2x3x3xf32>) outs(%[[I0]] : tensor<2x3x3x3xf32>)
// CHECK: %[[R0:.*]] = tensor.insert_slice %[[Y0]] into %[[INIT]][0, 0, 0, 0] [2, 3, 3, 3]
// CHECK: tensor.extract_slice %[[X]][0, 2, 0, 0] [2, 2, 5, 5]
// CHECK: %[[Y1:.*]] = linalg.conv_2d_nchw_fchw
// CHECK: %[[R1:.*]] = tensor.insert_slice %[[Y1]] into %[[R0]][0, 3, 0, 0] [2, 3, 3, 3]
// CHECK: return %[[R1]]
func.func @conv2d(%x: tensor<2x4x5x5xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<2x6x3x3xf32> {
  %0 = nn.conv2d %x, %w, %b stride [2, 2] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<2x6x3x3xf32>
  return %0 : tensor<2x6x3x3xf32>
}

// Input gradient: the transposed convolution. dy spread two apart (the
// stride) behind (3 - 1) - 1 = 1 zero row, convolved at stride 1 with the
// kernel flipped (a gather) and transposed to [c, o, kh, kw].
// CHECK-LABEL: func.func @conv2d_grad_input
// CHECK-SAME: (%[[DY:.*]]: tensor<2x6x3x3xf32>, %[[W:.*]]: tensor<6x4x3x3xf32>)
// CHECK: %[[SPREAD:.*]] = tensor.insert_slice %[[DY]] into %{{.*}}[0, 0, 1, 1] [2, 6, 3, 3] [1, 1, 2, 2] : tensor<2x6x3x3xf32> into tensor<2x6x7x7xf32>
// CHECK: %[[FLIP:.*]] = linalg.generic {indexing_maps = [#[[$ID4]]]
// CHECK: tensor.extract %[[W]]
// CHECK: %[[FT:.*]] = linalg.transpose ins(%[[FLIP]] : tensor<6x4x3x3xf32>) outs(%{{.*}} : tensor<4x6x3x3xf32>) permutation = [1, 0, 2, 3]
// CHECK: %[[DX:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[SPREAD]], %[[FT]] : tensor<2x6x7x7xf32>, tensor<4x6x3x3xf32>)
// CHECK: return %[[DX]]
func.func @conv2d_grad_input(%dy: tensor<2x6x3x3xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<2x4x5x5xf32> {
  %0 = nn.conv2d_grad_input %dy, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x6x3x3xf32>, tensor<6x4x3x3xf32> -> tensor<2x4x5x5xf32>
  return %0 : tensor<2x4x5x5xf32>
}

// Weight gradient: the padded input and dy with batch and channels
// exchanged, dy the filter, strides and dilations exchanged; the [c, o,
// kh, kw] result transposed back.
// CHECK-LABEL: func.func @conv2d_grad_weight
// CHECK-SAME: (%[[DY:.*]]: tensor<2x6x3x3xf32>, %[[X:.*]]: tensor<2x4x5x5xf32>)
// CHECK: %[[P:.*]] = tensor.insert_slice %[[X]] into %{{.*}}[0, 0, 1, 1] [2, 4, 5, 5] [1, 1, 1, 1]
// CHECK: %[[XT:.*]] = linalg.transpose ins(%[[P]] : tensor<2x4x7x7xf32>) outs(%{{.*}} : tensor<4x2x7x7xf32>) permutation = [1, 0, 2, 3]
// CHECK: %[[DYT:.*]] = linalg.transpose ins(%[[DY]] : tensor<2x6x3x3xf32>) outs(%{{.*}} : tensor<6x2x3x3xf32>) permutation = [1, 0, 2, 3]
// CHECK: %[[DWT:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[XT]], %[[DYT]] : tensor<4x2x7x7xf32>, tensor<6x2x3x3xf32>) outs(%{{.*}} : tensor<4x6x3x3xf32>)
// CHECK: %[[DW:.*]] = linalg.transpose ins(%[[DWT]] : tensor<4x6x3x3xf32>) outs(%{{.*}} : tensor<6x4x3x3xf32>) permutation = [1, 0, 2, 3]
// CHECK: return %[[DW]]
func.func @conv2d_grad_weight(%dy: tensor<2x6x3x3xf32>, %x: tensor<2x4x5x5xf32>) -> tensor<6x4x3x3xf32> {
  %0 = nn.conv2d_grad_weight %dy, %x stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x6x3x3xf32>, tensor<2x4x5x5xf32> -> tensor<6x4x3x3xf32>
  return %0 : tensor<6x4x3x3xf32>
}

// Max pooling: linalg.pooling_nchw_max over the (here unpadded) input, into
// a fill of -inf; the window operand only carries the kernel's shape.
// CHECK-LABEL: func.func @max_pool2d
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[WIN:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<1x2x2x2xf32>)
// CHECK: %[[R:.*]] = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%[[X]], %[[WIN]] : tensor<1x2x4x4xf32>, tensor<2x2xf32>) outs(%[[INIT]] : tensor<1x2x2x2xf32>)
// CHECK: return %[[R]]
func.func @max_pool2d(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = nn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

// The cotangent is spread two apart (stride 2) and shifted by the kernel
// extent; input element (h, w) then reads it at (h + fi, w + fj) for the
// flipped kernel offsets: four unit-stride views.
// CHECK-LABEL: func.func @avg_pool2d_grad
// CHECK: %[[SPREAD:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 1] [1, 2, 2, 2] [1, 1, 2, 2] : tensor<1x2x2x2xf32> into tensor<1x2x5x5xf32>
// CHECK: tensor.extract_slice %[[SPREAD]][0, 0, 0, 0] [1, 2, 4, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[SPREAD]][0, 0, 0, 1] [1, 2, 4, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[SPREAD]][0, 0, 1, 0] [1, 2, 4, 4] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[SPREAD]][0, 0, 1, 1] [1, 2, 4, 4] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-COUNT-4: arith.divf
func.func @avg_pool2d_grad(%dy: tensor<1x2x2x2xf32>) -> tensor<1x2x4x4xf32> {
  %0 = nn.avg_pool2d_grad %dy kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x2x2x2xf32> -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// Windows that tile the input (stride = kernel, no padding): dx in one pass,
// as [n, c, oh, kh, ow, kw] iterated with ow innermost; element (i, j) of a
// window (linalg.index 3 and 4) gets the cotangent where the first maximum
// of the window's four views is at offset i * 2 + j. The fifth row, past the
// last window, stays zero.
// CHECK-LABEL: func.func @max_pool2d_grad_tiling
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x5x4xf32>, %[[DY:.*]]: tensor<1x2x2x2xf32>)
// CHECK: %[[ZEROS:.*]] = linalg.fill
// CHECK: %[[DX6:.*]] = linalg.generic {indexing_maps = [#[[$WIN]], #[[$WIN]], #[[$WIN]], #[[$WIN]], #[[$WIN]], #[[$DX6]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[DY]] : {{.*}}) outs(%{{.*}} : tensor<1x2x2x2x2x2xf32>)
// CHECK: linalg.index 3
// CHECK: linalg.index 4
// CHECK: arith.cmpi eq
// CHECK: tensor.insert_slice %{{.*}} into %[[ZEROS]][0, 0, 0, 0] [1, 2, 4, 4] [1, 1, 1, 1]
func.func @max_pool2d_grad_tiling(%x: tensor<1x2x5x4xf32>, %dy: tensor<1x2x2x2xf32>) -> tensor<1x2x5x4xf32> {
  %0 = nn.max_pool2d_grad %x, %dy kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x2x5x4xf32>, tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x5x4xf32>
}
