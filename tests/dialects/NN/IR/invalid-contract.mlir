// RUN: nnc-opt %s -split-input-file -verify-diagnostics

// The nn dialect's IR contract: one chunk per diagnostic of the attributes
// that nnc's passes read (NNContract.cpp).

// expected-error @below {{'func.func' op is a model ('nn.model') and expects one block, got 2}}
func.func @negative_two_blocks(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = normal(0.0, 1.0) : tensor<4xf32>
  %l = nn.mse %x, %w : tensor<4xf32> -> tensor<f32>
  cf.br ^bb1(%l : tensor<f32>)
^bb1(%r: tensor<f32>):
  return %r : tensor<f32>
}

// -----

// expected-error @below {{'func.func' op is a model ('nn.model') and expects a body}}
func.func private @negative_external(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model}

// -----

// expected-error @below {{'func.func' op is a model ('nn.model') and expects the loss as its first result, got no results}}
func.func @negative_no_results(%x: tensor<4xf32>) attributes {nn.model} {
  return
}

// -----

// expected-error @below {{'func.func' op is a model ('nn.model') and expects the loss, a 0-d tensor of floats, as its first result, got 'tensor<4xf32>'}}
func.func @negative_vector_loss(%x: tensor<4xf32>) -> tensor<4xf32> attributes {nn.model} {
  return %x : tensor<4xf32>
}

// -----

// expected-error @below {{'func.func' op is a model ('nn.model') and expects the loss, a 0-d tensor of floats, as its first result, got 'tensor<i32>'}}
func.func @negative_integer_loss(%x: tensor<i32>) -> tensor<i32> attributes {nn.model} {
  return %x : tensor<i32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.model' to be a unit attribute, got 3 : i32}}
func.func @negative_model_value(%x: tensor<f32>) -> tensor<f32> attributes {nn.model = 3 : i32} {
  return %x : tensor<f32>
}

// -----

func.func @negative_model_on_op(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @below {{'arith.addf' op has 'nn.model', which belongs on a 'func.func'}}
  %y = arith.addf %x, %x {nn.model} : tensor<f32>
  return %y : tensor<f32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.train' to be a dictionary, got "adam"}}
func.func @negative_train_value(%x: tensor<f32>) -> tensor<f32> attributes {nn.model, nn.train = "adam"} {
  return %x : tensor<f32>
}

// -----

func.func @negative_train_on_op(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @below {{'arith.addf' op has 'nn.train', which belongs on a function}}
  %y = arith.addf %x, %x {nn.train = {}} : tensor<f32>
  return %y : tensor<f32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.step' to be "train", "eval", "grad" or "update", got "infer"}}
func.func @negative_step(%x: tensor<f32>) -> tensor<f32> attributes {nn.step = "infer"} {
  return %x : tensor<f32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.model_name' to be a string, got 1 : i64}}
func.func @negative_model_name(%x: tensor<f32>) -> tensor<f32> attributes {nn.model_name = 1} {
  return %x : tensor<f32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.gradient_of' to be a symbol reference, got "m"}}
func.func @negative_gradient_of(%x: tensor<f32>) -> tensor<f32> attributes {nn.gradient_of = "m"} {
  return %x : tensor<f32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.workspace_size' to be a non-negative integer, got -64 : i64}}
func.func @negative_workspace_size(%x: tensor<f32>) -> tensor<f32> attributes {nn.workspace_size = -64} {
  return %x : tensor<f32>
}

// -----

// A misspelt attribute is caught, not ignored.
// expected-error @below {{'func.func' op has the unknown attribute 'nn.modle' of the nn dialect}}
func.func @negative_unknown(%x: tensor<f32>) -> tensor<f32> attributes {nn.modle} {
  return %x : tensor<f32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.name' on argument 1 to be a string, got unit}}
func.func @negative_arg_name(%x: tensor<f32> {nn.name = "x"}, %y: tensor<f32> {nn.name}) -> tensor<f32> {
  return %x : tensor<f32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.label' on argument 0 to be a unit attribute, got true}}
func.func @negative_label(%y: tensor<4xi32> {nn.label = true}) -> tensor<4xi32> {
  return %y : tensor<4xi32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.param' on argument 0 to be a string, got 0 : i64}}
func.func @negative_param(%w: tensor<4xf32> {nn.param = 0}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.init' on argument 0 to be an initializer (#nn.init<...>), got "zeros"}}
func.func @negative_init(%w: tensor<4xf32> {nn.param = "w", nn.init = "zeros"}) -> tensor<4xf32> {
  return %w : tensor<4xf32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.input_stats' on argument 0 to be a dictionary, got 1.000000e+00 : f64}}
func.func @negative_input_stats(%x: tensor<4xf32> {nn.input_stats = 1.0}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @below {{'func.func' op has the unknown argument attribute 'nn.lable' of the nn dialect on argument 0}}
func.func @negative_unknown_arg(%y: tensor<4xi32> {nn.lable}) -> tensor<4xi32> {
  return %y : tensor<4xi32>
}

// -----

// expected-error @below {{'func.func' op expects 'nn.grad_of' on result 0 to be a string, got @w}}
func.func @negative_grad_of(%x: tensor<4xf32>) -> (tensor<4xf32> {nn.grad_of = @w}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error @below {{'func.func' op has the unknown result attribute 'nn.output' of the nn dialect on result 0}}
func.func @negative_unknown_result(%x: tensor<4xf32>) -> (tensor<4xf32> {nn.output}) {
  return %x : tensor<4xf32>
}
