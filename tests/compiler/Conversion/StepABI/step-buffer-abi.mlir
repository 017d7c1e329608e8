// RUN: nnc-opt %s --nnc-step-buffer-abi | FileCheck %s
// RUN: nnc-opt %s --nnc-step-buffer-abi=prefix=mylib_ | FileCheck %s --check-prefix=PREFIX

// Step functions (nn.step) get the library's buffer signature: one memref
// per tensor argument, then one memref per result that is not written back
// in place, and no results. In a train step, the first #param + #state
// results update the parameter and state arguments in place.

// CHECK-LABEL: func.func @_nnc_m_train_step
// CHECK-SAME: (%[[W:[^:]*]]: memref<4xf32> {nn.init = #nn.init<constant(0.000000e+00)>, nn.param = "w"},
// CHECK-SAME: %[[M:[^:]*]]: memref<4xf32> {nn.state = "w.exp_avg"},
// CHECK-SAME: %[[X:[^:]*]]: memref<4xf32> {nn.name = "x"},
// CHECK-SAME: %[[LR:[^:]*]]: memref<f32> {nn.name = "lr"},
// CHECK-SAME: %[[LOSS:[^:]*]]: memref<f32> {nn.result})
// CHECK-NOT: ->
// CHECK-SAME: attributes {nn.model_name = "m", nn.step = "train"}
// State is read through restrict, writable tensors; inputs are only restrict.
// CHECK: %[[TW:.*]] = bufferization.to_tensor %[[W]] restrict writable : memref<4xf32> to tensor<4xf32>
// CHECK: %[[TM:.*]] = bufferization.to_tensor %[[M]] restrict writable : memref<4xf32> to tensor<4xf32>
// CHECK: %[[TX:.*]] = bufferization.to_tensor %[[X]] restrict : memref<4xf32> to tensor<4xf32>
// CHECK: %[[TLR:.*]] = bufferization.to_tensor %[[LR]] restrict : memref<f32> to tensor<f32>
// CHECK: %[[NW:.*]] = arith.addf %[[TW]], %[[TX]] : tensor<4xf32>
// CHECK: %[[NM:.*]] = arith.mulf %[[TM]], %[[TX]] : tensor<4xf32>
// Updated state goes back into its own argument, the loss into the extra
// result argument.
// CHECK: bufferization.materialize_in_destination %[[NW]] in restrict writable %[[W]] : (tensor<4xf32>, memref<4xf32>) -> ()
// CHECK: bufferization.materialize_in_destination %[[NM]] in restrict writable %[[M]] : (tensor<4xf32>, memref<4xf32>) -> ()
// CHECK: bufferization.materialize_in_destination %[[TLR]] in restrict writable %[[LOSS]] : (tensor<f32>, memref<f32>) -> ()
// CHECK-NEXT: return{{$}}
// The tensor function is gone.
// CHECK-NOT: func.func @m_train_step
// PREFIX-LABEL: func.func @mylib_m_train_step(
func.func @m_train_step(%w: tensor<4xf32> {nn.param = "w", nn.init = #nn.init<constant(0.0)>},
                        %m: tensor<4xf32> {nn.state = "w.exp_avg"},
                        %x: tensor<4xf32> {nn.name = "x"},
                        %lr: tensor<f32> {nn.name = "lr"})
    -> (tensor<4xf32>, tensor<4xf32>, tensor<f32>) attributes {nn.step = "train", nn.model_name = "m"} {
  %0 = arith.addf %w, %x : tensor<4xf32>
  %1 = arith.mulf %m, %x : tensor<4xf32>
  return %0, %1, %lr : tensor<4xf32>, tensor<4xf32>, tensor<f32>
}

// An eval step updates nothing: parameters are read-only inputs and every
// result, with its attributes, gets an output argument marked nn.result.
// CHECK-LABEL: func.func @_nnc_m_eval_step
// CHECK-SAME: (%[[W:[^:]*]]: memref<4xf32> {nn.param = "w"},
// CHECK-SAME: %[[X:[^:]*]]: memref<4xf32> {nn.name = "x"},
// CHECK-SAME: %[[L:[^:]*]]: memref<f32> {nn.name = "loss", nn.result},
// CHECK-SAME: %[[O:[^:]*]]: memref<4xf32> {nn.name = "out", nn.result})
// CHECK-SAME: attributes {nn.model_name = "m", nn.step = "eval"}
// CHECK: %[[TW:.*]] = bufferization.to_tensor %[[W]] restrict : memref<4xf32> to tensor<4xf32>
// CHECK: %[[TX:.*]] = bufferization.to_tensor %[[X]] restrict : memref<4xf32> to tensor<4xf32>
// CHECK-DAG: %[[C:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[S:.*]] = arith.addf %[[TW]], %[[TX]] : tensor<4xf32>
// CHECK: bufferization.materialize_in_destination %[[C]] in restrict writable %[[L]] : (tensor<f32>, memref<f32>) -> ()
// CHECK: bufferization.materialize_in_destination %[[S]] in restrict writable %[[O]] : (tensor<4xf32>, memref<4xf32>) -> ()
// CHECK-NEXT: return{{$}}
// CHECK-NOT: func.func @m_eval_step
// PREFIX-LABEL: func.func @mylib_m_eval_step(
func.func @m_eval_step(%w: tensor<4xf32> {nn.param = "w"}, %x: tensor<4xf32> {nn.name = "x"})
    -> (tensor<f32> {nn.name = "loss"}, tensor<4xf32> {nn.name = "out"}) attributes {nn.step = "eval", nn.model_name = "m"} {
  %c = arith.constant dense<1.0> : tensor<f32>
  %0 = arith.addf %w, %x : tensor<4xf32>
  return %c, %0 : tensor<f32>, tensor<4xf32>
}

// Functions without nn.step are left alone.
// CHECK-LABEL: func.func @helper(%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %{{.*}} : tensor<4xf32>
// PREFIX-LABEL: func.func @helper(
// PREFIX-NOT: @_nnc_
func.func @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
