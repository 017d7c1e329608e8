// RUN: nnc-opt %s -split-input-file --nn-autodiff --nn-build-train-step --canonicalize | FileCheck %s

// The training and evaluation steps built from a model and its gradient.

// Adam with weight decay and gradient clipping. The train step takes the
// parameters (nn.param, nn.init), then two state tensors per parameter in
// parameter order (nn.state "<name>.exp_avg" and "<name>.exp_avg_sq"), then
// the model's inputs with their attributes, then lr and step; it returns the
// new parameters, the new state in the same order, and the loss.
// CHECK-LABEL: func.func @adam_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<3x4xf32> {nn.init = #nn.init<normal(0.000000e+00, 5.000000e-01)>, nn.param = "d.weight"},
// CHECK-SAME: %[[B:[^:]*]]: tensor<3xf32> {nn.init = #nn.init<constant(0.000000e+00)>, nn.param = "d.bias"},
// CHECK-SAME: %[[WM:[^:]*]]: tensor<3x4xf32> {nn.state = "d.weight.exp_avg"},
// CHECK-SAME: %[[WV:[^:]*]]: tensor<3x4xf32> {nn.state = "d.weight.exp_avg_sq"},
// CHECK-SAME: %[[BM:[^:]*]]: tensor<3xf32> {nn.state = "d.bias.exp_avg"},
// CHECK-SAME: %[[BV:[^:]*]]: tensor<3xf32> {nn.state = "d.bias.exp_avg_sq"},
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x4xf32> {nn.name = "x"},
// CHECK-SAME: %[[Y:[^:]*]]: tensor<2xi32> {nn.label, nn.name = "y"},
// CHECK-SAME: %[[LR:[^:]*]]: tensor<f64> {nn.name = "lr"},
// CHECK-SAME: %[[STEP:[^:]*]]: tensor<f64> {nn.name = "step"})
// CHECK-SAME: -> (tensor<3x4xf32>, tensor<3xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<f32>)
// CHECK-SAME: nn.model_name = "adam", nn.step = "train", nn.train = {
// The forward pass reads the parameter arguments.
// CHECK: %[[D:.*]] = nn.dense %[[X]], %[[W]], %[[B]]
// CHECK: %[[L:.*]] = nn.cross_entropy %[[D]], %[[Y]]
// CHECK: %[[GW:.*]] = nn.matmul {{.*}} {transpose_lhs}
// CHECK: %[[GB:.*]] = nn.sum {{.*}} dims [0]
// Gradients are clipped together before the update.
// CHECK: %[[CLIP:.*]]:2, %{{.*}} = nn.clip_grad_norm %[[GW]], %[[GB]] max_norm 2.000000e+00 : tensor<3x4xf32>, tensor<3xf32>
// CHECK: %[[NW:.*]], %[[NWM:.*]], %[[NWV:.*]] = nn.adam_update %[[W]], %[[CLIP]]#0, %[[WM]], %[[WV]], %[[LR]], %[[STEP]] {beta1 = 5.000000e-01 : f64, beta2 = 7.500000e-01 : f64, eps = 1.250000e-01 : f64, weight_decay = 5.000000e-01 : f64} : tensor<3x4xf32>, tensor<f64>
// CHECK: %[[NB:.*]], %[[NBM:.*]], %[[NBV:.*]] = nn.adam_update %[[B]], %[[CLIP]]#1, %[[BM]], %[[BV]], %[[LR]], %[[STEP]] {beta1 = 5.000000e-01 : f64, beta2 = 7.500000e-01 : f64, eps = 1.250000e-01 : f64, weight_decay = 5.000000e-01 : f64} : tensor<3xf32>, tensor<f64>
// CHECK: return %[[NW]], %[[NB]], %[[NWM]], %[[NWV]], %[[NBM]], %[[NBV]], %[[L]] :
// The eval step takes the parameters and the inputs and returns the loss
// and the outputs, with their names.
// CHECK-LABEL: func.func @adam_eval_step
// CHECK-SAME: (%[[EW:[^:]*]]: tensor<3x4xf32> {nn.init = #nn.init<normal(0.000000e+00, 5.000000e-01)>, nn.param = "d.weight"},
// CHECK-SAME: %[[EB:[^:]*]]: tensor<3xf32> {nn.init = #nn.init<constant(0.000000e+00)>, nn.param = "d.bias"},
// CHECK-SAME: %[[EX:[^:]*]]: tensor<2x4xf32> {nn.name = "x"},
// CHECK-SAME: %[[EY:[^:]*]]: tensor<2xi32> {nn.label, nn.name = "y"})
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss"}, tensor<2x3xf32> {nn.name = "logits"})
// CHECK-SAME: attributes {nn.model_name = "adam", nn.step = "eval"}
// CHECK-NOT: nn.adam_update
// CHECK-NOT: nn.clip_grad_norm
// CHECK: %[[ED:.*]] = nn.dense %[[EX]], %[[EW]], %[[EB]]
// CHECK: %[[EL:.*]] = nn.cross_entropy %[[ED]], %[[EY]]
// CHECK-NEXT: return %[[EL]], %[[ED]] :
// The model and its gradient function are gone.
// CHECK-NOT: func.func @adam(
// CHECK-NOT: func.func @adam_grad
// CHECK-NOT: = nn.param
func.func @adam(%x: tensor<2x4xf32> {nn.name = "x"}, %y: tensor<2xi32> {nn.label, nn.name = "y"})
    -> (tensor<f32> {nn.name = "loss"}, tensor<2x3xf32> {nn.name = "logits"})
    attributes {nn.model, nn.train = {optimizer = "adam", lr = 1.0e-3 : f64, beta1 = 0.5 : f64, beta2 = 0.75 : f64,
                                      eps = 0.125 : f64, weight_decay = 0.5 : f64, clip_grad_norm = 2.0 : f64}} {
  %w = nn.param "d.weight" init = normal(0.0, 0.5) : tensor<3x4xf32>
  %b = nn.param "d.bias" init = constant(0.0) : tensor<3xf32>
  %d = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %l = nn.cross_entropy %d, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %l, %d : tensor<f32>, tensor<2x3xf32>
}

// -----

// AdamW is adam_update with {decoupled}; without clip_grad_norm there is no
// clipping and the gradient goes to the update directly.
// CHECK-LABEL: func.func @adamw_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4xf32> {nn.init = #nn.init<constant(1.000000e+00)>, nn.param = "w"},
// CHECK-SAME: %[[M:[^:]*]]: tensor<4xf32> {nn.state = "w.exp_avg"}, %[[V:[^:]*]]: tensor<4xf32> {nn.state = "w.exp_avg_sq"},
// CHECK-SAME: %[[X:[^:]*]]: tensor<4xf32>, %[[LR:[^:]*]]: tensor<f64> {nn.name = "lr"}, %[[STEP:[^:]*]]: tensor<f64> {nn.name = "step"})
// CHECK-SAME: -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>)
// CHECK-NOT: nn.clip_grad_norm
// CHECK: nn.adam_update %[[W]], %[[X]], %[[M]], %[[V]], %[[LR]], %[[STEP]] {decoupled, weight_decay = 1.000000e-02 : f64} : tensor<4xf32>, tensor<f64>
// CHECK-LABEL: func.func @adamw_eval_step
func.func @adamw(%x: tensor<4xf32>) -> tensor<f32>
    attributes {nn.model, nn.train = {optimizer = "adamw", lr = 1.0e-3 : f64, weight_decay = 0.01 : f64}} {
  %w = nn.param "w" init = constant(1.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Without a train section the optimizer is adam with PyTorch's defaults,
// which adam_update holds as its own defaults; clip_grad_norm = 0 clips
// nothing.
// CHECK-LABEL: func.func @default_train_step
// CHECK-SAME: {nn.state = "w.exp_avg"}
// CHECK-SAME: {nn.state = "w.exp_avg_sq"}
// CHECK-NOT: nn.clip_grad_norm
// CHECK: nn.adam_update %{{[^{]*}} : tensor<4xf32>, tensor<f64>
func.func @default(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(1.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @no_clip_train_step
// CHECK-NOT: nn.clip_grad_norm
// CHECK: nn.adam_update
func.func @no_clip(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model, nn.train = {clip_grad_norm = 0.0 : f64}} {
  %w = nn.param "w" init = constant(1.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// SGD with momentum keeps one "momentum_buffer" per parameter and passes
// its settings to nn.sgd_update.
// CHECK-LABEL: func.func @momentum_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<3x4xf32> {{.*}}nn.param = "w"},
// CHECK-SAME: %[[B:[^:]*]]: tensor<3xf32> {{.*}}nn.param = "b"},
// CHECK-SAME: %[[WB:[^:]*]]: tensor<3x4xf32> {nn.state = "w.momentum_buffer"},
// CHECK-SAME: %[[BB:[^:]*]]: tensor<3xf32> {nn.state = "b.momentum_buffer"},
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x4xf32>, %[[LR:[^:]*]]: tensor<f64> {nn.name = "lr"}, %[[STEP:[^:]*]]: tensor<f64> {nn.name = "step"})
// CHECK-SAME: -> (tensor<3x4xf32>, tensor<3xf32>, tensor<3x4xf32>, tensor<3xf32>, tensor<f32>)
// CHECK: %[[NW:.*]], %[[NWB:.*]] = nn.sgd_update %[[W]], %{{.*}}, %[[WB]], %[[LR]], %[[STEP]] {dampening = 1.000000e-01 : f64, momentum = 9.000000e-01 : f64, nesterov, weight_decay = 2.500000e-01 : f64} : tensor<3x4xf32>, tensor<f64>
// CHECK: %[[NB:.*]], %[[NBB:.*]] = nn.sgd_update %[[B]], %{{.*}}, %[[BB]], %[[LR]], %[[STEP]] {dampening = 1.000000e-01 : f64, momentum = 9.000000e-01 : f64, nesterov, weight_decay = 2.500000e-01 : f64} : tensor<3xf32>, tensor<f64>
// CHECK: return %[[NW]], %[[NB]], %[[NWB]], %[[NBB]], %{{.*}} :
func.func @momentum(%x: tensor<2x4xf32>) -> tensor<f32>
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64, momentum = 0.9 : f64, dampening = 0.1 : f64,
                                      nesterov = true, weight_decay = 0.25 : f64}} {
  %w = nn.param "w" init = constant(0.0) : tensor<3x4xf32>
  %b = nn.param "b" init = constant(0.0) : tensor<3xf32>
  %d = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %l = nn.sum %d dims [] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// nesterov = false and no weight decay: only the momentum is given.
// CHECK-LABEL: func.func @momentum_plain_train_step
// CHECK: nn.sgd_update %{{[^{]*}} {momentum = 5.000000e-01 : f64} : tensor<4xf32>, tensor<f64>
func.func @momentum_plain(%x: tensor<4xf32>) -> tensor<f32>
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64, momentum = 0.5 : f64, dampening = 0.0 : f64,
                                      nesterov = false, weight_decay = 0.0 : f64}} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Plain SGD (momentum 0) keeps no state: it is nn.sgd_update with the
// gradient standing in for the momentum buffer, which momentum 0 never reads,
// and its second result is dropped. This works for every float type.
// CHECK-LABEL: func.func @sgd_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4xf32> {nn.init = #nn.init<constant(0.000000e+00)>, nn.param = "w"},
// CHECK-SAME: %[[X:[^:]*]]: tensor<4xf32>, %[[LR:[^:]*]]: tensor<f64> {nn.name = "lr"}, %[[STEP:[^:]*]]: tensor<f64> {nn.name = "step"})
// CHECK-SAME: -> (tensor<4xf32>, tensor<f32>)
// CHECK-NOT: nn.state
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NEXT: %[[NW:[^,]*]], %{{.*}} = nn.sgd_update %[[W]], %[[X]], %[[X]], %[[LR]], %[[STEP]] {weight_decay = 2.500000e-01 : f64} : tensor<4xf32>, tensor<f64>
// CHECK-NEXT: return %[[NW]], %[[L]] : tensor<4xf32>, tensor<f32>
func.func @sgd(%x: tensor<4xf32>) -> tensor<f32>
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64, momentum = 0.0 : f64, weight_decay = 0.25 : f64}} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Without weight decay nn.sgd_update takes no settings at all.
// CHECK-LABEL: func.func @sgd_no_decay_train_step
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4xf32> {{.*}}, %[[X:[^:]*]]: tensor<4xf32>, %[[LR:[^:]*]]: tensor<f64> {nn.name = "lr"}, %[[STEP:[^:]*]]: tensor<f64> {nn.name = "step"})
// CHECK-NOT: nn.state
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NEXT: %[[NW:[^,]*]], %{{.*}} = nn.sgd_update %[[W]], %[[X]], %[[X]], %[[LR]], %[[STEP]] : tensor<4xf32>, tensor<f64>
// CHECK-NEXT: return %[[NW]], %[[L]] : tensor<4xf32>, tensor<f32>
func.func @sgd_no_decay(%x: tensor<4xf32>) -> tensor<f32>
    attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64}} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %l = nn.sum %a dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
