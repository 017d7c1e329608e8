// RUN: nnc-opt %s --convert-nn-to-linalg | FileCheck %s

// conv2d is im2col followed by one contraction per group; pooling and the
// backward ops read strided views, one per kernel offset. Every linalg op
// has plain (projected permutation) maps, which linalg vectorizes.

// CHECK-DAG: #[[$SWAP:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>
// CHECK-DAG: #[[$ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$MK:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$KN:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
// CHECK-DAG: #[[$DX6:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5, d4)>

// Zero padding by insert_slice; im2col as one copy per kernel offset of a
// stride-2 view into col [c, kh, kw, n, oh, ow]; two groups of three output
// channels, each a [3, 18] x [18, 18] product into its rows of the
// bias-initialized [6, 18] accumulator; finally [out, n, oh, ow] to NCHW.
// CHECK-LABEL: func.func @conv2d
// CHECK: %[[PAD:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 1, 1] [2, 4, 5, 5] [1, 1, 1, 1] : tensor<2x4x5x5xf32> into tensor<2x4x7x7xf32>
// CHECK: %[[V00:.*]] = tensor.extract_slice %[[PAD]][0, 0, 0, 0] [2, 4, 3, 3] [1, 1, 2, 2]
// CHECK: %[[C00:.*]] = linalg.generic {indexing_maps = [#[[$SWAP]], #[[$ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[V00]] : tensor<2x4x3x3xf32>) outs(%{{.*}} : tensor<4x2x3x3xf32>)
// CHECK: tensor.insert_slice %[[C00]] into %{{.*}}[0, 0, 0, 0, 0, 0] [4, 1, 1, 2, 3, 3] [1, 1, 1, 1, 1, 1] : tensor<4x2x3x3xf32> into tensor<4x3x3x2x3x3xf32>
// CHECK: %[[V22:.*]] = tensor.extract_slice %[[PAD]][0, 0, 2, 2] [2, 4, 3, 3] [1, 1, 2, 2]
// CHECK: linalg.broadcast ins(%{{.*}} : tensor<6xf32>) outs(%{{.*}} : tensor<6x18xf32>) dimensions = [1]
// CHECK-COUNT-2: linalg.generic {indexing_maps = [#[[$MK]], #[[$KN]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<3x18xf32>, tensor<18x18xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<6x2x3x3xf32>) outs(%{{.*}} : tensor<2x6x3x3xf32>) permutation = [1, 0, 2, 3]
func.func @conv2d(%x: tensor<2x4x5x5xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<2x6x3x3xf32> {
  %0 = nn.conv2d %x, %w, %b stride [2, 2] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<2x6x3x3xf32>
  return %0 : tensor<2x6x3x3xf32>
}

// Max pooling: the maximum of the four stride-2 views, in row-major order.
// CHECK-LABEL: func.func @max_pool2d
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK: %[[A:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: %[[B:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 1] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: %[[C:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: %[[D:.*]] = tensor.extract_slice %[[X]][0, 0, 1, 1] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: linalg.generic {indexing_maps = [#[[$ID4]], #[[$ID4]], #[[$ID4]], #[[$ID4]], #[[$ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[A]], %[[B]], %[[C]], %[[D]] :
// CHECK-NEXT: ^bb0(%[[IA:.*]]: f32, %[[IB:.*]]: f32, %[[IC:.*]]: f32, %[[ID:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[M1:.*]] = arith.maximumf %[[IA]], %[[IB]]
// CHECK-NEXT: %[[M2:.*]] = arith.maximumf %[[M1]], %[[IC]]
// CHECK-NEXT: %[[M3:.*]] = arith.maximumf %[[M2]], %[[ID]]
// CHECK-NEXT: linalg.yield %[[M3]]
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
