// RUN: nnc-opt %s -split-input-file --nn-autodiff --nn-build-train-step --canonicalize | FileCheck %s

// Plain SGD on parameters of another width than the f64 learning rate: the
// update is nn.sgd_update in the parameter's element type, with the gradient
// standing in for the momentum buffer that momentum 0 never reads, and no
// conversion of lr in the step (nn.sgd_update takes lr as tensor<f64> for
// every parameter type).

// CHECK-LABEL: func.func @sgd_f16_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4xf16> {{.*}}, %[[X:[^:]*]]: tensor<4xf16>, %[[LR:[^:]*]]: tensor<f64> {nn.name = "lr"}, %[[STEP:[^:]*]]: tensor<f64> {nn.name = "step"})
// CHECK-SAME: -> (tensor<4xf16>, tensor<f16>)
// CHECK-NOT: arith.extf
// CHECK-NOT: arith.truncf
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NEXT: %[[NW:[^,]*]], %{{.*}} = nn.sgd_update %[[W]], %[[X]], %[[X]], %[[LR]], %[[STEP]] : tensor<4xf16>, tensor<f64>
// CHECK-NEXT: return %[[NW]], %[[L]] : tensor<4xf16>, tensor<f16>
func.func @sgd_f16(%x: tensor<4xf16>) -> tensor<f16>
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64}} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf16>
  %a = nn.mul %w, %x : tensor<4xf16>
  %l = nn.sum %a dims [] : tensor<4xf16> -> tensor<f16>
  return %l : tensor<f16>
}

// -----

// CHECK-LABEL: func.func @sgd_bf16_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4xbf16> {{.*}}, %[[X:[^:]*]]: tensor<4xbf16>, %[[LR:[^:]*]]: tensor<f64> {nn.name = "lr"}, %[[STEP:[^:]*]]: tensor<f64> {nn.name = "step"})
// CHECK-SAME: -> (tensor<4xbf16>, tensor<bf16>)
// CHECK-NOT: arith.extf
// CHECK-NOT: arith.truncf
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NEXT: %[[NW:[^,]*]], %{{.*}} = nn.sgd_update %[[W]], %[[X]], %[[X]], %[[LR]], %[[STEP]] {weight_decay = 5.000000e-01 : f64} : tensor<4xbf16>, tensor<f64>
// CHECK-NEXT: return %[[NW]], %[[L]] : tensor<4xbf16>, tensor<bf16>
func.func @sgd_bf16(%x: tensor<4xbf16>) -> tensor<bf16>
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64, weight_decay = 0.5 : f64}} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xbf16>
  %a = nn.mul %w, %x : tensor<4xbf16>
  %l = nn.sum %a dims [] : tensor<4xbf16> -> tensor<bf16>
  return %l : tensor<bf16>
}

// -----

// CHECK-LABEL: func.func @sgd_f64_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4xf64> {{.*}}, %[[X:[^:]*]]: tensor<4xf64>, %[[LR:[^:]*]]: tensor<f64> {nn.name = "lr"}, %[[STEP:[^:]*]]: tensor<f64> {nn.name = "step"})
// CHECK-SAME: -> (tensor<4xf64>, tensor<f64>)
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NEXT: %[[NW:[^,]*]], %{{.*}} = nn.sgd_update %[[W]], %[[X]], %[[X]], %[[LR]], %[[STEP]] {weight_decay = 2.500000e-01 : f64} : tensor<4xf64>, tensor<f64>
// CHECK-NEXT: return %[[NW]], %[[L]] : tensor<4xf64>, tensor<f64>
func.func @sgd_f64(%x: tensor<4xf64>) -> tensor<f64>
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64, weight_decay = 0.25 : f64}} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf64>
  %a = nn.mul %w, %x : tensor<4xf64>
  %l = nn.sum %a dims [] : tensor<4xf64> -> tensor<f64>
  return %l : tensor<f64>
}
