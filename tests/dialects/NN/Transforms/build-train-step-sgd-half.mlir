// RUN: nnc-opt %s -split-input-file --nn-autodiff --nn-build-train-step --canonicalize | FileCheck %s

// Plain SGD on parameters narrower than the f32 learning rate: the update
// must stay valid IR in the parameter's element type. (lr is tensor<f32>; a
// f16 or bf16 parameter needs lr narrowed, not an arith.extf to a narrower
// type, which does not verify.)

// CHECK-LABEL: func.func @sgd_f16_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4xf16> {{.*}}, %[[X:[^:]*]]: tensor<4xf16>, %[[LR:[^:]*]]: tensor<f32> {nn.name = "lr"}
// CHECK-SAME: -> (tensor<4xf16>, tensor<f16>)
// CHECK-NOT: arith.extf {{.*}} to tensor<4xf16>
// CHECK: %[[NW:.*]] = nn.sub %[[W]], %{{.*}} : tensor<4xf16>
// CHECK: return %[[NW]], %{{.*}} : tensor<4xf16>, tensor<f16>
func.func @sgd_f16(%x: tensor<4xf16>) -> tensor<f16>
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64}} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf16>
  %a = nn.mul %w, %x : tensor<4xf16>
  %l = nn.sum %a dims [] : tensor<4xf16> -> tensor<f16>
  return %l : tensor<f16>
}

// -----

// CHECK-LABEL: func.func @sgd_bf16_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4xbf16> {{.*}}, %[[X:[^:]*]]: tensor<4xbf16>, %[[LR:[^:]*]]: tensor<f32> {nn.name = "lr"}
// CHECK-NOT: arith.extf {{.*}} to tensor<4xbf16>
// CHECK: %[[NW:.*]] = nn.sub %[[W]], %{{.*}} : tensor<4xbf16>
// CHECK: return %[[NW]], %{{.*}} : tensor<4xbf16>, tensor<bf16>
func.func @sgd_bf16(%x: tensor<4xbf16>) -> tensor<bf16>
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64, weight_decay = 0.5 : f64}} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xbf16>
  %a = nn.mul %w, %x : tensor<4xbf16>
  %l = nn.sum %a dims [] : tensor<4xbf16> -> tensor<bf16>
  return %l : tensor<bf16>
}
