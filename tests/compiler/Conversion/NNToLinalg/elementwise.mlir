// RUN: nnc-opt %s --convert-nn-to-linalg | FileCheck %s

// Elementwise nn ops become one parallel linalg.generic over the result's
// shape, into a tensor.empty, with the scalar computation as its body.
// Independent scalar ops are matched in any order (DAG checks): their order
// in the body follows the C++ evaluation order of the lowering's arguments.

// CHECK-DAG: #[[$ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ID0:.*]] = affine_map<() -> ()>

// CHECK-LABEL: func.func @add
// CHECK-SAME: (%[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<4x3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x3xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ID2]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[B]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%[[E]] : tensor<4x3xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
// CHECK-NOT: nn.
func.func @add(%a: tensor<4x3xf32>, %b: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.add %a, %b : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// CHECK-LABEL: func.func @sub_mul_div
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.subf %[[X]], %[[Y]] : f32
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.mulf %[[X]], %[[Y]] : f32
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.divf %[[X]], %[[Y]] : f32
func.func @sub_mul_div(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.sub %a, %b : tensor<4xf32>
  %1 = nn.mul %0, %b : tensor<4xf32>
  %2 = nn.div %1, %b : tensor<4xf32>
  return %2 : tensor<4xf32>
}

// CHECK-LABEL: func.func @unary_math
// CHECK: linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]]], iterator_types = ["parallel"]}
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.negf %[[X]] : f32
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.exp %[[X]] : f32
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.log %[[X]] : f32
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.sqrt %[[X]] : f32
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: math.tanh %[[X]] : f32
func.func @unary_math(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.neg %x : tensor<4xf32>
  %1 = nn.exp %0 : tensor<4xf32>
  %2 = nn.log %1 : tensor<4xf32>
  %3 = nn.sqrt %2 : tensor<4xf32>
  %4 = nn.tanh %3 : tensor<4xf32>
  return %4 : tensor<4xf32>
}

// The body works in the tensor's element type.
// CHECK-LABEL: func.func @scale_f64
// CHECK: ^bb0(%[[X:.*]]: f64, %{{.*}}: f64):
// CHECK-DAG: %[[C:.*]] = arith.constant 5.000000e-01 : f64
// CHECK-DAG: %[[R:.*]] = arith.mulf %[[X]], %[[C]] : f64
// CHECK: linalg.yield %[[R]] : f64
func.func @scale_f64(%x: tensor<4xf64>) -> tensor<4xf64> {
  %0 = nn.scale %x by 0.5 : tensor<4xf64>
  return %0 : tensor<4xf64>
}

// A 0-d tensor gives a generic with no loops.
// CHECK-LABEL: func.func @scalar
// CHECK: linalg.generic {indexing_maps = [#[[$ID0]], #[[$ID0]]], iterator_types = []} ins(%{{.*}} : tensor<f32>)
// CHECK: math.exp
func.func @scalar(%x: tensor<f32>) -> tensor<f32> {
  %0 = nn.exp %x : tensor<f32>
  return %0 : tensor<f32>
}

// relu: max(x, 0).
// CHECK-LABEL: func.func @relu
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[R:.*]] = arith.maximumf %[[X]], %[[ZERO]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @relu(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = nn.relu %x : tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// leaky_relu: x > 0 ? x : slope * x.
// CHECK-LABEL: func.func @leaky_relu
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[SLOPE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[POS:.*]] = arith.cmpf ogt, %[[X]], %[[ZERO]] : f32
// CHECK-DAG: %[[NEG:.*]] = arith.mulf %[[X]], %[[SLOPE]] : f32
// CHECK-DAG: %[[R:.*]] = arith.select %[[POS]], %[[X]], %[[NEG]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @leaky_relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.leaky_relu %x slope 0.25 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// sigmoid: 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @sigmoid
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[NX:.*]] = arith.negf %[[X]] : f32
// CHECK-DAG: %[[E:.*]] = math.exp %[[NX]] : f32
// CHECK-DAG: %[[D:.*]] = arith.addf %{{.*}}, %[[E]] : f32
// CHECK-DAG: %[[R:.*]] = arith.divf %{{.*}}, %[[D]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @sigmoid(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.sigmoid %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// silu: x * sigmoid(x).
// CHECK-LABEL: func.func @silu
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[NX:.*]] = arith.negf %[[X]] : f32
// CHECK-DAG: %[[E:.*]] = math.exp %[[NX]] : f32
// CHECK-DAG: %[[D:.*]] = arith.addf %{{.*}}, %[[E]] : f32
// CHECK-DAG: %[[S:.*]] = arith.divf %{{.*}}, %[[D]] : f32
// CHECK-DAG: %[[R:.*]] = arith.mulf %[[X]], %[[S]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @silu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.silu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// gelu: x * 0.5 * (1 + erf(x / sqrt(2))).
// CHECK-LABEL: func.func @gelu
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[K:.*]] = arith.constant 0.707106{{[0-9]*}} : f32
// CHECK-DAG: %[[XK:.*]] = arith.mulf %[[X]], %[[K]] : f32
// CHECK-DAG: %[[ERF:.*]] = math.erf %[[XK]] : f32
// CHECK-DAG: %[[PHI:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK-DAG: %[[R:.*]] = arith.mulf %[[X]], %[[PHI]] : f32
// CHECK: linalg.yield %[[R]] : f32
// CHECK-NOT: math.tanh
func.func @gelu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.gelu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// gelu {tanh}: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
// CHECK-LABEL: func.func @gelu_tanh
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NOT: math.erf
// CHECK-DAG: arith.constant 0.797884{{[0-9]*}} : f32
// CHECK-DAG: arith.constant 4.471500e-02 : f32
// CHECK-DAG: %[[T:.*]] = math.tanh %{{.*}} : f32
// CHECK-DAG: %[[ONEPT:.*]] = arith.addf %{{.*}}, %[[T]] : f32
// CHECK-DAG: %[[R:.*]] = arith.mulf %{{.*}}, %[[ONEPT]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @gelu_tanh(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.gelu %x {tanh} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// softplus: beta x > threshold ? x : (max(bx, 0) + log1p(exp(-|bx|))) / beta.
// CHECK-LABEL: func.func @softplus
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[BETA:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG: %[[THR:.*]] = arith.constant 1.000000e+01 : f32
// CHECK-DAG: %[[INV:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[BX:.*]] = arith.mulf %[[X]], %[[BETA]] : f32
// CHECK-DAG: %[[ABS:.*]] = math.absf %[[BX]] : f32
// CHECK-DAG: %[[L1P:.*]] = math.log1p %{{.*}} : f32
// CHECK-DAG: %[[BIG:.*]] = arith.cmpf ogt, %[[BX]], %[[THR]] : f32
// CHECK-DAG: %[[SOFT:.*]] = arith.mulf %{{.*}}, %[[INV]] : f32
// CHECK-DAG: %[[R:.*]] = arith.select %[[BIG]], %[[X]], %[[SOFT]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @softplus(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.softplus %x beta 2.0 threshold 10.0 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// elu: x > 0 ? x : alpha * expm1(x).
// CHECK-LABEL: func.func @elu
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[ALPHA:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[EM1:.*]] = math.expm1 %[[X]] : f32
// CHECK-DAG: %[[NEG:.*]] = arith.mulf %[[ALPHA]], %[[EM1]] : f32
// CHECK-DAG: %[[POS:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK-DAG: %[[R:.*]] = arith.select %[[POS]], %[[X]], %[[NEG]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @elu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.elu %x alpha 0.5 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// nn.activation_grad: f'(x) * dy from the forward input x and output y.
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @relu_grad
// CHECK: linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]], #[[$ID1]], #[[$ID1]]], iterator_types = ["parallel"]}
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[POS:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK-DAG: %[[R:.*]] = arith.select %[[POS]], %[[DY]], %{{.*}} : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @relu_grad(%x: tensor<4xf32>, %y: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.activation_grad relu %x, %y, %dy : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @leaky_relu_grad
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[ALPHA:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[POS:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK-DAG: %[[NEG:.*]] = arith.mulf %[[DY]], %[[ALPHA]] : f32
// CHECK-DAG: %[[R:.*]] = arith.select %[[POS]], %[[DY]], %[[NEG]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @leaky_relu_grad(%x: tensor<4xf32>, %y: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.activation_grad leaky_relu %x, %y, %dy {alpha = 0.25 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// sigmoid' = y (1 - y), from the output only.
// CHECK-LABEL: func.func @sigmoid_grad
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-NOT: math.exp
// CHECK-DAG: %[[OMY:.*]] = arith.subf %{{.*}}, %[[Y]] : f32
// CHECK-DAG: %[[D:.*]] = arith.mulf %[[Y]], %[[OMY]] : f32
// CHECK-DAG: %[[R:.*]] = arith.mulf %[[DY]], %[[D]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @sigmoid_grad(%x: tensor<4xf32>, %y: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.activation_grad sigmoid %x, %y, %dy : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// tanh' = 1 - y^2, from the output only.
// CHECK-LABEL: func.func @tanh_grad
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-NOT: math.tanh
// CHECK-DAG: %[[Y2:.*]] = arith.mulf %[[Y]], %[[Y]] : f32
// CHECK-DAG: %[[D:.*]] = arith.subf %{{.*}}, %[[Y2]] : f32
// CHECK-DAG: %[[R:.*]] = arith.mulf %[[DY]], %[[D]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @tanh_grad(%x: tensor<4xf32>, %y: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.activation_grad tanh %x, %y, %dy : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// elu' = 1 for x > 0, y + alpha elsewhere.
// CHECK-LABEL: func.func @elu_grad
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[ALPHA:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[POS:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : f32
// CHECK-DAG: %[[YA:.*]] = arith.addf %[[Y]], %[[ALPHA]] : f32
// CHECK-DAG: %[[NEG:.*]] = arith.mulf %[[DY]], %[[YA]] : f32
// CHECK-DAG: %[[R:.*]] = arith.select %[[POS]], %[[DY]], %[[NEG]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @elu_grad(%x: tensor<4xf32>, %y: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.activation_grad elu %x, %y, %dy {alpha = 0.5 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// softplus' = sigmoid(beta x), or 1 above the threshold.
// CHECK-LABEL: func.func @softplus_grad
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[BETA:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG: %[[THR:.*]] = arith.constant 1.000000e+01 : f32
// CHECK-DAG: %[[BX:.*]] = arith.mulf %[[X]], %[[BETA]] : f32
// CHECK-DAG: %[[BIG:.*]] = arith.cmpf ogt, %[[BX]], %[[THR]] : f32
// CHECK-DAG: %[[NBX:.*]] = arith.negf %[[BX]] : f32
// CHECK-DAG: %[[SIG:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK-DAG: %[[SMALL:.*]] = arith.mulf %[[DY]], %[[SIG]] : f32
// CHECK-DAG: %[[R:.*]] = arith.select %[[BIG]], %[[DY]], %[[SMALL]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @softplus_grad(%x: tensor<4xf32>, %y: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
  %0 = nn.activation_grad softplus %x, %y, %dy {beta = 2.0 : f64, threshold = 10.0 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// silu' = s (1 + x (1 - s)) with s = sigmoid(x); gelu' = Phi(x) + x phi(x);
// gelu_tanh' differentiates the tanh form.
// CHECK-LABEL: func.func @smooth_grads
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK: math.exp
// CHECK: %[[R:.*]] = arith.mulf %[[DY]], %{{.*}} : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: math.erf
// CHECK-DAG: arith.constant -5.000000e-01 : f32
// CHECK: %[[R:.*]] = arith.mulf %[[DY]], %{{.*}} : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: math.tanh
// CHECK-DAG: arith.constant 1.341450e-01 : f32
// CHECK: %[[R:.*]] = arith.mulf %[[DY]], %{{.*}} : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @smooth_grads(%x: tensor<4xf32>, %y: tensor<4xf32>, %dy: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = nn.activation_grad silu %x, %y, %dy : tensor<4xf32>
  %1 = nn.activation_grad gelu %x, %y, %dy : tensor<4xf32>
  %2 = nn.activation_grad gelu_tanh %x, %y, %dy : tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
