// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// One chunk per diagnostic of the nn dialect. Ops that infer their result
// type report a failed inference twice: the rule's own message, then the
// generic "failed to infer returned types".

//===----------------------------------------------------------------------===//
// nn.param and #nn.init
//===----------------------------------------------------------------------===//

func.func @negative_param_empty_name() -> tensor<2xf32> {
  // expected-error @below {{'nn.param' op expects a non-empty name}}
  %0 = nn.param "" init = constant(0.0) : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_param_unknown_init_kind() -> tensor<2xf32> {
  // expected-error @below {{expects an initializer kind (normal, uniform, truncated_normal or constant), got 'xavier'}}
  %0 = nn.param "w" init = xavier(0.0, 1.0) : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// expected-error @below {{expects an initializer kind (normal, uniform, truncated_normal or constant), got 'kaiming'}}
func.func @negative_init_attr_unknown_kind() attributes {nn.init = #nn.init<kaiming(1.0)>} {
  return
}

// -----

func.func @negative_param_uniform_low_above_high() -> tensor<2xf32> {
  // expected-error @below {{expects low <= high, got 1.000000e+00 and -1.000000e+00}}
  %0 = nn.param "w" init = uniform(1.0, -1.0) : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// expected-error @below {{expects low <= high, got 5.000000e-01 and 2.500000e-01}}
func.func @negative_init_attr_uniform_low_above_high() attributes {nn.init = #nn.init<uniform(0.5, 0.25)>} {
  return
}

// -----

// A NaN bound is rejected too (0x7FF8000000000000 is a quiet NaN).
func.func @negative_param_uniform_nan() -> tensor<2xf32> {
  // expected-error @below {{expects low <= high, got nan and 1.000000e+00}}
  %0 = nn.param "w" init = uniform(0x7FF8000000000000, 1.0) : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_param_normal_negative_std() -> tensor<2xf32> {
  // expected-error @below {{expects a non-negative standard deviation, got -1.000000e-01}}
  %0 = nn.param "w" init = normal(0.0, -0.1) : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_param_truncated_normal_negative_std() -> tensor<2xf32> {
  // expected-error @below {{expects a non-negative standard deviation, got -2.000000e-02}}
  %0 = nn.param "w" init = truncated_normal(0.0, -0.02) : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_param_normal_nan_std() -> tensor<2xf32> {
  // expected-error @below {{expects a non-negative standard deviation, got nan}}
  %0 = nn.param "w" init = normal(0.0, 0x7FF8000000000000) : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// expected-error @below {{expects a non-negative standard deviation, got -1.000000e+00}}
func.func @negative_init_attr_truncated_normal_negative_std() attributes {nn.init = #nn.init<truncated_normal(0.0, -1.0)>} {
  return
}

// -----

func.func @negative_param_integer_type() -> tensor<2xi32> {
  // expected-error @below {{'nn.param' op result #0 must be statically shaped tensor of floating-point values, but got 'tensor<2xi32>'}}
  %0 = nn.param "w" init = constant(0.0) : tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

//===----------------------------------------------------------------------===//
// Operand and result type constraints
//===----------------------------------------------------------------------===//

func.func @negative_dynamic_shape(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @below {{'nn.relu' op operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<?xf32>'}}
  %0 = nn.relu %x : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @negative_unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @below {{'nn.exp' op operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<*xf32>'}}
  %0 = "nn.exp"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @negative_integer_elementwise(%x: tensor<2xi32>) -> tensor<2xi32> {
  // expected-error @below {{'nn.add' op operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<2xi32>'}}
  %0 = nn.add %x, %x : tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

func.func @negative_binary_type_mismatch(%a: tensor<2xf32>, %b: tensor<3xf32>) -> tensor<2xf32> {
  // expected-error @below {{'nn.mul' op requires the same type for all operands and results}}
  %0 = "nn.mul"(%a, %b) : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_unary_result_type(%x: tensor<2xf32>) -> tensor<2xf16> {
  // expected-error @below {{'nn.tanh' op requires the same type for all operands and results}}
  %0 = "nn.tanh"(%x) : (tensor<2xf32>) -> tensor<2xf16>
  return %0 : tensor<2xf16>
}

// -----

func.func @negative_reshape_dynamic(%x: tensor<?xf32>) -> tensor<2xf32> {
  // expected-error @below {{'nn.reshape' op operand #0 must be statically shaped tensor of any type values, but got 'tensor<?xf32>'}}
  %0 = nn.reshape %x : tensor<?xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_cross_entropy_integer_logits(%x: tensor<2x3xi32>, %y: tensor<2xi32>) -> tensor<f32> {
  // expected-error @below {{'nn.cross_entropy' op operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<2x3xi32>'}}
  %0 = nn.cross_entropy %x, %y : tensor<2x3xi32>, tensor<2xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @negative_cross_entropy_float_labels(%x: tensor<2x3xf32>, %y: tensor<2xf32>) -> tensor<f32> {
  // expected-error @below {{'nn.cross_entropy' op operand #1 must be statically shaped tensor of signless integer values, but got 'tensor<2xf32>'}}
  %0 = nn.cross_entropy %x, %y : tensor<2x3xf32>, tensor<2xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @negative_cross_entropy_non_scalar_result(%x: tensor<2x3xf32>, %y: tensor<2xi32>) -> tensor<1xf32> {
  // expected-error @below {{'nn.cross_entropy' op result #0 must be 0D tensor of floating-point values, but got 'tensor<1xf32>'}}
  %0 = nn.cross_entropy %x, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @negative_mse_type_mismatch(%p: tensor<2xf32>, %t: tensor<3xf32>) -> tensor<f32> {
  // expected-error @below {{'nn.mse' op failed to verify that all of {input, target} have same type}}
  %0 = "nn.mse"(%p, %t) : (tensor<2xf32>, tensor<3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @negative_bce_type_mismatch(%x: tensor<2xf32>, %t: tensor<2xf16>) -> tensor<f32> {
  // expected-error @below {{'nn.bce_with_logits' op failed to verify that all of {logits, target} have same type}}
  %0 = "nn.bce_with_logits"(%x, %t) : (tensor<2xf32>, tensor<2xf16>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

func.func @negative_softplus_zero_beta(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'nn.softplus' op expects a positive beta, got 0.000000e+00}}
  %0 = nn.softplus %x beta 0.0 threshold 20.0 : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_softplus_negative_beta(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @below {{'nn.softplus' op expects a positive beta, got -1.500000e+00}}
  %0 = nn.softplus %x beta -1.5 threshold 20.0 : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_softmax_dim_too_large(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  // expected-error @below {{'nn.softmax' op expects a dimension in [0, 2), got 2}}
  %0 = nn.softmax %x dim 2 : tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

func.func @negative_log_softmax_dim_too_small(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  // expected-error @below {{'nn.log_softmax' op expects a dimension in [0, 2), got -3}}
  %0 = nn.log_softmax %x dim -3 : tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

// The IR keeps dimensions normalized; only the model language counts from the end.
func.func @negative_softmax_negative_dim(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  // expected-error @below {{'nn.softmax' op expects a dimension in [0, 2), got -1}}
  %0 = nn.softmax %x dim -1 : tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

func.func @negative_softmax_scalar(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @below {{'nn.softmax' op expects a dimension in [0, 0), got 0}}
  %0 = nn.softmax %x dim 0 : tensor<f32>
  return %0 : tensor<f32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.dense
//===----------------------------------------------------------------------===//

func.func @negative_dense_input_rank(%x: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<3xf32> {
  // expected-error @below {{'nn.dense' op expects 2-D input, got tensor<4xf32>}}
  // expected-error @below {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w : tensor<4xf32>, tensor<3x4xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @negative_dense_weight_rank(%x: tensor<2x4xf32>, %w: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @below {{'nn.dense' op expects 2-D weight [out, in], got tensor<4xf32>}}
  // expected-error @below {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @negative_dense_weight_element_type(%x: tensor<2x4xf32>, %w: tensor<3x4xf16>) -> tensor<2x3xf32> {
  // expected-error @below {{'nn.dense' op expects operands of one element type, got tensor<2x4xf32> and tensor<3x4xf16>}}
  // expected-error @below {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w : tensor<2x4xf32>, tensor<3x4xf16> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @negative_dense_in_features(%x: tensor<2x4xf32>, %w: tensor<3x5xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'nn.dense' op expects weight [out, in] with in = 4 to match the input tensor<2x4xf32>, got tensor<3x5xf32>}}
  // expected-error @below {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w : tensor<2x4xf32>, tensor<3x5xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @negative_dense_bias_size(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'nn.dense' op expects bias of shape [3], got tensor<4xf32>}}
  // expected-error @below {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @negative_dense_bias_rank(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>, %b: tensor<1x3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'nn.dense' op expects bias of shape [3], got tensor<1x3xf32>}}
  // expected-error @below {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @negative_dense_bias_element_type(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xbf16>) -> tensor<2x3xf32> {
  // expected-error @below {{'nn.dense' op expects operands of one element type, got tensor<2x4xf32> and tensor<3xbf16>}}
  // expected-error @below {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xbf16> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @negative_dense_result_type(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) -> tensor<2x4xf32> {
  // expected-error @below {{'nn.dense' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @below {{'nn.dense' op failed to infer returned types}}
  %0 = nn.dense %x, %w : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.matmul
//===----------------------------------------------------------------------===//

func.func @negative_matmul_lhs_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @below {{'nn.matmul' op expects 2-D left operand, got tensor<2x3x4xf32>}}
  // expected-error @below {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %a, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @negative_matmul_rhs_rank(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @below {{'nn.matmul' op expects 2-D right operand, got tensor<4xf32>}}
  // expected-error @below {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %a, %b : tensor<3x4xf32>, tensor<4xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @negative_matmul_element_type(%a: tensor<3x4xf32>, %b: tensor<4x5xf64>) -> tensor<3x5xf32> {
  // expected-error @below {{'nn.matmul' op expects operands of one element type, got tensor<3x4xf32> and tensor<4x5xf64>}}
  // expected-error @below {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %a, %b : tensor<3x4xf32>, tensor<4x5xf64> -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

func.func @negative_matmul_contraction(%a: tensor<3x4xf32>, %b: tensor<5x6xf32>) -> tensor<3x6xf32> {
  // expected-error @below {{'nn.matmul' op expects contracted dimensions to agree, got tensor<3x4xf32> and tensor<5x6xf32> (4 vs 5)}}
  // expected-error @below {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %a, %b : tensor<3x4xf32>, tensor<5x6xf32> -> tensor<3x6xf32>
  return %0 : tensor<3x6xf32>
}

// -----

// Without the flag this would be a valid 3x4 @ 4x5 product.
func.func @negative_matmul_contraction_transposed(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<4x5xf32> {
  // expected-error @below {{'nn.matmul' op expects contracted dimensions to agree, got tensor<3x4xf32> and tensor<4x5xf32> (3 vs 4)}}
  // expected-error @below {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %a, %b {transpose_lhs} : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

func.func @negative_matmul_result_type(%a: tensor<3x4xf32>, %b: tensor<5x4xf32>) -> tensor<3x4xf32> {
  // expected-error @below {{'nn.matmul' op inferred type(s) 'tensor<3x5xf32>' are incompatible with return type(s) of operation 'tensor<3x4xf32>'}}
  // expected-error @below {{'nn.matmul' op failed to infer returned types}}
  %0 = nn.matmul %a, %b {transpose_rhs} : tensor<3x4xf32>, tensor<5x4xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.transpose
//===----------------------------------------------------------------------===//

func.func @negative_transpose_short_permutation(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @below {{'nn.transpose' op expects a permutation of [0, 2) for tensor<2x3xf32>}}
  // expected-error @below {{'nn.transpose' op failed to infer returned types}}
  %0 = nn.transpose %x [0] : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_transpose_out_of_range(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'nn.transpose' op expects a permutation of [0, 2) for tensor<2x3xf32>}}
  // expected-error @below {{'nn.transpose' op failed to infer returned types}}
  %0 = nn.transpose %x [0, 2] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @negative_transpose_repeated(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  // expected-error @below {{'nn.transpose' op expects a permutation of [0, 2) for tensor<2x3xf32>}}
  // expected-error @below {{'nn.transpose' op failed to infer returned types}}
  %0 = nn.transpose %x [0, 0] : tensor<2x3xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

func.func @negative_transpose_result_type(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'nn.transpose' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  // expected-error @below {{'nn.transpose' op failed to infer returned types}}
  %0 = nn.transpose %x [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.reshape
//===----------------------------------------------------------------------===//

func.func @negative_reshape_element_type(%x: tensor<6xf32>) -> tensor<2x3xf16> {
  // expected-error @below {{'nn.reshape' op expects the same element type, got 'tensor<6xf32>' and 'tensor<2x3xf16>'}}
  %0 = nn.reshape %x : tensor<6xf32> -> tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// -----

func.func @negative_reshape_element_count(%x: tensor<6xf32>) -> tensor<4xf32> {
  // expected-error @below {{'nn.reshape' op expects the same number of elements, got 'tensor<6xf32>' (6) and 'tensor<4xf32>' (4)}}
  %0 = nn.reshape %x : tensor<6xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.broadcast
//===----------------------------------------------------------------------===//

func.func @negative_broadcast_dims_count(%v: tensor<10xf32>) -> tensor<10x3xf32> {
  // expected-error @below {{'nn.broadcast' op expects one result dimension per operand dimension, got 2 for 'tensor<10xf32>'}}
  %0 = nn.broadcast %v dims [0, 1] : tensor<10xf32> -> tensor<10x3xf32>
  return %0 : tensor<10x3xf32>
}

// -----

func.func @negative_broadcast_dims_not_increasing(%v: tensor<2x2xf32>) -> tensor<2x2x4xf32> {
  // expected-error @below {{'nn.broadcast' op expects strictly increasing dimensions in [0, 3), got 0}}
  %0 = nn.broadcast %v dims [1, 0] : tensor<2x2xf32> -> tensor<2x2x4xf32>
  return %0 : tensor<2x2x4xf32>
}

// -----

func.func @negative_broadcast_dim_out_of_range(%v: tensor<10xf32>) -> tensor<4x10xf32> {
  // expected-error @below {{'nn.broadcast' op expects strictly increasing dimensions in [0, 2), got 2}}
  %0 = nn.broadcast %v dims [2] : tensor<10xf32> -> tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

func.func @negative_broadcast_dim_negative(%v: tensor<10xf32>) -> tensor<4x10xf32> {
  // expected-error @below {{'nn.broadcast' op expects strictly increasing dimensions in [0, 2), got -1}}
  %0 = nn.broadcast %v dims [-1] : tensor<10xf32> -> tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

func.func @negative_broadcast_dim_size(%v: tensor<10xf32>) -> tensor<10x3xf32> {
  // expected-error @below {{'nn.broadcast' op expects operand dimension 0 (10) to equal result dimension 1 (3)}}
  %0 = nn.broadcast %v dims [1] : tensor<10xf32> -> tensor<10x3xf32>
  return %0 : tensor<10x3xf32>
}

// -----

func.func @negative_broadcast_element_type(%v: tensor<10xf32>) -> tensor<10x2xf16> {
  // expected-error @below {{'nn.broadcast' op expects the same element type, got 'tensor<10xf32>' and 'tensor<10x2xf16>'}}
  %0 = nn.broadcast %v dims [0] : tensor<10xf32> -> tensor<10x2xf16>
  return %0 : tensor<10x2xf16>
}

// -----

//===----------------------------------------------------------------------===//
// nn.concat
//===----------------------------------------------------------------------===//

func.func @negative_concat_no_inputs() -> tensor<2xf32> {
  // expected-error @below {{'nn.concat' op expects at least one input}}
  // expected-error @below {{'nn.concat' op failed to infer returned types}}
  %0 = "nn.concat"() <{dim = 0 : i64}> : () -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_concat_dim(%a: tensor<8x3xf32>, %b: tensor<8x5xf32>) -> tensor<8x8xf32> {
  // expected-error @below {{'nn.concat' op expects a dimension in [-2, 2) for tensor<8x3xf32>, got 2}}
  // expected-error @below {{'nn.concat' op failed to infer returned types}}
  %0 = nn.concat %a, %b dim 2 : tensor<8x3xf32>, tensor<8x5xf32> -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

func.func @negative_concat_element_type(%a: tensor<8x3xf32>, %b: tensor<8x5xf16>) -> tensor<8x8xf32> {
  // expected-error @below {{'nn.concat' op expects operands of one element type, got tensor<8x3xf32> and tensor<8x5xf16>}}
  // expected-error @below {{'nn.concat' op failed to infer returned types}}
  %0 = nn.concat %a, %b dim 1 : tensor<8x3xf32>, tensor<8x5xf16> -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

func.func @negative_concat_shape(%a: tensor<8x3xf32>, %b: tensor<7x5xf32>) -> tensor<8x8xf32> {
  // expected-error @below {{'nn.concat' op expects inputs that agree on every dimension but 1, got tensor<8x3xf32> and tensor<7x5xf32>}}
  // expected-error @below {{'nn.concat' op failed to infer returned types}}
  %0 = nn.concat %a, %b dim 1 : tensor<8x3xf32>, tensor<7x5xf32> -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

func.func @negative_concat_rank(%a: tensor<8x3xf32>, %b: tensor<8x3x1xf32>) -> tensor<16x3xf32> {
  // expected-error @below {{'nn.concat' op expects inputs that agree on every dimension but 0, got tensor<8x3xf32> and tensor<8x3x1xf32>}}
  // expected-error @below {{'nn.concat' op failed to infer returned types}}
  %0 = nn.concat %a, %b dim 0 : tensor<8x3xf32>, tensor<8x3x1xf32> -> tensor<16x3xf32>
  return %0 : tensor<16x3xf32>
}

// -----

// The IR keeps dimensions normalized; only the model language counts from the end.
func.func @negative_concat_negative_dim(%a: tensor<8x3xf32>, %b: tensor<8x3xf32>) -> tensor<16x3xf32> {
  // expected-error @below {{'nn.concat' op expects non-negative dimensions, got -2}}
  // expected-error @below {{'nn.concat' op failed to infer returned types}}
  %0 = nn.concat %a, %b dim -2 : tensor<8x3xf32>, tensor<8x3xf32> -> tensor<16x3xf32>
  return %0 : tensor<16x3xf32>
}

// -----

func.func @negative_concat_result_type(%a: tensor<8x3xf32>, %b: tensor<8x5xf32>) -> tensor<8x3xf32> {
  // expected-error @below {{'nn.concat' op inferred type(s) 'tensor<8x8xf32>' are incompatible with return type(s) of operation 'tensor<8x3xf32>'}}
  // expected-error @below {{'nn.concat' op failed to infer returned types}}
  %0 = nn.concat %a, %b dim 1 : tensor<8x3xf32>, tensor<8x5xf32> -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// nn.sum and nn.mean
//===----------------------------------------------------------------------===//

func.func @negative_sum_dim(%x: tensor<4x5xf32>) -> tensor<4xf32> {
  // expected-error @below {{'nn.sum' op expects a dimension in [-2, 2) for tensor<4x5xf32>, got 2}}
  // expected-error @below {{'nn.sum' op failed to infer returned types}}
  %0 = nn.sum %x dims [2] : tensor<4x5xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @negative_mean_repeated_dim(%x: tensor<4x5xf32>) -> tensor<4xf32> {
  // expected-error @below {{'nn.mean' op expects each dimension at most once, got 1 twice}}
  // expected-error @below {{'nn.mean' op failed to infer returned types}}
  %0 = nn.mean %x dims [1, 1] : tensor<4x5xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @negative_mean_negative_dim(%x: tensor<4x5xf32>) -> tensor<4xf32> {
  // expected-error @below {{'nn.mean' op expects non-negative dimensions, got -1}}
  // expected-error @below {{'nn.mean' op failed to infer returned types}}
  %0 = nn.mean %x dims [1, -1] : tensor<4x5xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @negative_sum_negative_dim(%x: tensor<4x5xf32>) -> tensor<5xf32> {
  // expected-error @below {{'nn.sum' op expects non-negative dimensions, got -2}}
  // expected-error @below {{'nn.sum' op failed to infer returned types}}
  %0 = nn.sum %x dims [-2] : tensor<4x5xf32> -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @negative_sum_keepdim_result_type(%x: tensor<4x5xf32>) -> tensor<4xf32> {
  // expected-error @below {{'nn.sum' op inferred type(s) 'tensor<4x1xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @below {{'nn.sum' op failed to infer returned types}}
  %0 = nn.sum %x dims [1] {keepdim} : tensor<4x5xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @negative_mean_result_type(%x: tensor<4x5xf32>) -> tensor<f32> {
  // expected-error @below {{'nn.mean' op inferred type(s) 'tensor<5xf32>' are incompatible with return type(s) of operation 'tensor<f32>'}}
  // expected-error @below {{'nn.mean' op failed to infer returned types}}
  %0 = nn.mean %x dims [0] : tensor<4x5xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

func.func @negative_cross_entropy_logits_rank(%x: tensor<2x3x4xf32>, %y: tensor<2xi32>) -> tensor<f32> {
  // expected-error @below {{'nn.cross_entropy' op expects 2-D logits [batch, classes], got tensor<2x3x4xf32>}}
  // expected-error @below {{'nn.cross_entropy' op failed to infer returned types}}
  %0 = nn.cross_entropy %x, %y : tensor<2x3x4xf32>, tensor<2xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @negative_cross_entropy_labels_size(%x: tensor<2x3xf32>, %y: tensor<3xi32>) -> tensor<f32> {
  // expected-error @below {{'nn.cross_entropy' op expects labels of shape [2] to match logits tensor<2x3xf32>, got tensor<3xi32>}}
  // expected-error @below {{'nn.cross_entropy' op failed to infer returned types}}
  %0 = nn.cross_entropy %x, %y : tensor<2x3xf32>, tensor<3xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @negative_cross_entropy_labels_rank(%x: tensor<2x3xf32>, %y: tensor<2x1xi32>) -> tensor<f32> {
  // expected-error @below {{'nn.cross_entropy' op expects labels of shape [2] to match logits tensor<2x3xf32>, got tensor<2x1xi32>}}
  // expected-error @below {{'nn.cross_entropy' op failed to infer returned types}}
  %0 = nn.cross_entropy %x, %y : tensor<2x3xf32>, tensor<2x1xi32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @negative_cross_entropy_result_type(%x: tensor<2x3xf32>, %y: tensor<2xi32>) -> tensor<f64> {
  // expected-error @below {{'nn.cross_entropy' op inferred type(s) 'tensor<f32>' are incompatible with return type(s) of operation 'tensor<f64>'}}
  // expected-error @below {{'nn.cross_entropy' op failed to infer returned types}}
  %0 = nn.cross_entropy %x, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f64>
  return %0 : tensor<f64>
}

// -----

func.func @negative_mse_result_type(%p: tensor<2xf16>, %t: tensor<2xf16>) -> tensor<f32> {
  // expected-error @below {{'nn.mse' op inferred type(s) 'tensor<f16>' are incompatible with return type(s) of operation 'tensor<f32>'}}
  // expected-error @below {{'nn.mse' op failed to infer returned types}}
  %0 = nn.mse %p, %t : tensor<2xf16> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @negative_bce_result_type(%x: tensor<2xf64>, %t: tensor<2xf64>) -> tensor<f32> {
  // expected-error @below {{'nn.bce_with_logits' op inferred type(s) 'tensor<f64>' are incompatible with return type(s) of operation 'tensor<f32>'}}
  // expected-error @below {{'nn.bce_with_logits' op failed to infer returned types}}
  %0 = nn.bce_with_logits %x, %t : tensor<2xf64> -> tensor<f32>
  return %0 : tensor<f32>
}

//===----------------------------------------------------------------------===//
// nn.conv2d, nn.max_pool2d, nn.avg_pool2d and their gradients
//===----------------------------------------------------------------------===//

// -----

func.func @negative_conv2d_input_rank(%x: tensor<4x8x8xf32>, %w: tensor<2x4x3x3xf32>) -> tensor<1x2x6x6xf32> {
  // expected-error @below {{'nn.conv2d' op expects 4-D input [batch, channels, height, width], got tensor<4x8x8xf32>}}
  // expected-error @below {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<4x8x8xf32>, tensor<2x4x3x3xf32> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

func.func @negative_conv2d_weight_rank(%x: tensor<1x4x8x8xf32>, %w: tensor<2x36xf32>) -> tensor<1x2x6x6xf32> {
  // expected-error @below {{'nn.conv2d' op expects 4-D weight [out, in / groups, kh, kw], got tensor<2x36xf32>}}
  // expected-error @below {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<1x4x8x8xf32>, tensor<2x36xf32> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

func.func @negative_conv2d_stride_pair(%x: tensor<1x4x8x8xf32>, %w: tensor<2x4x3x3xf32>) -> tensor<1x2x6x6xf32> {
  // expected-error @below {{'nn.conv2d' op expects stride as [rows, columns], got 3 values}}
  // expected-error @below {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w stride [1, 1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

func.func @negative_conv2d_negative_padding(%x: tensor<1x4x8x8xf32>, %w: tensor<2x4x3x3xf32>) -> tensor<1x2x6x6xf32> {
  // expected-error @below {{'nn.conv2d' op expects padding in [0, 2^20], got -1}}
  // expected-error @below {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, -1] dilation [1, 1] groups 1 : tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

func.func @negative_conv2d_zero_dilation(%x: tensor<1x4x8x8xf32>, %w: tensor<2x4x3x3xf32>) -> tensor<1x2x6x6xf32> {
  // expected-error @below {{'nn.conv2d' op expects dilation in [1, 2^20], got 0}}
  // expected-error @below {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [0, 1] groups 1 : tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

func.func @negative_conv2d_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x6x6xf32> {
  // expected-error @below {{'nn.conv2d' op expects groups dividing both 4 input and 3 output channels, got 2}}
  // expected-error @below {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 2 : tensor<1x4x8x8xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x6x6xf32>
  return %0 : tensor<1x3x6x6xf32>
}

// -----

func.func @negative_conv2d_weight_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<2x4x3x3xf32>) -> tensor<1x2x6x6xf32> {
  // expected-error @below {{'nn.conv2d' op expects weight [out, in / groups, kh, kw] with in / groups = 2 to match the input tensor<1x4x8x8xf32>, got tensor<2x4x3x3xf32>}}
  // expected-error @below {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 2 : tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

func.func @negative_conv2d_bias_shape(%x: tensor<1x4x8x8xf32>, %w: tensor<2x4x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x2x6x6xf32> {
  // expected-error @below {{'nn.conv2d' op expects bias of shape [2], got tensor<4xf32>}}
  // expected-error @below {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32>, tensor<4xf32> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

func.func @negative_conv2d_window_too_large(%x: tensor<1x4x8x8xf32>, %w: tensor<2x4x3x3xf32>) -> tensor<1x2x1x1xf32> {
  // expected-error @below {{'nn.conv2d' op expects a window of 9 to fit into height 8 with padding 0 of tensor<1x4x8x8xf32>}}
  // expected-error @below {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [4, 1] groups 1 : tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32> -> tensor<1x2x1x1xf32>
  return %0 : tensor<1x2x1x1xf32>
}

// -----

func.func @negative_conv2d_element_type(%x: tensor<1x4x8x8xf32>, %w: tensor<2x4x3x3xf64>) -> tensor<1x2x6x6xf32> {
  // expected-error @below {{'nn.conv2d' op expects operands of one element type, got tensor<1x4x8x8xf32> and tensor<2x4x3x3xf64>}}
  // expected-error @below {{'nn.conv2d' op failed to infer returned types}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<1x4x8x8xf32>, tensor<2x4x3x3xf64> -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

func.func @negative_max_pool2d_padding(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x5x5xf32> {
  // expected-error @below {{'nn.max_pool2d' op expects padding at most half the kernel, got 2 for a kernel of 2}}
  // expected-error @below {{'nn.max_pool2d' op failed to infer returned types}}
  %0 = nn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [2, 2] : tensor<1x4x8x8xf32> -> tensor<1x4x5x5xf32>
  return %0 : tensor<1x4x5x5xf32>
}

// -----

func.func @negative_avg_pool2d_rank(%x: tensor<4x8x8xf32>) -> tensor<4x4x4xf32> {
  // expected-error @below {{'nn.avg_pool2d' op expects 4-D input [batch, channels, height, width], got tensor<4x8x8xf32>}}
  // expected-error @below {{'nn.avg_pool2d' op failed to infer returned types}}
  %0 = nn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<4x8x8xf32> -> tensor<4x4x4xf32>
  return %0 : tensor<4x4x4xf32>
}

// -----

func.func @negative_max_pool2d_zero_stride(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @below {{'nn.max_pool2d' op expects stride in [1, 2^20], got 0}}
  // expected-error @below {{'nn.max_pool2d' op failed to infer returned types}}
  %0 = nn.max_pool2d %x kernel [2, 2] stride [2, 0] padding [0, 0] : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @negative_conv2d_grad_input_shape(%dy: tensor<2x6x8x8xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<2x4x8x8xf32> {
  // expected-error @below {{'nn.conv2d_grad_input' op expects a result gradient of the forward result type 'tensor<2x6x6x6xf32>', got 'tensor<2x6x8x8xf32>'}}
  %0 = nn.conv2d_grad_input %dy, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<2x6x8x8xf32>, tensor<6x4x3x3xf32> -> tensor<2x4x8x8xf32>
  return %0 : tensor<2x4x8x8xf32>
}

// -----

func.func @negative_conv2d_grad_weight_groups(%dy: tensor<2x6x8x8xf32>, %x: tensor<2x4x8x8xf32>) -> tensor<6x4x3x3xf32> {
  // expected-error @below {{'nn.conv2d_grad_weight' op expects weight [out, in / groups, kh, kw] with in / groups = 2 to match the input tensor<2x4x8x8xf32>, got tensor<6x4x3x3xf32>}}
  %0 = nn.conv2d_grad_weight %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x6x8x8xf32>, tensor<2x4x8x8xf32> -> tensor<6x4x3x3xf32>
  return %0 : tensor<6x4x3x3xf32>
}

// -----

func.func @negative_max_pool2d_grad_shape(%x: tensor<1x4x8x8xf32>, %dy: tensor<1x4x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @below {{'nn.max_pool2d_grad' op expects a result gradient of the forward result type 'tensor<1x4x4x4xf32>', got 'tensor<1x4x3x3xf32>'}}
  %0 = nn.max_pool2d_grad %x, %dy kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x4x8x8xf32>, tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @negative_avg_pool2d_grad_shape(%dy: tensor<1x4x4x4xf32>) -> tensor<1x4x9x9xf32> {
  // expected-error @below {{'nn.avg_pool2d_grad' op expects a result gradient of the forward result type 'tensor<1x4x3x3xf32>', got 'tensor<1x4x4x4xf32>'}}
  %0 = nn.avg_pool2d_grad %dy kernel [3, 3] stride [3, 3] padding [0, 0] : tensor<1x4x4x4xf32> -> tensor<1x4x9x9xf32>
  return %0 : tensor<1x4x9x9xf32>
}

//===----------------------------------------------------------------------===//
// nn.buffer, nn.batch_norm, nn.layer_norm, nn.dropout
//===----------------------------------------------------------------------===//

// -----

func.func @negative_buffer_empty_name() -> tensor<2xf32> {
  // expected-error @below {{'nn.buffer' op expects a non-empty name}}
  %0 = nn.buffer "" init = constant(0.0) : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @negative_batch_norm_rank(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'nn.batch_norm' op expects input [batch, channels, ...] of rank at least 2, got tensor<4xf32>}}
  %y, %m, %v = nn.batch_norm %x, %w, %w, %w, %w momentum 0.1 eps 1.0e-5 {training} : tensor<4xf32>, tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @negative_batch_norm_channels(%x: tensor<2x3x4x4xf32>, %w: tensor<4xf32>) -> tensor<2x3x4x4xf32> {
  // expected-error @below {{'nn.batch_norm' op expects weight, bias and running statistics of shape [3] for tensor<2x3x4x4xf32>, got tensor<4xf32>}}
  %y, %m, %v = nn.batch_norm %x, %w, %w, %w, %w momentum 0.1 eps 1.0e-5 {training} : tensor<2x3x4x4xf32>, tensor<4xf32>
  return %y : tensor<2x3x4x4xf32>
}

// -----

func.func @negative_batch_norm_eps(%x: tensor<2x3xf32>, %w: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'nn.batch_norm' op expects a positive eps, got 0.000000e+00}}
  %y, %m, %v = nn.batch_norm %x, %w, %w, %w, %w momentum 0.1 eps 0.0 {training} : tensor<2x3xf32>, tensor<3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @negative_batch_norm_momentum(%x: tensor<2x3xf32>, %w: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'nn.batch_norm' op expects a momentum in [0, 1], got 1.500000e+00}}
  %y, %m, %v = nn.batch_norm %x, %w, %w, %w, %w momentum 1.5 eps 1.0e-5 {training} : tensor<2x3xf32>, tensor<3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @negative_layer_norm_shape(%x: tensor<2x3x4xf32>, %w: tensor<3xf32>) -> tensor<2x3x4xf32> {
  // expected-error @below {{'nn.layer_norm' op expects a weight of the input's trailing dimensions, got tensor<3xf32> for tensor<2x3x4xf32>}}
  %y = nn.layer_norm %x, %w, %w eps 1.0e-5 : tensor<2x3x4xf32>, tensor<3xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

func.func @negative_dropout_p(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'nn.dropout' op expects a drop probability in [0, 1), got 1.000000e+00}}
  %y = nn.dropout %x p 1.0 seed 0 {training} : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @negative_batch_norm_grad_channels(%x: tensor<2x3x4x4xf32>, %w: tensor<4xf32>) -> tensor<2x3x4x4xf32> {
  // expected-error @below {{'nn.batch_norm_grad' op expects weight, bias and running statistics of shape [3] for tensor<2x3x4x4xf32>, got tensor<4xf32>}}
  %dx, %dw, %db = nn.batch_norm_grad %x, %w, %x eps 1.0e-5 : tensor<2x3x4x4xf32>, tensor<4xf32>
  return %dx : tensor<2x3x4x4xf32>
}
