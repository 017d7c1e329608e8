// RUN: nnc-opt %s --split-input-file --convert-nn-to-linalg --nnc-cpu-strategy | FileCheck %s
// RUN: nnc-opt %s --split-input-file --convert-nn-to-linalg "--nnc-cpu-strategy=vector-bits=512 vector-registers=32" | FileCheck %s --check-prefix=AVX512

// Stride-1, ungrouped convolutions are window contractions over a flat,
// gap-padded, position-major layout: no im2col. Here h = w = 4 and padding
// 1 give rows of ws = 5 and images of hs = 5 rows (blocks of 25); 2 images
// make 50 output positions, rounded up to 192; image n sits in block n + 1
// of 9 (enough for the last shifted read), and kernel offset (i, j) reads
// row q + 5 i + j + 19 (19 = 25 - 5 - 1).

// CHECK-DAG: #[[$W:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d4, d1)>
// CHECK-DAG: #[[$SHIFTED:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0 + d2 * 5 + d3 + 19, d4)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1)>
// CHECK-LABEL: func.func @conv2d_direct
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4x4xf32>, %[[W:.*]]: tensor<5x3x3x3xf32>, %[[B:.*]]: tensor<5xf32>)
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<5x3x3x3xf32>) outs(%{{.*}} : tensor<3x3x3x5xf32>) permutation = [2, 3, 1, 0]
// The images go in first, channels last, then zeros into the gaps only:
// block 0, the trailing blocks, the padding row under each image and the
// padding column after each row.
// CHECK: %[[XT:.*]] = linalg.transpose ins(%[[X]] : tensor<2x3x4x4xf32>) outs(%{{.*}} : tensor<2x4x4x3xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[BLOCKS:.*]] = tensor.insert_slice %[[XT]] into %{{.*}}[1, 0, 0, 0] [2, 4, 4, 3] [1, 1, 1, 1] : tensor<2x4x4x3xf32> into tensor<9x5x5x3xf32>
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [1, 5, 5, 3] [1, 1, 1, 1]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[3, 0, 0, 0] [6, 5, 5, 3] [1, 1, 1, 1]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[1, 4, 0, 0] [2, 1, 5, 3] [1, 1, 1, 1]
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[1, 0, 4, 0] [2, 4, 1, 3] [1, 1, 1, 1]
// CHECK: %[[FLAT:.*]] = tensor.expand_shape %{{.*}} output_shape [225, 3]
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<5xf32>) outs(%{{.*}} : tensor<192x5xf32>) dimensions = [0]
// CHECK: %[[PROD:.*]] = linalg.generic {indexing_maps = [#[[$W]], #[[$SHIFTED]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[WT]], %[[FLAT]] : tensor<3x3x3x5xf32>, tensor<225x3xf32>) outs(%[[INIT]] : tensor<192x5xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[USED:.*]] = tensor.extract_slice %[[PROD]][0, 0] [50, 5] [1, 1]
// CHECK: %[[GRID:.*]] = tensor.expand_shape %{{.*}} output_shape [2, 5, 5, 5]
// CHECK: %[[VALID:.*]] = tensor.extract_slice %[[GRID]][0, 0, 0, 0] [2, 4, 4, 5] [1, 1, 1, 1]
// CHECK: linalg.transpose ins(%[[VALID]] : tensor<2x4x4x5xf32>) outs(%{{.*}} : tensor<2x5x4x4xf32>) permutation = [0, 3, 1, 2]
func.func @conv2d_direct(%x: tensor<2x3x4x4xf32>, %w: tensor<5x3x3x3xf32>, %b: tensor<5xf32>) -> tensor<2x5x4x4xf32> {
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x3x4x4xf32>, tensor<5x3x3x3xf32>, tensor<5xf32> -> tensor<2x5x4x4xf32>
  return %0 : tensor<2x5x4x4xf32>
}

// -----

// The input gradient is the transposed convolution: dy convolved with the
// flipped kernel, channels exchanged ([kh, kw, out, c]), padded by what the
// forward padding left of the kernel's reach (here 2 - 1 = 1), into zeros.
// CHECK-DAG: #[[$SHIFTED:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0 + d2 * 5 + d3 + 19, d4)>
// CHECK-LABEL: func.func @conv2d_grad_input_direct
// CHECK-SAME: (%[[DY:.*]]: tensor<2x5x4x4xf32>, %[[W:.*]]: tensor<5x3x3x3xf32>)
// CHECK: %[[FLIP:.*]] = linalg.generic
// CHECK: tensor.extract %[[W]]
// CHECK: %[[WT:.*]] = linalg.transpose ins(%[[FLIP]] : tensor<5x3x3x3xf32>) outs(%{{.*}} : tensor<3x3x5x3xf32>) permutation = [2, 3, 0, 1]
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<192x3xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$SHIFTED]], #{{.*}}], {{.*}} ins(%[[WT]], %{{.*}} : tensor<3x3x5x3xf32>, tensor<225x5xf32>) outs(%[[ZERO]] : tensor<192x3xf32>)
func.func @conv2d_grad_input_direct(%dy: tensor<2x5x4x4xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<2x3x4x4xf32> {
  %0 = nn.conv2d_grad_input %dy, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x5x4x4xf32>, tensor<5x3x3x3xf32> -> tensor<2x3x4x4xf32>
  return %0 : tensor<2x3x4x4xf32>
}

// -----

// The weight gradient: the flat input as in the forward convolution and
// the output gradient channels-last, over the valid output positions only:
// one window contraction over (i, j, c, o, n, y, x) into [kh, kw, c, out],
// in which position (n, y, x) at kernel offset (i, j) reads flat row 25 n +
// 5 y + x + 5 i + j + 19; then transposed to [out, c, kh, kw].
// CHECK-DAG: #[[$SHIFTED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4 * 25 + d5 * 5 + d6 + d0 * 5 + d1 + 19, d2)>
// CHECK-DAG: #[[$DY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>
// CHECK-DAG: #[[$DW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv2d_grad_weight_direct
// CHECK-SAME: (%[[DY:.*]]: tensor<2x5x4x4xf32>, %[[X:.*]]: tensor<2x4x4x4xf32>)
// CHECK: %[[FLAT:.*]] = tensor.expand_shape %{{.*}} output_shape [225, 4]
// CHECK: %[[DYS:.*]] = linalg.transpose ins(%[[DY]] : tensor<2x5x4x4xf32>) outs(%{{.*}} : tensor<2x4x4x5xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<3x3x4x5xf32>
// CHECK: %[[DWT:.*]] = linalg.generic {indexing_maps = [#[[$SHIFTED]], #[[$DY]], #[[$DW]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[FLAT]], %[[DYS]] : tensor<225x4xf32>, tensor<2x4x4x5xf32>) outs(%[[ZERO]] : tensor<3x3x4x5xf32>)
// CHECK: linalg.transpose ins(%[[DWT]] : tensor<3x3x4x5xf32>) outs(%{{.*}} : tensor<5x4x3x3xf32>) permutation = [3, 2, 0, 1]
func.func @conv2d_grad_weight_direct(%dy: tensor<2x5x4x4xf32>, %x: tensor<2x4x4x4xf32>) -> tensor<5x4x3x3xf32> {
  %0 = nn.conv2d_grad_weight %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x5x4x4xf32>, tensor<2x4x4x4xf32> -> tensor<5x4x3x3xf32>
  return %0 : tensor<5x4x3x3xf32>
}

// -----

// Fewer than four input channels (a first layer): im2col, packing the
// [9, 64] im2col matrix rather than the larger output gradient.
// CHECK-LABEL: func.func @negative_conv2d_grad_weight_few_channels
// CHECK-NOT: d4 + d0
// CHECK: linalg.transpose ins(%{{.*}} : tensor<9x32xf32>) outs(%{{.*}} : tensor<32x9xf32>) permutation = [1, 0]
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<16x32xf32>, tensor<32x9xf32>) outs(%{{.*}} : tensor<16x9xf32>)
func.func @negative_conv2d_grad_weight_few_channels(%dy: tensor<2x16x4x4xf32>, %x: tensor<2x1x4x4xf32>) -> tensor<16x1x3x3xf32> {
  %0 = nn.conv2d_grad_weight %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x16x4x4xf32>, tensor<2x1x4x4xf32> -> tensor<16x1x3x3xf32>
  return %0 : tensor<16x1x3x3xf32>
}

// -----

// Dilation scales the shifts: with dilation (2, 1) and padding (2, 0), rows
// are ws = 5 wide and images hs = 6 + 2 rows high, and kernel offset (i, j)
// reads row q + 2 * 5 * i + j + 30 (30 = 40 - 2 * 5).
// CHECK-DAG: #[[$SHIFTED:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0 + d2 * 10 + d3 + 30, d4)>
// CHECK-LABEL: func.func @conv2d_direct_dilated
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$SHIFTED]], #{{.*}}]
func.func @conv2d_direct_dilated(%x: tensor<1x1x6x5xf32>, %w: tensor<1x1x3x2xf32>) -> tensor<1x1x6x4xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [2, 0] dilation [2, 1] groups 1 : tensor<1x1x6x5xf32>, tensor<1x1x3x2xf32> -> tensor<1x1x6x4xf32>
  return %0 : tensor<1x1x6x4xf32>
}

// -----

// Padding beyond the kernel's reach needs more zeros than the gaps hold:
// im2col instead.
// CHECK-LABEL: func.func @negative_conv2d_wide_padding
// CHECK-NOT: d0 + d2
// CHECK: tensor.insert_slice {{.*}} into {{.*}} : tensor<1x1x3x3xf32> into tensor<1x1x7x7xf32>
func.func @negative_conv2d_wide_padding(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x6x6xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [2, 2] dilation [1, 1] groups 1 : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x6x6xf32>
  return %0 : tensor<1x1x6x6xf32>
}

// -----

// Where a register tile within an output row fills the registers, the
// window contraction runs over the valid output positions only, loops (n,
// y, x, o, i, j, c), into [n, oh, ow, out]: with AVX-512, 7 positions of a
// 7-wide row times 32 output channels hold 14 of the 16 accumulators the
// grid's 8 x 32 tile holds. Position (n, y, x) at kernel offset (i, j)
// reads flat row 64 n + 8 y + x + 8 i + j + 55 (blocks of 8 x 8, 55 = 64 -
// 8 - 1); the gap positions are not computed. With fewer registers (the
// default on this host may be AVX2) the grid form stays.
// AVX512-LABEL: func.func @negative_conv2d_wide_padding
// AVX512-DAG: #[[$W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d3)>
// AVX512-DAG: #[[$SHIFTED:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0 * 64 + d1 * 8 + d2 + d4 * 8 + d5 + 55, d6)>
// AVX512-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
// AVX512-LABEL: func.func @conv2d_direct_valid_positions
// AVX512-SAME: (%[[X:.*]]: tensor<2x32x7x7xf32>, %[[W:.*]]: tensor<32x32x3x3xf32>, %[[B:.*]]: tensor<32xf32>)
// AVX512: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<32xf32>) outs(%{{.*}} : tensor<2x7x7x32xf32>) dimensions = [0, 1, 2]
// AVX512: %[[PROD:.*]] = linalg.generic {indexing_maps = [#[[$W]], #[[$SHIFTED]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<3x3x32x32xf32>, tensor<{{[0-9]+}}x32xf32>) outs(%[[INIT]] : tensor<2x7x7x32xf32>) attrs = {nnc.cpu.tiles = {register = array<i64: 7, 32>, threads = 1 : i64}}
// AVX512-NOT: tensor.extract_slice
// AVX512: linalg.transpose ins(%[[PROD]] : tensor<2x7x7x32xf32>) outs(%{{.*}} : tensor<2x32x7x7xf32>) permutation = [0, 3, 1, 2]
func.func @conv2d_direct_valid_positions(%x: tensor<2x32x7x7xf32>, %w: tensor<32x32x3x3xf32>, %b: tensor<32xf32>) -> tensor<2x32x7x7xf32> {
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x32x7x7xf32>, tensor<32x32x3x3xf32>, tensor<32xf32> -> tensor<2x32x7x7xf32>
  return %0 : tensor<2x32x7x7xf32>
}

// -----

// A row of 5 positions holds no tile of 6 or more (5 x 32 is 10 of the 16
// accumulators): the grid form, 8 positions x 32 channels.
// AVX512-LABEL: func.func @negative_conv2d_valid_positions_short_row
// AVX512: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]{{.*}}register = array<i64: 8, 32>
func.func @negative_conv2d_valid_positions_short_row(%x: tensor<2x32x5x5xf32>, %w: tensor<32x32x3x3xf32>) -> tensor<2x32x5x5xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x32x5x5xf32>, tensor<32x32x3x3xf32> -> tensor<2x32x5x5xf32>
  return %0 : tensor<2x32x5x5xf32>
}
