// RUN: nnc-opt %s --nnc-train-step --convert-nn-to-linalg --nnc-step-buffer-abi | FileCheck %s

// A real training step with adam: the parameter and both moment buffers are
// updated in place from the one adam generic; only the loss needs an output
// buffer. The eval step writes the loss and the named output.

// CHECK-LABEL: func.func @_nnc_m_train_step
// CHECK-SAME: (%[[W:[^:]*]]: memref<4xf32> {{.*}}nn.param = "w"}, %[[M:[^:]*]]: memref<4xf32> {nn.state = "w.exp_avg"}, %[[V:[^:]*]]: memref<4xf32> {nn.state = "w.exp_avg_sq"},
// CHECK-SAME: %[[X:[^:]*]]: memref<4xf32> {nn.name = "x"}, %[[LR:[^:]*]]: memref<f64> {nn.name = "lr"}, %[[STEP:[^:]*]]: memref<f64> {nn.name = "step"}, %[[LOSS:[^:]*]]: memref<f32> {nn.result})
// CHECK: %[[TW:.*]] = bufferization.to_tensor %[[W]] restrict writable
// CHECK: %[[TM:.*]] = bufferization.to_tensor %[[M]] restrict writable
// CHECK: %[[TV:.*]] = bufferization.to_tensor %[[V]] restrict writable
// CHECK: %[[TX:.*]] = bufferization.to_tensor %[[X]] restrict :
// CHECK: %[[L:.*]] = linalg.reduce
// CHECK: %[[U:.*]]:3 = linalg.generic {{.*}} ins(%[[TW]], %[[TX]], %[[TM]], %[[TV]] :
// CHECK: bufferization.materialize_in_destination %[[U]]#0 in restrict writable %[[W]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[U]]#1 in restrict writable %[[M]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[U]]#2 in restrict writable %[[V]]
// CHECK-NEXT: bufferization.materialize_in_destination %[[L]] in restrict writable %[[LOSS]]
// CHECK-NEXT: return

// CHECK-LABEL: func.func @_nnc_m_eval_step
// CHECK-SAME: (%[[W:[^:]*]]: memref<4xf32> {{.*}}nn.param = "w"}, %[[X:[^:]*]]: memref<4xf32> {nn.name = "x"},
// CHECK-SAME: %[[LOSS:[^:]*]]: memref<f32> {nn.name = "loss", nn.result}, %[[Y:[^:]*]]: memref<4xf32> {nn.name = "y", nn.result})
// CHECK: bufferization.to_tensor %[[W]] restrict :
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[LOSS]]
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[Y]]
// CHECK-NEXT: return
func.func @m(%x: tensor<4xf32> {nn.name = "x"}) -> (tensor<f32> {nn.name = "loss"}, tensor<4xf32> {nn.name = "y"})
    attributes {nn.model, nn.train = {optimizer = "adam", lr = 0.001 : f64}} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l, %a : tensor<f32>, tensor<4xf32>
}
