// RUN: nnc-opt %s --split-input-file --convert-nn-to-linalg --nnc-cpu-strategy | FileCheck %s

// A 3x3 convolution at stride 2 with padding 1 is a 2x2 one at stride 1 on
// the space-to-depth input: row 2u + r of channel c goes to row u of
// channel 4c + 2r + r' (and likewise for columns), the kernel is padded by
// one zero row and column in front (kernel row i goes to row i + 1 of 4),
// and the stride-1 convolution has padding 1 in front. Its flat grid has
// rows of 3 + 1 and blocks of 16: kernel offset (i, j) reads row q + 4 i +
// j + 11 (11 = 16 - 4 - 1).
// CHECK-DAG: #[[$SHIFTED:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0 + d2 * 4 + d3 + 11, d4)>
// CHECK-LABEL: func.func @conv2d_space_to_depth
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x6x6xf32>, %[[W:.*]]: tensor<5x3x3x3xf32>)
// CHECK: %[[WPAD:.*]] = tensor.insert_slice %[[W]] into %{{.*}}[0, 0, 1, 1] [5, 3, 3, 3] [1, 1, 1, 1] : tensor<5x3x3x3xf32> into tensor<5x3x4x4xf32>
// CHECK: linalg.transpose ins(%{{.*}} : tensor<5x3x2x2x2x2xf32>) outs(%{{.*}} : tensor<5x3x2x2x2x2xf32>) permutation = [0, 1, 3, 5, 2, 4]
// CHECK: %[[XS:.*]] = linalg.transpose ins(%{{.*}} : tensor<2x3x3x2x3x2xf32>) outs(%{{.*}} : tensor<2x3x2x2x3x3xf32>) permutation = [0, 1, 3, 5, 2, 4]
// CHECK: %[[WT:.*]] = linalg.transpose ins(%{{.*}} : tensor<5x12x2x2xf32>) outs(%{{.*}} : tensor<2x2x12x5xf32>) permutation = [2, 3, 1, 0]
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x12x3x3xf32>) outs(%{{.*}} : tensor<2x3x3x12xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[PROD:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[$SHIFTED]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[WT]], %{{.*}} : tensor<2x2x12x5xf32>, tensor<208x12xf32>) outs(%{{.*}} : tensor<192x5xf32>)
// CHECK: %[[GRID:.*]] = tensor.expand_shape %{{.*}} output_shape [2, 4, 4, 5]
// CHECK: tensor.extract_slice %[[GRID]][0, 0, 0, 0] [2, 3, 3, 5] [1, 1, 1, 1]
func.func @conv2d_space_to_depth(%x: tensor<2x3x6x6xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<2x5x3x3xf32> {
  %0 = nn.conv2d %x, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x3x6x6xf32>, tensor<5x3x3x3xf32> -> tensor<2x5x3x3xf32>
  return %0 : tensor<2x5x3x3xf32>
}

// -----

// The input gradient: the transposed convolution of the space-to-depth
// form (its kernel padded by 0 after and 1 before, so the flat grid of dy
// needs a gap of 1 after each row and image although the transposed
// window's padding is 0: row q + 4 i + j + 16), then depth-to-space.
// CHECK-DAG: #[[$SHIFTED:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0 + d2 * 4 + d3 + 16, d4)>
// CHECK-LABEL: func.func @conv2d_grad_input_space_to_depth
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$SHIFTED]], #{{.*}}], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x2x5x12xf32>, tensor<224x5xf32>) outs(%{{.*}} : tensor<192x12xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x2x2x3x3xf32>) outs(%{{.*}} : tensor<2x3x3x2x3x2xf32>) permutation = [0, 1, 4, 2, 5, 3]
// CHECK: %[[DX:.*]] = tensor.expand_shape %{{.*}} output_shape [2, 3, 6, 6]
// CHECK: return %[[DX]]
func.func @conv2d_grad_input_space_to_depth(%dy: tensor<2x5x3x3xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<2x3x6x6xf32> {
  %0 = nn.conv2d_grad_input %dy, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x5x3x3xf32>, tensor<5x3x3x3xf32> -> tensor<2x3x6x6xf32>
  return %0 : tensor<2x3x6x6xf32>
}

// -----

// The weight gradient: the space-to-depth form's, then the inverse of the
// weight rearrangement, without the zero row and column in front.
// CHECK-LABEL: func.func @conv2d_grad_weight_space_to_depth
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<208x12xf32>, tensor<2x3x3x5xf32>) outs(%{{.*}} : tensor<2x2x12x5xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<5x3x2x2x2x2xf32>) outs(%{{.*}} : tensor<5x3x2x2x2x2xf32>) permutation = [0, 1, 4, 2, 5, 3]
// CHECK: %[[DW:.*]] = tensor.extract_slice %{{.*}}[0, 0, 1, 1] [5, 3, 3, 3] [1, 1, 1, 1] : tensor<5x3x4x4xf32> to tensor<5x3x3x3xf32>
// CHECK: return %[[DW]]
func.func @conv2d_grad_weight_space_to_depth(%dy: tensor<2x5x3x3xf32>, %x: tensor<2x3x6x6xf32>) -> tensor<5x3x3x3xf32> {
  %0 = nn.conv2d_grad_weight %dy, %x stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x5x3x3xf32>, tensor<2x3x6x6xf32> -> tensor<5x3x3x3xf32>
  return %0 : tensor<5x3x3x3xf32>
}

// -----

// No window reads the last row and column of a 5x5 input at stride 2 with
// a 2x2 kernel: the input is cropped to 4x4 before space-to-depth.
// CHECK-LABEL: func.func @conv2d_space_to_depth_crop
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x5x5xf32>
// CHECK: tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @conv2d_space_to_depth_crop(%x: tensor<1x4x5x5xf32>, %w: tensor<2x4x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %0 = nn.conv2d %x, %w stride [2, 2] padding [0, 0] dilation [1, 1] groups 1 : tensor<1x4x5x5xf32>, tensor<2x4x2x2xf32> -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

// -----

// A 1x1 kernel at stride 2 would do four times the work on the
// space-to-depth input: im2col (a strided view) and a matrix product.
// CHECK-LABEL: func.func @negative_conv2d_pointwise_stride
// CHECK-NOT: permutation = [0, 1, 3, 5, 2, 4]
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 4, 3, 3] [1, 1, 2, 2]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
func.func @negative_conv2d_pointwise_stride(%x: tensor<1x4x6x6xf32>, %w: tensor<2x4x1x1xf32>) -> tensor<1x2x3x3xf32> {
  %0 = nn.conv2d %x, %w stride [2, 2] padding [0, 0] dilation [1, 1] groups 1 : tensor<1x4x6x6xf32>, tensor<2x4x1x1xf32> -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}
