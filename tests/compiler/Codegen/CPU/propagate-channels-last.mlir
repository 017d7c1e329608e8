// RUN: nnc-opt %s --nnc-propagate-channels-last --split-input-file | FileCheck %s

#x = affine_map<(n, c, h, w) -> (n, c, h, w)>
#c = affine_map<(n, c, h, w) -> (c)>

// A convolution's channels-last output, batch-norm statistics and
// normalization, a relu, and the next convolution's channels-last input:
// every op moves to loops (n, h, w, c), and both transposes cancel.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func.func @between_convolutions
// CHECK-SAME: (%[[Y:.*]]: tensor<2x3x5x4xf32>, %[[G:.*]]: tensor<4xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$C]]], iterator_types = ["reduction", "reduction", "reduction", "parallel"]} ins(%[[Y]] : tensor<2x3x5x4xf32>)
// CHECK: %[[NORM:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$C]], #[[$C]], #[[$ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[Y]], %[[SUM]], %[[G]] : {{.*}}) outs(%{{.*}} : tensor<2x3x5x4xf32>)
// CHECK: %[[RELU:.*]] = linalg.generic {{.*}} ins(%[[NORM]] : tensor<2x3x5x4xf32>) outs(%{{.*}} : tensor<2x3x5x4xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: return %[[RELU]], %[[SUM]]
func.func @between_convolutions(%y: tensor<2x3x5x4xf32>, %gamma: tensor<4xf32>) -> (tensor<2x3x5x4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x3x5xf32>
  %x = linalg.transpose ins(%y : tensor<2x3x5x4xf32>) outs(%e : tensor<2x4x3x5xf32>) permutation = [0, 3, 1, 2]
  %ec = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%ec : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#x, #c], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<2x4x3x5xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %r = arith.addf %s, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %norm = linalg.generic {indexing_maps = [#x, #c, #c, #x], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %sum, %gamma : tensor<2x4x3x5xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<2x4x3x5xf32>) {
  ^bb0(%a: f32, %m: f32, %g: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %r = arith.mulf %d, %g : f32
    linalg.yield %r : f32
  } -> tensor<2x4x3x5xf32>
  %relu = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%norm : tensor<2x4x3x5xf32>) outs(%e : tensor<2x4x3x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x4x3x5xf32>
  %el = tensor.empty() : tensor<2x3x5x4xf32>
  %last = linalg.transpose ins(%relu : tensor<2x4x3x5xf32>) outs(%el : tensor<2x3x5x4xf32>) permutation = [0, 2, 3, 1]
  return %last, %sum : tensor<2x3x5x4xf32>, tensor<4xf32>
}

// -----

#x = affine_map<(n, c, h, w) -> (n, c, h, w)>

// A residual sum of a channels-last image and a channels-first one, read
// by the next convolution channels-last: one transpose saved for each one
// added, so a tie, which is taken; the channels-first input gets a
// transpose to channels-last.
// CHECK-LABEL: func.func @tie_is_taken
// CHECK-SAME: (%[[Y:.*]]: tensor<2x3x5x4xf32>, %[[R:.*]]: tensor<2x4x3x5xf32>)
// CHECK: %[[RT:.*]] = linalg.transpose ins(%[[R]] : tensor<2x4x3x5xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[Y]], %[[RT]] : tensor<2x3x5x4xf32>, tensor<2x3x5x4xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: return %[[SUM]]
func.func @tie_is_taken(%y: tensor<2x3x5x4xf32>, %res: tensor<2x4x3x5xf32>) -> tensor<2x3x5x4xf32> {
  %e = tensor.empty() : tensor<2x4x3x5xf32>
  %x = linalg.transpose ins(%y : tensor<2x3x5x4xf32>) outs(%e : tensor<2x4x3x5xf32>) permutation = [0, 3, 1, 2]
  %sum = linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %res : tensor<2x4x3x5xf32>, tensor<2x4x3x5xf32>) outs(%e : tensor<2x4x3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x4x3x5xf32>
  %el = tensor.empty() : tensor<2x3x5x4xf32>
  %last = linalg.transpose ins(%sum : tensor<2x4x3x5xf32>) outs(%el : tensor<2x3x5x4xf32>) permutation = [0, 2, 3, 1]
  return %last : tensor<2x3x5x4xf32>
}

// -----

#x = affine_map<(n, c, h, w) -> (n, c, h, w)>

// One transpose saved on the input, but the result is returned
// channels-first and a second input is channels-first too: moving would
// add two. Unchanged.
// CHECK-LABEL: func.func @negative_costs_more
// CHECK: %[[X:.*]] = linalg.transpose
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[X]], %{{.*}} : tensor<2x4x3x5xf32>, tensor<2x4x3x5xf32>)
func.func @negative_costs_more(%y: tensor<2x3x5x4xf32>, %res: tensor<2x4x3x5xf32>) -> tensor<2x4x3x5xf32> {
  %e = tensor.empty() : tensor<2x4x3x5xf32>
  %x = linalg.transpose ins(%y : tensor<2x3x5x4xf32>) outs(%e : tensor<2x4x3x5xf32>) permutation = [0, 3, 1, 2]
  %sum = linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %res : tensor<2x4x3x5xf32>, tensor<2x4x3x5xf32>) outs(%e : tensor<2x4x3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x4x3x5xf32>
  return %sum : tensor<2x4x3x5xf32>
}

// -----

#x = affine_map<(n, c, h, w) -> (n, c, h, w)>
#t = affine_map<(n, c, h, w) -> (c, n, h, w)>

// An image read through a permuted map (an im2col-style [c, n, h, w]
// operand) would be read across its rows in the channels-last loop order:
// not a candidate.
// CHECK-LABEL: func.func @negative_permuted_image
// CHECK: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK: linalg.transpose
func.func @negative_permuted_image(%y: tensor<2x3x5x4xf32>, %t: tensor<4x2x3x5xf32>) -> tensor<2x3x5x4xf32> {
  %e = tensor.empty() : tensor<2x4x3x5xf32>
  %x = linalg.transpose ins(%y : tensor<2x3x5x4xf32>) outs(%e : tensor<2x4x3x5xf32>) permutation = [0, 3, 1, 2]
  %sum = linalg.generic {indexing_maps = [#x, #t, #x], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %t : tensor<2x4x3x5xf32>, tensor<4x2x3x5xf32>) outs(%e : tensor<2x4x3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x4x3x5xf32>
  %el = tensor.empty() : tensor<2x3x5x4xf32>
  %last = linalg.transpose ins(%sum : tensor<2x4x3x5xf32>) outs(%el : tensor<2x3x5x4xf32>) permutation = [0, 2, 3, 1]
  return %last : tensor<2x3x5x4xf32>
}

// -----

#x = affine_map<(n, c, h, w) -> (n, c, h, w)>

// linalg.index would see the loops in a new order: not a candidate.
// CHECK-LABEL: func.func @negative_index
// CHECK: linalg.transpose
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x4x3x5xf32>)
// CHECK: linalg.index 1
// CHECK: linalg.transpose
func.func @negative_index(%y: tensor<2x3x5x4xf32>) -> tensor<2x3x5x4xf32> {
  %e = tensor.empty() : tensor<2x4x3x5xf32>
  %x = linalg.transpose ins(%y : tensor<2x3x5x4xf32>) outs(%e : tensor<2x4x3x5xf32>) permutation = [0, 3, 1, 2]
  %r = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x4x3x5xf32>) outs(%e : tensor<2x4x3x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %s = arith.addf %a, %f : f32
    linalg.yield %s : f32
  } -> tensor<2x4x3x5xf32>
  %el = tensor.empty() : tensor<2x3x5x4xf32>
  %last = linalg.transpose ins(%r : tensor<2x4x3x5xf32>) outs(%el : tensor<2x3x5x4xf32>) permutation = [0, 2, 3, 1]
  return %last : tensor<2x3x5x4xf32>
}
