// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// Verifier errors of the training-step ops.

//===----------------------------------------------------------------------===//
// nn.one_hot
//===----------------------------------------------------------------------===//

func.func @negative_one_hot_missing_classes(%y: tensor<4xi32>) {
  // expected-error @below {{'nn.one_hot' op expects a result of shape [labels..., classes], got 'tensor<4xf32>' for labels 'tensor<4xi32>'}}
  %0 = nn.one_hot %y : tensor<4xi32> -> tensor<4xf32>
  return
}

// -----

func.func @negative_one_hot_batch_mismatch(%y: tensor<4xi32>) {
  // expected-error @below {{'nn.one_hot' op expects a result of shape [labels..., classes], got 'tensor<5x3xf32>' for labels 'tensor<4xi32>'}}
  %0 = nn.one_hot %y : tensor<4xi32> -> tensor<5x3xf32>
  return
}

// -----

func.func @negative_one_hot_classes_first(%y: tensor<2x4xi32>) {
  // expected-error @below {{'nn.one_hot' op expects a result of shape [labels..., classes], got 'tensor<3x2x4xf32>' for labels 'tensor<2x4xi32>'}}
  %0 = nn.one_hot %y : tensor<2x4xi32> -> tensor<3x2x4xf32>
  return
}

// -----

func.func @negative_one_hot_float_labels(%y: tensor<4xf32>) {
  // expected-error @below {{'nn.one_hot' op operand #0 must be statically shaped tensor of signless integer values, but got 'tensor<4xf32>'}}
  %0 = nn.one_hot %y : tensor<4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @negative_one_hot_integer_result(%y: tensor<4xi32>) {
  // expected-error @below {{'nn.one_hot' op result #0 must be statically shaped tensor of floating-point values, but got 'tensor<4x3xi32>'}}
  %0 = nn.one_hot %y : tensor<4xi32> -> tensor<4x3xi32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.activation_grad
//===----------------------------------------------------------------------===//

func.func @negative_activation_grad_type_mismatch(%x: tensor<4xf32>, %y: tensor<4xf16>) {
  // expected-error @below {{'nn.activation_grad' op failed to verify that all of {input, output, result_grad, result} have same type}}
  %0 = "nn.activation_grad"(%x, %y, %x) <{kind = 0 : i32}> : (tensor<4xf32>, tensor<4xf16>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @negative_activation_grad_result_shape(%x: tensor<4xf32>) {
  // expected-error @below {{'nn.activation_grad' op failed to verify that all of {input, output, result_grad, result} have same type}}
  %0 = "nn.activation_grad"(%x, %x, %x) <{kind = 2 : i32}> : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @negative_activation_grad_unknown_kind(%x: tensor<4xf32>) {
  // expected-error @below {{expected string or keyword containing one of the following enum values for attribute 'kind' [relu, leaky_relu, sigmoid, tanh, silu, gelu, gelu_tanh, softplus, elu]}}
  %0 = nn.activation_grad swish %x, %x, %x : tensor<4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.clip_grad_norm
//===----------------------------------------------------------------------===//

func.func @negative_clip_grad_norm_zero(%g: tensor<4xf32>) {
  // expected-error @below {{'nn.clip_grad_norm' op expects a positive max_norm, got 0.000000e+00}}
  %0:2 = nn.clip_grad_norm %g max_norm 0.0 : tensor<4xf32>
  return
}

// -----

func.func @negative_clip_grad_norm_negative(%g: tensor<4xf32>) {
  // expected-error @below {{'nn.clip_grad_norm' op expects a positive max_norm, got -1.000000e+00}}
  %0:2 = nn.clip_grad_norm %g max_norm -1.0 : tensor<4xf32>
  return
}

// -----

// 0x7FF8000000000000 is a quiet NaN, which is not positive either.
func.func @negative_clip_grad_norm_nan(%g: tensor<4xf32>) {
  // expected-error @below {{'nn.clip_grad_norm' op expects a positive max_norm, got nan}}
  %0:2 = nn.clip_grad_norm %g max_norm 0x7FF8000000000000 : tensor<4xf32>
  return
}

// -----

// The generic form also verifies the attribute.
func.func @negative_clip_grad_norm_generic_zero(%g: tensor<4xf32>) {
  // expected-error @below {{'nn.clip_grad_norm' op expects a positive max_norm, got 0.000000e+00}}
  // expected-error @below {{'nn.clip_grad_norm' op failed to infer returned types}}
  %0:2 = "nn.clip_grad_norm"(%g) <{max_norm = 0.0 : f64}> : (tensor<4xf32>) -> (tensor<4xf32>, tensor<f32>)
  return
}

// -----

func.func @negative_clip_grad_norm_no_gradients() {
  // expected-error @below {{'nn.clip_grad_norm' op expects at least one gradient}}
  // expected-error @below {{'nn.clip_grad_norm' op failed to infer returned types}}
  %0 = "nn.clip_grad_norm"() <{max_norm = 1.0 : f64}> : () -> tensor<f32>
  return
}

// -----

func.func @negative_clip_grad_norm_mixed_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @below {{'nn.clip_grad_norm' op expects gradients of one element type}}
  %0:3 = nn.clip_grad_norm %a, %b max_norm 1.0 : tensor<4xf32>, tensor<4xf16>
  return
}

// -----

func.func @negative_clip_grad_norm_result_type(%g: tensor<4xf32>) {
  // expected-error @below {{'nn.clip_grad_norm' op inferred type(s) 'tensor<4xf32>', 'tensor<f32>' are incompatible with return type(s) of operation 'tensor<4xf32>', 'tensor<f64>'}}
  // expected-error @below {{'nn.clip_grad_norm' op failed to infer returned types}}
  %0:2 = "nn.clip_grad_norm"(%g) <{max_norm = 1.0 : f64}> : (tensor<4xf32>) -> (tensor<4xf32>, tensor<f64>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.sgd_update
//===----------------------------------------------------------------------===//

func.func @negative_sgd_update_grad_shape(%p: tensor<4xf32>, %g: tensor<3xf32>, %lr: tensor<f32>) {
  // expected-error @below {{'nn.sgd_update' op failed to verify that all of {param, grad, momentum_buffer, new_param, new_momentum_buffer} have same type}}
  %0:2 = "nn.sgd_update"(%p, %g, %p, %lr, %lr) : (tensor<4xf32>, tensor<3xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @negative_sgd_update_buffer_type(%p: tensor<4xf32>, %b: tensor<4xf16>, %lr: tensor<f32>) {
  // expected-error @below {{'nn.sgd_update' op failed to verify that all of {param, grad, momentum_buffer, new_param, new_momentum_buffer} have same type}}
  %0:2 = "nn.sgd_update"(%p, %p, %b, %lr, %lr) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf16>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @negative_sgd_update_lr_not_scalar(%p: tensor<4xf32>, %lr: tensor<1xf32>) {
  // expected-error @below {{'nn.sgd_update' op operand #3 must be 0D tensor of floating-point values, but got 'tensor<1xf32>'}}
  %0:2 = "nn.sgd_update"(%p, %p, %p, %lr, %lr) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @negative_sgd_update_lr_step_types(%p: tensor<4xf32>, %lr: tensor<f32>, %step: tensor<f64>) {
  // expected-error @below {{'nn.sgd_update' op failed to verify that all of {lr, step} have same type}}
  %0:2 = "nn.sgd_update"(%p, %p, %p, %lr, %step) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f64>) -> (tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.adam_update
//===----------------------------------------------------------------------===//

func.func @negative_adam_update_state_type(%p: tensor<4xf32>, %m: tensor<4xf16>, %lr: tensor<f32>) {
  // expected-error @below {{'nn.adam_update' op failed to verify that all of {param, grad, exp_avg, exp_avg_sq, new_param, new_exp_avg, new_exp_avg_sq} have same type}}
  %0:3 = "nn.adam_update"(%p, %p, %m, %p, %lr, %lr) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf16>, tensor<4xf32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @negative_adam_update_result_shape(%p: tensor<4xf32>, %lr: tensor<f32>) {
  // expected-error @below {{'nn.adam_update' op failed to verify that all of {param, grad, exp_avg, exp_avg_sq, new_param, new_exp_avg, new_exp_avg_sq} have same type}}
  %0:3 = "nn.adam_update"(%p, %p, %p, %p, %lr, %lr) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<3xf32>)
  return
}

// -----

func.func @negative_adam_update_integer_param(%p: tensor<4xi32>, %lr: tensor<f32>) {
  // expected-error @below {{'nn.adam_update' op operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0:3 = "nn.adam_update"(%p, %p, %p, %p, %lr, %lr) : (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<f32>, tensor<f32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>)
  return
}

// -----

func.func @negative_adam_update_step_not_scalar(%p: tensor<4xf32>, %lr: tensor<f32>, %step: tensor<2xf32>) {
  // expected-error @below {{'nn.adam_update' op operand #5 must be 0D tensor of floating-point values, but got 'tensor<2xf32>'}}
  %0:3 = "nn.adam_update"(%p, %p, %p, %p, %lr, %step) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<2xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.gradient_rms
//===----------------------------------------------------------------------===//

func.func @negative_gradient_rms_size(%g: tensor<4xf32>) {
  // expected-error @below {{'nn.gradient_rms' op expects one result element per gradient (1), got 2}}
  %0 = nn.gradient_rms %g : tensor<4xf32> -> tensor<2xf64>
  return
}

// -----

func.func @negative_gradient_rms_none() {
  // expected-error @below {{'nn.gradient_rms' op expects at least one gradient}}
  %0 = "nn.gradient_rms"() : () -> tensor<0xf64>
  return
}

// -----

func.func @negative_gradient_rms_f32(%g: tensor<4xf32>) {
  // expected-error @below {{'nn.gradient_rms' op result #0 must be 1D tensor of 64-bit float values}}
  %0 = nn.gradient_rms %g : tensor<4xf32> -> tensor<1xf32>
  return
}
