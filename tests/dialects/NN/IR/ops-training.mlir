// RUN: nnc-opt %s --verify-roundtrip | FileCheck %s
// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// RUN: nnc-opt %s --mlir-print-op-generic | nnc-opt | FileCheck %s

// Round trip of the training-step ops: nn.one_hot, nn.activation_grad,
// nn.clip_grad_norm, nn.sgd_update and nn.adam_update. Attributes equal to
// their defaults are not printed.

// CHECK-LABEL: func.func @one_hot
// CHECK-SAME: (%[[Y:.*]]: tensor<4xi32>, %[[Y2:.*]]: tensor<2x3xi64>)
func.func @one_hot(%y: tensor<4xi32>, %y2: tensor<2x3xi64>) -> (tensor<4x10xf32>, tensor<2x3x5xf16>) {
  // CHECK: %[[H:.*]] = nn.one_hot %[[Y]] : tensor<4xi32> -> tensor<4x10xf32>
  %0 = nn.one_hot %y : tensor<4xi32> -> tensor<4x10xf32>
  // CHECK: %[[H2:.*]] = nn.one_hot %[[Y2]] : tensor<2x3xi64> -> tensor<2x3x5xf16>
  %1 = nn.one_hot %y2 : tensor<2x3xi64> -> tensor<2x3x5xf16>
  // CHECK: return %[[H]], %[[H2]]
  return %0, %1 : tensor<4x10xf32>, tensor<2x3x5xf16>
}

// CHECK-LABEL: func.func @activation_grad
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4x3xf32>, %[[Y:[^:]*]]: tensor<4x3xf32>, %[[DY:[^:]*]]: tensor<4x3xf32>, %{{.*}}: tensor<2xf16>)
func.func @activation_grad(%x: tensor<4x3xf32>, %y: tensor<4x3xf32>, %dy: tensor<4x3xf32>, %x16: tensor<2xf16>) {
  // CHECK: nn.activation_grad relu %[[X]], %[[Y]], %[[DY]] : tensor<4x3xf32>
  %0 = nn.activation_grad relu %x, %y, %dy : tensor<4x3xf32>
  // CHECK: nn.activation_grad leaky_relu %[[X]], %[[Y]], %[[DY]] {alpha = 1.000000e-01 : f64} : tensor<4x3xf32>
  %1 = nn.activation_grad leaky_relu %x, %y, %dy {alpha = 0.1 : f64} : tensor<4x3xf32>
  // CHECK: nn.activation_grad sigmoid %[[X]], %[[Y]], %[[DY]] : tensor<4x3xf32>
  %2 = nn.activation_grad sigmoid %x, %y, %dy : tensor<4x3xf32>
  // CHECK: nn.activation_grad tanh %[[X]], %[[Y]], %[[DY]] : tensor<4x3xf32>
  %3 = nn.activation_grad tanh %x, %y, %dy : tensor<4x3xf32>
  // CHECK: nn.activation_grad silu %[[X]], %[[Y]], %[[DY]] : tensor<4x3xf32>
  %4 = nn.activation_grad silu %x, %y, %dy : tensor<4x3xf32>
  // CHECK: nn.activation_grad gelu %[[X]], %[[Y]], %[[DY]] : tensor<4x3xf32>
  %5 = nn.activation_grad gelu %x, %y, %dy : tensor<4x3xf32>
  // CHECK: nn.activation_grad gelu_tanh %[[X]], %[[Y]], %[[DY]] : tensor<4x3xf32>
  %6 = nn.activation_grad gelu_tanh %x, %y, %dy : tensor<4x3xf32>
  // CHECK: nn.activation_grad softplus %[[X]], %[[Y]], %[[DY]] {beta = 2.000000e+00 : f64, threshold = 5.000000e+00 : f64} : tensor<4x3xf32>
  %7 = nn.activation_grad softplus %x, %y, %dy {beta = 2.0 : f64, threshold = 5.0 : f64} : tensor<4x3xf32>
  // CHECK: nn.activation_grad elu %[[X]], %[[Y]], %[[DY]] {alpha = 1.000000e+00 : f64} : tensor<4x3xf32>
  %8 = nn.activation_grad elu %x, %y, %dy {alpha = 1.0 : f64} : tensor<4x3xf32>
  // Default-valued attributes are elided.
  // CHECK: nn.activation_grad softplus %[[X]], %[[Y]], %[[DY]] : tensor<4x3xf32>
  %9 = nn.activation_grad softplus %x, %y, %dy {alpha = 0.0 : f64, beta = 1.0 : f64, threshold = 20.0 : f64} : tensor<4x3xf32>
  // CHECK: nn.activation_grad relu {{.*}} : tensor<2xf16>
  %10 = nn.activation_grad relu %x16, %x16, %x16 : tensor<2xf16>
  return
}

// The clipped gradients keep their types; the norm is a scalar of their
// element type.
// CHECK-LABEL: func.func @clip_grad_norm
// CHECK-SAME: (%[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3xf32>, %[[C:.*]]: tensor<2xf64>)
func.func @clip_grad_norm(%a: tensor<4x3xf32>, %b: tensor<3xf32>, %c: tensor<2xf64>)
    -> (tensor<4x3xf32>, tensor<3xf32>, tensor<f32>, tensor<2xf64>, tensor<f64>) {
  // CHECK: %[[CL:.*]]:2, %[[N:.*]] = nn.clip_grad_norm %[[A]], %[[B]] max_norm 1.000000e+00 : tensor<4x3xf32>, tensor<3xf32>
  %0:3 = nn.clip_grad_norm %a, %b max_norm 1.0 : tensor<4x3xf32>, tensor<3xf32>
  // CHECK: %[[CL1:.*]], %[[N1:.*]] = nn.clip_grad_norm %[[C]] max_norm 5.000000e-01 : tensor<2xf64>
  %1:2 = nn.clip_grad_norm %c max_norm 0.5 : tensor<2xf64>
  // CHECK: return %[[CL]]#0, %[[CL]]#1, %[[N]], %[[CL1]], %[[N1]] : tensor<4x3xf32>, tensor<3xf32>, tensor<f32>, tensor<2xf64>, tensor<f64>
  return %0#0, %0#1, %0#2, %1#0, %1#1 : tensor<4x3xf32>, tensor<3xf32>, tensor<f32>, tensor<2xf64>, tensor<f64>
}

// One f64 RMS per gradient, whatever their element types.
// CHECK-LABEL: func.func @gradient_rms
// CHECK-SAME: (%[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3xf64>)
func.func @gradient_rms(%a: tensor<4x3xf32>, %b: tensor<3xf64>) -> tensor<2xf64> {
  // CHECK: nn.gradient_rms %[[A]], %[[B]] : tensor<4x3xf32>, tensor<3xf64> -> tensor<2xf64>
  %0 = nn.gradient_rms %a, %b : tensor<4x3xf32>, tensor<3xf64> -> tensor<2xf64>
  return %0 : tensor<2xf64>
}

// CHECK-LABEL: func.func @sgd_update
// CHECK-SAME: (%[[P:.*]]: tensor<4x3xf32>, %[[G:.*]]: tensor<4x3xf32>, %[[M:.*]]: tensor<4x3xf32>, %[[LR:.*]]: tensor<f32>, %[[S:.*]]: tensor<f32>)
func.func @sgd_update(%p: tensor<4x3xf32>, %g: tensor<4x3xf32>, %m: tensor<4x3xf32>, %lr: tensor<f32>, %s: tensor<f32>) {
  // CHECK: %{{.*}}, %{{.*}} = nn.sgd_update %[[P]], %[[G]], %[[M]], %[[LR]], %[[S]] : tensor<4x3xf32>, tensor<f32>
  %0:2 = nn.sgd_update %p, %g, %m, %lr, %s : tensor<4x3xf32>, tensor<f32>
  // CHECK: nn.sgd_update %[[P]], %[[G]], %[[M]], %[[LR]], %[[S]] {dampening = 1.000000e-01 : f64, momentum = 9.000000e-01 : f64, nesterov, weight_decay = 1.000000e-02 : f64} : tensor<4x3xf32>, tensor<f32>
  %1:2 = nn.sgd_update %p, %g, %m, %lr, %s {momentum = 0.9 : f64, dampening = 0.1 : f64, nesterov, weight_decay = 0.01 : f64} : tensor<4x3xf32>, tensor<f32>
  return
}

// Half-precision parameters with f32 lr and step.
// CHECK-LABEL: func.func @sgd_update_f16
// CHECK: nn.sgd_update {{.*}} {momentum = 5.000000e-01 : f64} : tensor<8xf16>, tensor<f32>
func.func @sgd_update_f16(%p: tensor<8xf16>, %lr: tensor<f32>) {
  %0:2 = nn.sgd_update %p, %p, %p, %lr, %lr {momentum = 0.5 : f64} : tensor<8xf16>, tensor<f32>
  return
}

// CHECK-LABEL: func.func @adam_update
// CHECK-SAME: (%[[P:.*]]: tensor<3xf32>, %[[G:.*]]: tensor<3xf32>, %[[M:.*]]: tensor<3xf32>, %[[V:.*]]: tensor<3xf32>, %[[LR:.*]]: tensor<f32>, %[[S:.*]]: tensor<f32>)
func.func @adam_update(%p: tensor<3xf32>, %g: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>, %lr: tensor<f32>, %s: tensor<f32>)
    -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  // CHECK: %[[R0:.*]], %[[R1:.*]], %[[R2:.*]] = nn.adam_update %[[P]], %[[G]], %[[M]], %[[V]], %[[LR]], %[[S]] : tensor<3xf32>, tensor<f32>
  %0:3 = nn.adam_update %p, %g, %m, %v, %lr, %s : tensor<3xf32>, tensor<f32>
  // CHECK: nn.adam_update %[[P]], %[[G]], %[[M]], %[[V]], %[[LR]], %[[S]] {beta1 = 5.000000e-01 : f64, beta2 = 7.500000e-01 : f64, decoupled, eps = 1.250000e-01 : f64, weight_decay = 2.500000e-01 : f64} : tensor<3xf32>, tensor<f32>
  %1:3 = nn.adam_update %p, %g, %m, %v, %lr, %s {beta1 = 0.5 : f64, beta2 = 0.75 : f64, eps = 0.125 : f64, weight_decay = 0.25 : f64, decoupled} : tensor<3xf32>, tensor<f32>
  // Explicit defaults are elided.
  // CHECK: nn.adam_update %[[P]], %[[G]], %[[M]], %[[V]], %[[LR]], %[[S]] : tensor<3xf32>, tensor<f32>
  %2:3 = nn.adam_update %p, %g, %m, %v, %lr, %s {beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.0 : f64} : tensor<3xf32>, tensor<f32>
  // CHECK: return %[[R0]], %[[R1]], %[[R2]]
  return %0#0, %0#1, %0#2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}
