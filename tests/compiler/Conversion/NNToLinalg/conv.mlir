// RUN: nnc-opt %s --convert-nn-to-linalg | FileCheck %s

// conv2d is im2col (a gather generic over [n, oh, ow, c, kh, kw]) followed by
// one contraction per group against the weight rows, as dense does; pooling
// reduces over the window; the backward ops scatter windows back through
// maps without constants.

// CHECK-DAG: #[[$IM2COL:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 * 2 + d4, d2 * 2 + d5)>
// CHECK-DAG: #[[$ID6:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
// CHECK-DAG: #[[$POOL:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-DAG: #[[$WINDOW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$SCATTER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d4, d3 + d5)>

// Zero padding by insert_slice, then im2col, then two groups of three
// output channels, each a [18, 18] x [18, 3] contraction into its columns of
// the bias-initialized [18, 6] accumulator; finally back to NCHW.
// CHECK-LABEL: func.func @conv2d
// CHECK: %[[PAD:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 1] [2, 4, 5, 5] [1, 1, 1, 1] : tensor<2x4x5x5xf32> into tensor<2x4x7x7xf32>
// CHECK: %[[COL:.*]] = linalg.generic {indexing_maps = [#[[$IM2COL]], #[[$ID6]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[PAD]] : tensor<2x4x7x7xf32>) outs(%{{.*}} : tensor<2x3x3x4x3x3xf32>)
// CHECK: linalg.broadcast ins(%{{.*}} : tensor<6xf32>) outs(%{{.*}} : tensor<18x6xf32>)
// CHECK-COUNT-2: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<18x18xf32>, tensor<18x3xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x9x6xf32>) outs(%{{.*}} : tensor<2x6x9xf32>) permutation = [0, 2, 1]
func.func @conv2d(%x: tensor<2x4x5x5xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<2x6x3x3xf32> {
  %0 = nn.conv2d %x, %w, %b stride [2, 2] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<2x6x3x3xf32>
  return %0 : tensor<2x6x3x3xf32>
}

// The window operand only gives (d4, d5) their ranges.
// CHECK-LABEL: func.func @max_pool2d
// CHECK: %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[NEG]] : f32)
// CHECK: linalg.generic {indexing_maps = [#[[$POOL]], #[[$WINDOW]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x2x4x4xf32>, tensor<2x2xf32>) outs(%[[INIT]] : tensor<1x2x2x2xf32>)
// CHECK: arith.maximumf
func.func @max_pool2d(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = nn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

// The cotangent is spread two apart (stride 2) and shifted by the kernel
// extent: input element h collects windows at h + flipped kernel offset.
// CHECK-LABEL: func.func @avg_pool2d_grad
// CHECK: %[[SPREAD:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 1] [1, 2, 2, 2] [1, 1, 2, 2] : tensor<1x2x2x2xf32> into tensor<1x2x5x5xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$SCATTER]], #[[$WINDOW]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[SPREAD]], %{{.*}} : tensor<1x2x5x5xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<1x2x4x4xf32>)
// CHECK: arith.divf
// CHECK: arith.addf
func.func @avg_pool2d_grad(%dy: tensor<1x2x2x2xf32>) -> tensor<1x2x4x4xf32> {
  %0 = nn.avg_pool2d_grad %dy kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x2x2x2xf32> -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}
