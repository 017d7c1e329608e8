// RUN: nnc-opt %s --nnc-split-reductions --split-input-file | FileCheck %s
// RUN: nnc-opt %s --nnc-split-reductions=min-leading=32 --split-input-file | FileCheck %s --check-prefix=MIN32
// RUN: nnc-opt %s --nnc-split-reductions=threads=2 --split-input-file | FileCheck %s --check-prefix=THREADS
// RUN: nnc-opt %s "--nnc-split-reductions=min-leading=32 threads=2" --split-input-file | FileCheck %s --check-prefix=MIN32

#x = affine_map<(n, c, h, w) -> (n, c, h, w)>
#c = affine_map<(n, c, h, w) -> (c)>

// [n, c, h, w] -> [c], two results (a sum and a max): stage 1 reduces n
// into [c, h, w] partials that start from 0 and -inf, stage 2 reduces h and
// w of the partials into the original accumulators with the same combining
// ops.
// CHECK-DAG: #[[$ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$CHW:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG: #[[$ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @bias_grad
// CHECK-SAME: (%[[DY:.*]]: tensor<16x4x3x5xf32>, %[[M:.*]]: tensor<16x4x3x5xf32>)
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) {{.*}} -> tensor<4xf32>
// CHECK: %[[P0:.*]] = linalg.fill ins(%[[ZERO]] : f32) {{.*}} -> tensor<4x3x5xf32>
// CHECK: %[[P1:.*]] = linalg.fill ins(%[[NEGINF]] : f32) {{.*}} -> tensor<4x3x5xf32>
// CHECK: %[[S1:.*]]:2 = linalg.generic {indexing_maps = [#[[$ID4]], #[[$ID4]], #[[$CHW]], #[[$CHW]]], iterator_types = ["reduction", "parallel", "parallel", "parallel"]} ins(%[[DY]], %[[M]] : {{.*}}) outs(%[[P0]], %[[P1]] : {{.*}})
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: %[[S2:.*]]:2 = linalg.generic {indexing_maps = [#[[$ID3]], #[[$ID3]], #[[$C]], #[[$C]]], iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[S1]]#0, %[[S1]]#1 : {{.*}}) outs(%[[INIT]], %[[INIT]] : {{.*}})
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[OA:.*]]: f32, %[[OB:.*]]: f32):
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[OA]], %[[A]]
// CHECK-NEXT: %[[MAX:.*]] = arith.maximumf %[[OB]], %[[B]]
// CHECK-NEXT: linalg.yield %[[SUM]], %[[MAX]]
// CHECK: return %[[S2]]#0, %[[S2]]#1

// A leading extent of 16 is below min-leading=32: unchanged.
// MIN32-LABEL: func.func @bias_grad
// MIN32: linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction", "reduction"]
// MIN32-NOT: linalg.generic
// MIN32: return
func.func @bias_grad(%dy: tensor<16x4x3x5xf32>, %mask: tensor<16x4x3x5xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r:2 = linalg.generic {indexing_maps = [#x, #x, #c, #c], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%dy, %mask : tensor<16x4x3x5xf32>, tensor<16x4x3x5xf32>) outs(%z, %z : tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: f32, %m: f32, %s: f32, %q: f32):
    %p = arith.mulf %a, %m : f32
    %s2 = arith.addf %s, %p : f32
    %pp = arith.mulf %p, %p : f32
    %q2 = arith.maximumf %pp, %q : f32
    linalg.yield %s2, %q2 : f32, f32
  } -> (tensor<4xf32>, tensor<4xf32>)
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Only leading reductions ([n, c] -> [c]): already vertical, unchanged.
#nc = affine_map<(n, c) -> (n, c)>
#c2 = affine_map<(n, c) -> (c)>
// CHECK-LABEL: func.func @negative_leading_only
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @negative_leading_only(%x: tensor<16x4xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#nc, #c2], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<16x4xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %s2 = arith.addf %s, %a : f32
    linalg.yield %s2 : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// The accumulator is used twice (not a plain combine): unchanged.
#x = affine_map<(n, c, w) -> (n, c, w)>
#c = affine_map<(n, c, w) -> (c)>
// CHECK-LABEL: func.func @negative_accumulator_reused
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @negative_accumulator_reused(%x: tensor<16x4x8xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#x, #c], iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%x : tensor<16x4x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %s: f32):
    %p = arith.mulf %a, %s : f32
    %s2 = arith.addf %s, %p : f32
    linalg.yield %s2 : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// [n, h, w, c] -> [c] (channels-last statistics), with threads=2: the
// outermost dimension becomes parallel partials [n, c] (which threads can
// split), starting from 0 and -inf; a second op reduces them over n. On one
// thread, unchanged.
#nhwc = affine_map<(n, h, w, c) -> (n, h, w, c)>
#cl = affine_map<(n, h, w, c) -> (c)>
// THREADS-LABEL: func.func @channels_last_statistics
// THREADS-SAME: (%[[X:.*]]: tensor<16x3x5x4xf32>)
// THREADS: %[[P0:.*]] = linalg.fill ins(%{{.*}} : f32) {{.*}} -> tensor<16x4xf32>
// THREADS: %[[P1:.*]] = linalg.fill ins(%{{.*}} : f32) {{.*}} -> tensor<16x4xf32>
// THREADS: %[[S1:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%[[X]] : {{.*}}) outs(%[[P0]], %[[P1]] : tensor<16x4xf32>, tensor<16x4xf32>)
// THREADS: %[[S2:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[S1]]#0, %[[S1]]#1 : {{.*}}) outs({{.*}} : tensor<4xf32>, tensor<4xf32>)
// THREADS-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[OA:.*]]: f32, %[[OB:.*]]: f32):
// THREADS-NEXT: %[[SUM:.*]] = arith.addf %[[OA]], %[[A]]
// THREADS-NEXT: %[[MAX:.*]] = arith.maximumf %[[OB]], %[[B]]
// THREADS: return %[[S2]]#0, %[[S2]]#1

// CHECK-LABEL: func.func @channels_last_statistics
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "reduction", "parallel"]
// CHECK-NOT: linalg.generic
// CHECK: return
// An outermost extent of 16 is below min-leading=32: unchanged.
// MIN32-LABEL: func.func @channels_last_statistics
// MIN32: linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "reduction", "parallel"]
// MIN32-NOT: linalg.generic
// MIN32: return
func.func @channels_last_statistics(%x: tensor<16x3x5x4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %m = linalg.fill ins(%ninf : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r:2 = linalg.generic {indexing_maps = [#nhwc, #cl, #cl], iterator_types = ["reduction", "reduction", "reduction", "parallel"]}
      ins(%x : tensor<16x3x5x4xf32>) outs(%z, %m : tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: f32, %s: f32, %q: f32):
    %s2 = arith.addf %s, %a : f32
    %q2 = arith.maximumf %q, %a : f32
    linalg.yield %s2, %q2 : f32, f32
  } -> (tensor<4xf32>, tensor<4xf32>)
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

#x = affine_map<(m, n) -> (m, n)>
#s = affine_map<(m, n) -> ()>

// A full reduction (a gradient's squared norm, [m, n] -> []): stage 1
// reduces m into [n] partials, stage 2 reduces those into the scalar.
// CHECK-DAG: #[[$MN:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$N:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$S:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @squared_norm
// CHECK: %[[P:.*]] = linalg.fill {{.*}} -> tensor<24xf32>
// CHECK: %[[S1:.*]] = linalg.generic {indexing_maps = [#[[$MN]], #[[$N]]], iterator_types = ["reduction", "parallel"]} {{.*}} outs(%[[P]] : tensor<24xf32>)
// CHECK: arith.mulf
// CHECK: linalg.generic {indexing_maps = [#[[$ID1]], #[[$S]]], iterator_types = ["reduction"]} ins(%[[S1]] : tensor<24xf32>)
// MIN32-LABEL: func.func @squared_norm
// MIN32-NOT: tensor<24xf32>
func.func @squared_norm(%g: tensor<16x24xf32>, %init: tensor<f32>) -> tensor<f32> {
  %0 = linalg.generic {indexing_maps = [#x, #s], iterator_types = ["reduction", "reduction"]}
      ins(%g : tensor<16x24xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %sum = arith.addf %acc, %sq : f32
    linalg.yield %sum : f32
  } -> tensor<f32>
  return %0 : tensor<f32>
}
