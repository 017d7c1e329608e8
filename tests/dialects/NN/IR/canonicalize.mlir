// RUN: nnc-opt %s -canonicalize -split-input-file | FileCheck %s

//===----------------------------------------------------------------------===//
// nn.add
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @add_zero_rhs
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: nn.add
// CHECK: return %[[X]] : tensor<4xf32>
func.func @add_zero_rhs(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %0 = nn.add %x, %zero : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @add_zero_lhs
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf16>)
// CHECK-NOT: nn.add
// CHECK: return %[[X]] : tensor<2x3xf16>
func.func @add_zero_lhs(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  %zero = arith.constant dense<0.0> : tensor<2x3xf16>
  %0 = nn.add %zero, %x : tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// -----

// CHECK-LABEL: func.func @add_nonzero
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK: %[[SUM:.*]] = nn.add %[[X]], %[[ONE]] : tensor<4xf32>
// CHECK: return %[[SUM]]
func.func @add_nonzero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = arith.constant dense<1.0> : tensor<4xf32>
  %0 = nn.add %x, %one : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A constant that is zero only in some elements is no identity.
// CHECK-LABEL: func.func @add_partly_zero
// CHECK-SAME: (%[[X:.*]]: tensor<2xf32>)
// CHECK: %[[C:.*]] = arith.constant dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[SUM:.*]] = nn.add %[[X]], %[[C]] : tensor<2xf32>
// CHECK: return %[[SUM]]
func.func @add_partly_zero(%x: tensor<2xf32>) -> tensor<2xf32> {
  %c = arith.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %0 = nn.add %x, %c : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @add_non_constant
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[Y:.*]]: tensor<4xf32>)
// CHECK: %[[SUM:.*]] = nn.add %[[X]], %[[Y]] : tensor<4xf32>
// CHECK: return %[[SUM]]
func.func @add_non_constant(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.add %x, %y : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.neg
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @neg_neg
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: nn.neg
// CHECK: return %[[X]] : tensor<4xf32>
func.func @neg_neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.neg %x : tensor<4xf32>
  %1 = nn.neg %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @neg_neg_neg
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[N:.*]] = nn.neg %[[X]] : tensor<4xf32>
// CHECK-NOT: nn.neg
// CHECK: return %[[N]] : tensor<4xf32>
func.func @neg_neg_neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.neg %x : tensor<4xf32>
  %1 = nn.neg %0 : tensor<4xf32>
  %2 = nn.neg %1 : tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @neg_of_other
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[R:.*]] = nn.relu %[[X]] : tensor<4xf32>
// CHECK: %[[N:.*]] = nn.neg %[[R]] : tensor<4xf32>
// CHECK: return %[[N]]
func.func @neg_of_other(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.relu %x : tensor<4xf32>
  %1 = nn.neg %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.scale
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @scale_by_one
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: nn.scale
// CHECK: return %[[X]] : tensor<4xf32>
func.func @scale_by_one(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.scale %x by 1.0 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @scale_by_other
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[S:.*]] = nn.scale %[[X]] by -1.000000e+00 : tensor<4xf32>
// CHECK: return %[[S]]
func.func @scale_by_other(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.scale %x by -1.0 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @scale_scale
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[S:.*]] = nn.scale %[[X]] by 6.000000e+00 : tensor<4xf32>
// CHECK-NOT: nn.scale
// CHECK: return %[[S]]
func.func @scale_scale(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.scale %x by 2.0 : tensor<4xf32>
  %1 = nn.scale %0 by 3.0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Composing to a factor of 1 leaves nothing.
// CHECK-LABEL: func.func @scale_scale_inverse
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: nn.scale
// CHECK: return %[[X]] : tensor<4xf32>
func.func @scale_scale_inverse(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.scale %x by 4.0 : tensor<4xf32>
  %1 = nn.scale %0 by 0.25 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// The inner scale stays for its other use.
// CHECK-LABEL: func.func @scale_scale_multi_use
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-DAG: %[[INNER:.*]] = nn.scale %[[X]] by 2.000000e+00 : tensor<4xf32>
// CHECK-DAG: %[[OUTER:.*]] = nn.scale %[[X]] by 1.000000e+01 : tensor<4xf32>
// CHECK: return %[[INNER]], %[[OUTER]]
func.func @scale_scale_multi_use(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = nn.scale %x by 2.0 : tensor<4xf32>
  %1 = nn.scale %0 by 5.0 : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @scale_of_other
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[E:.*]] = nn.exp %[[X]] : tensor<4xf32>
// CHECK: %[[S:.*]] = nn.scale %[[E]] by 3.000000e+00 : tensor<4xf32>
// CHECK: return %[[S]]
func.func @scale_of_other(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.exp %x : tensor<4xf32>
  %1 = nn.scale %0 by 3.0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @scale_neg
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: nn.neg
// CHECK: %[[S:.*]] = nn.scale %[[X]] by -2.000000e+00 : tensor<4xf32>
// CHECK-NOT: nn.neg
// CHECK: return %[[S]]
func.func @scale_neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.neg %x : tensor<4xf32>
  %1 = nn.scale %0 by 2.0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// scale(neg(x), -1) is x.
// CHECK-LABEL: func.func @scale_neg_minus_one
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: nn.neg
// CHECK-NOT: nn.scale
// CHECK: return %[[X]] : tensor<4xf32>
func.func @scale_neg_minus_one(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.neg %x : tensor<4xf32>
  %1 = nn.scale %0 by -1.0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// A negation of a scale is left alone: only scale(neg(x)) is rewritten.
// CHECK-LABEL: func.func @neg_scale
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[S:.*]] = nn.scale %[[X]] by 2.000000e+00 : tensor<4xf32>
// CHECK: %[[N:.*]] = nn.neg %[[S]] : tensor<4xf32>
// CHECK: return %[[N]]
func.func @neg_scale(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.scale %x by 2.0 : tensor<4xf32>
  %1 = nn.neg %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.transpose
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @transpose_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NOT: nn.transpose
// CHECK: return %[[X]] : tensor<2x3x4xf32>
func.func @transpose_identity(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = nn.transpose %x [0, 1, 2] : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Swapping two equal dimensions keeps the type but is no identity.
// CHECK-LABEL: func.func @transpose_non_identity
// CHECK-SAME: (%[[X:.*]]: tensor<3x3xf32>)
// CHECK: %[[T:.*]] = nn.transpose %[[X]] [1, 0] : tensor<3x3xf32> -> tensor<3x3xf32>
// CHECK: return %[[T]]
func.func @transpose_non_identity(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %0 = nn.transpose %x [1, 0] : tensor<3x3xf32> -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.reshape
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @reshape_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: nn.reshape
// CHECK: return %[[X]] : tensor<2x3xf32>
func.func @reshape_same_type(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.reshape %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_other_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[R:.*]] = nn.reshape %[[X]] : tensor<2x3xf32> -> tensor<6xf32>
// CHECK: return %[[R]]
func.func @reshape_other_type(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %0 = nn.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK: %[[R:.*]] = nn.reshape %[[X]] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK-NOT: nn.reshape
// CHECK: return %[[R]]
func.func @reshape_reshape(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = nn.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = nn.reshape %0 : tensor<6xf32> -> tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// -----

// Reshaping back to the original shape leaves nothing.
// CHECK-LABEL: func.func @reshape_round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: nn.reshape
// CHECK: return %[[X]] : tensor<2x3xf32>
func.func @reshape_round_trip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = nn.reshape %0 : tensor<6xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// The inner reshape stays for its other use.
// CHECK-LABEL: func.func @reshape_reshape_multi_use
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-DAG: %[[FLAT:.*]] = nn.reshape %[[X]] : tensor<2x3xf32> -> tensor<6xf32>
// CHECK-DAG: %[[R:.*]] = nn.reshape %[[X]] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK: return %[[FLAT]], %[[R]]
func.func @reshape_reshape_multi_use(%x: tensor<2x3xf32>) -> (tensor<6xf32>, tensor<3x2xf32>) {
  %0 = nn.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  %1 = nn.reshape %0 : tensor<6xf32> -> tensor<3x2xf32>
  return %0, %1 : tensor<6xf32>, tensor<3x2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.broadcast
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @broadcast_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: nn.broadcast
// CHECK: return %[[X]] : tensor<2x3xf32>
func.func @broadcast_same_type(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = nn.broadcast %x dims [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_new_dim
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>)
// CHECK: %[[B:.*]] = nn.broadcast %[[X]] dims [1] : tensor<3xf32> -> tensor<2x3xf32>
// CHECK: return %[[B]]
func.func @broadcast_new_dim(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = nn.broadcast %x dims [1] : tensor<3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
