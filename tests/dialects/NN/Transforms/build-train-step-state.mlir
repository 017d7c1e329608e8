// RUN: nnc-opt %s -split-input-file --nn-autodiff --nn-build-train-step --canonicalize | FileCheck %s

// Buffers (batch_norm's running statistics) follow the parameters in both
// steps; the train step returns the statistics batch_norm computes after
// the new parameters, the eval step uses them in evaluation mode. Dropout
// gets the step counter in the train step, forward and backward alike, and
// is gone from the eval step.

// CHECK-LABEL: func.func @bn_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<3xf32> {nn.init = #nn.init<constant(1.000000e+00)>, nn.param = "bn.weight"},
// CHECK-SAME: %[[B:[^:]*]]: tensor<3xf32> {nn.init = #nn.init<constant(0.000000e+00)>, nn.param = "bn.bias"},
// CHECK-SAME: %[[M:[^:]*]]: tensor<3xf32> {nn.buffer = "bn.running_mean", nn.init = #nn.init<constant(0.000000e+00)>},
// CHECK-SAME: %[[V:[^:]*]]: tensor<3xf32> {nn.buffer = "bn.running_var", nn.init = #nn.init<constant(1.000000e+00)>},
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x3xf32> {nn.name = "x"},
// CHECK-SAME: %[[LR:[^:]*]]: tensor<f64> {nn.name = "lr"},
// CHECK-SAME: %[[STEP:[^:]*]]: tensor<f64> {nn.name = "step"})
// CHECK-SAME: -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<f32>)
// CHECK: %[[Y:.*]], %[[NM:.*]], %[[NV:.*]] = nn.batch_norm %[[X]], %[[W]], %[[B]], %[[M]], %[[V]] momentum 1.000000e-01 eps 1.000000e-05 {training}
// CHECK: %[[D:.*]] = nn.dropout %[[Y]], %[[STEP]] p 5.000000e-01 seed 7 {training} : tensor<4x3xf32>, tensor<f64>
// CHECK: nn.dropout %{{.*}}, %[[STEP]] p 5.000000e-01 seed 7 {training} : tensor<4x3xf32>, tensor<f64>
// CHECK: %[[NW:[^,]*]], %{{.*}} = nn.sgd_update %[[W]]
// CHECK: %[[NB:[^,]*]], %{{.*}} = nn.sgd_update %[[B]]
// CHECK: return %[[NW]], %[[NB]], %[[NM]], %[[NV]], %{{.*}} :

// CHECK-LABEL: func.func @bn_eval_step
// CHECK-SAME: (%[[EW:[^:]*]]: tensor<3xf32> {{.*}}nn.param = "bn.weight"},
// CHECK-SAME: %[[EB:[^:]*]]: tensor<3xf32> {{.*}}nn.param = "bn.bias"},
// CHECK-SAME: %[[EM:[^:]*]]: tensor<3xf32> {nn.buffer = "bn.running_mean"
// CHECK-SAME: %[[EV:[^:]*]]: tensor<3xf32> {nn.buffer = "bn.running_var"
// CHECK-SAME: %[[EX:[^:]*]]: tensor<4x3xf32> {nn.name = "x"})
// CHECK-NOT: nn.dropout
// CHECK: %[[EY:.*]], %{{.*}}, %{{.*}} = nn.batch_norm %[[EX]], %[[EW]], %[[EB]], %[[EM]], %[[EV]] momentum 1.000000e-01 eps 1.000000e-05 : tensor<4x3xf32>, tensor<3xf32>
// CHECK-NOT: nn.dropout
// CHECK: nn.mul %[[EY]], %[[EY]]
func.func @bn(%x: tensor<4x3xf32> {nn.name = "x"}) -> (tensor<f32> {nn.name = "loss"})
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64}} {
  %w = nn.param "bn.weight" init = constant(1.0) : tensor<3xf32>
  %b = nn.param "bn.bias" init = constant(0.0) : tensor<3xf32>
  %m = nn.buffer "bn.running_mean" init = constant(0.0) : tensor<3xf32>
  %v = nn.buffer "bn.running_var" init = constant(1.0) : tensor<3xf32>
  %y, %m2, %v2 = nn.batch_norm %x, %w, %b, %m, %v momentum 0.1 eps 1.0e-5 {training} : tensor<4x3xf32>, tensor<3xf32>
  %d = nn.dropout %y p 0.5 seed 7 {training} : tensor<4x3xf32>
  %s = nn.mul %d, %d : tensor<4x3xf32>
  %l = nn.sum %s dims [] : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// With Adam, the optimizer state comes after the buffers and the results
// follow the same order.
// CHECK-LABEL: func.func @adam_train_step
// CHECK-SAME: nn.param = "bn.weight"
// CHECK-SAME: nn.buffer = "bn.running_mean"
// CHECK-SAME: nn.buffer = "bn.running_var"
// CHECK-SAME: nn.state = "bn.weight.exp_avg"
// CHECK-SAME: nn.state = "bn.weight.exp_avg_sq"
// CHECK: %{{.*}}, %[[NM:.*]], %[[NV:.*]] = nn.batch_norm
// CHECK: %[[NW:.*]], %[[EA:.*]], %[[EAS:.*]] = nn.adam_update
// CHECK: return %[[NW]], %[[NM]], %[[NV]], %[[EA]], %[[EAS]], %{{.*}} :
func.func @adam(%x: tensor<4x3xf32> {nn.name = "x"}) -> (tensor<f32> {nn.name = "loss"})
    attributes {nn.model, nn.train = {optimizer = "adam", lr = 0.1 : f64}} {
  %w = nn.param "bn.weight" init = constant(1.0) : tensor<3xf32>
  %m = nn.buffer "bn.running_mean" init = constant(0.0) : tensor<3xf32>
  %v = nn.buffer "bn.running_var" init = constant(1.0) : tensor<3xf32>
  %y, %m2, %v2 = nn.batch_norm %x, %w, %w, %m, %v momentum 0.1 eps 1.0e-5 {training} : tensor<4x3xf32>, tensor<3xf32>
  %s = nn.mul %y, %y : tensor<4x3xf32>
  %l = nn.sum %s dims [] : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
