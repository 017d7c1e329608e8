// RUN: nnc-opt %s --split-input-file --nnc-step-buffer-abi | FileCheck %s

// A grad step updates its buffers (running statistics) in place, not its
// parameters; its loss and gradients get output memrefs.
// CHECK-LABEL: func.func @_nnc_m_grad_step
// CHECK-SAME: (%[[W:[^:]*]]: memref<4xf32> {nn.param = "w"}, %[[R:[^:]*]]: memref<4xf32> {nn.buffer = "r"}, %[[X:[^:]*]]: memref<4xf32> {nn.name = "x"}, %[[S:[^:]*]]: memref<f64> {nn.name = "step"}, %[[L:[^:]*]]: memref<f32> {nn.result}, %[[G:[^:]*]]: memref<4xf32> {nn.grad_of = "w", nn.result})
// CHECK: bufferization.to_tensor %[[W]] restrict :
// CHECK: bufferization.to_tensor %[[R]] restrict writable
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[R]]
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[L]]
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[G]]
func.func @m_grad_step(%w: tensor<4xf32> {nn.param = "w"}, %r: tensor<4xf32> {nn.buffer = "r"}, %x: tensor<4xf32> {nn.name = "x"}, %s: tensor<f64> {nn.name = "step"})
    -> (tensor<4xf32>, tensor<f32>, tensor<4xf32> {nn.grad_of = "w"}) attributes {nn.step = "grad"} {
  %c = arith.constant dense<0.0> : tensor<f32>
  return %x, %c, %w : tensor<4xf32>, tensor<f32>, tensor<4xf32>
}

// -----

// An update step updates its parameters and state in place; the gradients
// are read only.
// CHECK-LABEL: func.func @_nnc_m_update_step
// CHECK-SAME: (%[[W:[^:]*]]: memref<4xf32> {nn.param = "w"}, %[[M:[^:]*]]: memref<4xf32> {nn.state = "w.momentum_buffer"}, %[[G:[^:]*]]: memref<4xf32> {nn.grad_of = "w"}, %{{[^:]*}}: memref<f64> {nn.name = "lr"})
// CHECK: bufferization.to_tensor %[[W]] restrict writable
// CHECK: bufferization.to_tensor %[[M]] restrict writable
// CHECK: bufferization.to_tensor %[[G]] restrict :
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[W]]
// CHECK-NEXT: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[M]]
// CHECK-NEXT: return
func.func @m_update_step(%w: tensor<4xf32> {nn.param = "w"}, %m: tensor<4xf32> {nn.state = "w.momentum_buffer"}, %g: tensor<4xf32> {nn.grad_of = "w"}, %lr: tensor<f64> {nn.name = "lr"})
    -> (tensor<4xf32>, tensor<4xf32>) attributes {nn.step = "update"} {
  return %g, %g : tensor<4xf32>, tensor<4xf32>
}
