// RUN: nnc-opt %s --split-input-file --nnc-duplicate-init-tensors | FileCheck %s
// RUN: nnc-opt %s --split-input-file --nnc-duplicate-init-tensors \
// RUN:   --one-shot-bufferize="allow-return-allocs-from-loops" | FileCheck %s --check-prefix=BUF

// Two products accumulate into one zero tensor: each gets its own fill of
// its own empty tensor, so bufferization gives each a buffer and a fill,
// and copies nothing.

// CHECK-LABEL: func.func @shared_fill
// CHECK-SAME: (%[[A:[^:]*]]: tensor<4x8xf32>, %[[B:[^:]*]]: tensor<8x16xf32>
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK: %[[F0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E0]] : tensor<4x16xf32>)
// CHECK: linalg.matmul ins(%[[A]], %[[B]] : {{.*}}) outs(%[[F0]] : tensor<4x16xf32>)
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK: %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<4x16xf32>)
// CHECK: linalg.matmul ins(%[[A]], %{{.*}} : {{.*}}) outs(%[[F1]] : tensor<4x16xf32>)

// BUF-LABEL: func.func @shared_fill
// BUF-NOT: memref.copy
// BUF-COUNT-2: linalg.fill
// BUF-NOT: memref.copy
func.func @shared_fill(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>,
                       %c: tensor<8x16xf32>)
    -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>)
                     outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %1 = linalg.matmul ins(%a, %c : tensor<4x8xf32>, tensor<8x16xf32>)
                     outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// A dynamically sized empty tensor is cloned with its size, including into
// a user inside a loop.

// CHECK-LABEL: func.func @dynamic_empty
// BUF-LABEL: func.func @dynamic_empty
// CHECK-SAME: (%[[N:[^:]*]]: index
// CHECK: %[[E0:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK: linalg.generic {{.*}} outs(%[[E0]] : tensor<?xf32>)
// CHECK: scf.for
// CHECK: %[[E1:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK: linalg.generic {{.*}} outs(%[[E1]] : tensor<?xf32>)
#map = affine_map<(d0) -> (d0)>
func.func @dynamic_empty(%n: index, %x: tensor<?xf32>, %steps: index)
    -> (tensor<?xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %e = tensor.empty(%n) : tensor<?xf32>
  %0 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.negf %in : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %1 = scf.for %i = %c0 to %steps step %c1 iter_args(%acc = %x) -> tensor<?xf32> {
    %2 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
        ins(%acc : tensor<?xf32>) outs(%e : tensor<?xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %in, %in : f32
      linalg.yield %s : f32
    } -> tensor<?xf32>
    scf.yield %2 : tensor<?xf32>
  }
  return %0, %1 : tensor<?xf32>, tensor<?xf32>
}

// -----

// @negative_fill_of_argument: a fill into a tensor that is not empty (here an
// argument) is not an init to repeat; it stays shared, while the empty
// tensor of its two users is repeated.

// CHECK-LABEL: func.func @negative_fill_of_argument
// CHECK-COUNT-1: linalg.fill
// CHECK-NOT: linalg.fill
// CHECK: tensor.empty
// CHECK: linalg.add
// CHECK: tensor.empty
// CHECK: linalg.mul
func.func @negative_fill_of_argument(%t: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%t : tensor<4xf32>) -> tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %0 = linalg.add ins(%f, %f : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %1 = linalg.mul ins(%f, %f : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}
