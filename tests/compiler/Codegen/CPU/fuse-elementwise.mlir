// RUN: nnc-opt %s --nnc-fuse-elementwise | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>

// Two chained elementwise generics become one.

// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[MAX:.*]] = arith.maximumf %[[IN]], %{{.*}} : f32
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[MAX]] : f32
// CHECK-NEXT: linalg.yield %[[EXP]] : f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @chain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// A relu feeding a matrix product stays a separate generic: the product keeps
// its plain multiply-add body.

// CHECK-LABEL: func.func @negative_relu_into_matmul
// CHECK-SAME: (%[[X:.*]]: tensor<8x16xf32>, %[[W:.*]]: tensor<16x32xf32>, %[[ACC:.*]]: tensor<8x32xf32>)
// CHECK: %[[RELU:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<8x16xf32>)
// CHECK: arith.maximumf
// CHECK: %[[MM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[RELU]], %[[W]] : tensor<8x16xf32>, tensor<16x32xf32>) outs(%[[ACC]] : tensor<8x32xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[C:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[C]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: return %[[MM]]
func.func @negative_relu_into_matmul(%x: tensor<8x16xf32>, %w: tensor<16x32xf32>, %acc: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  %1 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%0, %w : tensor<8x16xf32>, tensor<16x32xf32>) outs(%acc : tensor<8x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %1 : tensor<8x32xf32>
}

// Elementwise ops in front of a product still fuse with each other, just not
// into the product: two generics remain.

// CHECK-LABEL: func.func @chain_before_matmul
// CHECK-SAME: (%[[X:.*]]: tensor<8x16xf32>, %[[W:.*]]: tensor<16x32xf32>, %[[ACC:.*]]: tensor<8x32xf32>)
// CHECK: %[[EW:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<8x16xf32>)
// CHECK: arith.maximumf
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: linalg.yield
// CHECK: %[[MM:.*]] = linalg.generic {{.*}} ins(%[[EW]], %[[W]] : tensor<8x16xf32>, tensor<16x32xf32>) outs(%[[ACC]] : tensor<8x32xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[MM]]
func.func @chain_before_matmul(%x: tensor<8x16xf32>, %w: tensor<16x32xf32>, %acc: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = arith.mulf %a, %two : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  %2 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%1, %w : tensor<8x16xf32>, tensor<16x32xf32>) outs(%acc : tensor<8x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %2 : tensor<8x32xf32>
}

// A window contraction (a direct convolution, whose input map is shifted) is
// tiled like a product, so its elementwise producers stay separate too.
#w5 = affine_map<(o, q, i, j, c) -> (i, j, c, o)>
#x5 = affine_map<(o, q, i, j, c) -> (c, q + i * 5 + j + 19)>
#out5 = affine_map<(o, q, i, j, c) -> (o, q)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// CHECK-LABEL: func.func @window_contraction_kept_whole
// CHECK: %[[NEG:.*]] = linalg.generic
// CHECK: arith.negf
// CHECK: linalg.generic {{.*}} ins(%[[NEG]], %{{.*}} :
// CHECK-NOT: arith.negf
func.func @window_contraction_kept_whole(%w: tensor<3x3x2x8xf32>, %flat: tensor<2x100xf32>, %init: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %e = tensor.empty() : tensor<3x3x2x8xf32>
  %neg = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w : tensor<3x3x2x8xf32>) outs(%e : tensor<3x3x2x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<3x3x2x8xf32>
  %r = linalg.generic {indexing_maps = [#w5, #x5, #out5], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%neg, %flat : tensor<3x3x2x8xf32>, tensor<2x100xf32>) outs(%init : tensor<8x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// A per-channel producer read through a broadcast would be recomputed for
// every element it is broadcast to: it stays a small separate op.
#nc = affine_map<(n, c) -> (n, c)>
#c1 = affine_map<(n, c) -> (c)>
#id1 = affine_map<(c) -> (c)>
// CHECK-LABEL: func.func @broadcast_producer_kept
// CHECK: %[[INV:.*]] = linalg.generic
// CHECK: math.sqrt
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[INV]] :
// CHECK-NOT: math.sqrt
// CHECK: return
func.func @broadcast_producer_kept(%x: tensor<64x8xf32>, %var: tensor<8xf32>) -> tensor<64x8xf32> {
  %e1 = tensor.empty() : tensor<8xf32>
  %inv = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%var : tensor<8xf32>) outs(%e1 : tensor<8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = math.sqrt %v : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %e2 = tensor.empty() : tensor<64x8xf32>
  %y = linalg.generic {indexing_maps = [#nc, #c1, #nc], iterator_types = ["parallel", "parallel"]}
      ins(%x, %inv : tensor<64x8xf32>, tensor<8xf32>) outs(%e2 : tensor<64x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<64x8xf32>
  return %y : tensor<64x8xf32>
}

// A producer that other users keep materialized is recomputed in a consumer
// only while the fused op reads at most four tensors: here fusing the
// four-input sum into the two-input product would read five.
// CHECK-LABEL: func.func @shared_producer_many_reads
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK: %[[PROD:.*]] = linalg.generic {{.*}} ins(%[[SUM]], %{{.*}} :
// CHECK: return %[[SUM]], %[[PROD]]
func.func @shared_producer_many_reads(%a: tensor<16xf32>, %b: tensor<16xf32>, %c: tensor<16xf32>, %d: tensor<16xf32>, %e: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %e1 = tensor.empty() : tensor<16xf32>
  %sum = linalg.generic {indexing_maps = [#id1, #id1, #id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%a, %b, %c, %d : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) outs(%e1 : tensor<16xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32, %w: f32, %o: f32):
    %s1 = arith.addf %x, %y : f32
    %s2 = arith.addf %s1, %z : f32
    %s3 = arith.addf %s2, %w : f32
    linalg.yield %s3 : f32
  } -> tensor<16xf32>
  %e2 = tensor.empty() : tensor<16xf32>
  %prod = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%sum, %e : tensor<16xf32>, tensor<16xf32>) outs(%e2 : tensor<16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.mulf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<16xf32>
  return %sum, %prod : tensor<16xf32>, tensor<16xf32>
}
