// Verifier-valid but unusual IR, which every nnc pass must take without
// crashing (unusual-ir.test): a helper with several blocks, a parameter the
// loss does not use, a model without parameters, one with an f64 loss and
// an output, and a function that looks like a step but is not one.

// A helper with several blocks, next to the models.
func.func @helper(%c: i1, %x: tensor<4xf32>) -> tensor<4xf32> {
  cf.cond_br %c, ^a, ^b
^a:
  return %x : tensor<4xf32>
^b:
  %n = arith.negf %x : tensor<4xf32>
  return %n : tensor<4xf32>
}

// A model whose parameter the loss does not use, and no outputs.
func.func @unused(%x: tensor<4x3xf32> {nn.name = "x"}, %y: tensor<4xi32> {nn.label, nn.name = "y"}) -> (tensor<f32> {nn.name = "loss"}) attributes {nn.model} {
  %w = nn.param "w" init = uniform(-0.5, 0.5) : tensor<2x3xf32>
  %v = nn.param "v" init = constant(1.0) : tensor<7xf32>
  %b = nn.param "b" init = constant(0.0) : tensor<2xf32>
  %0 = nn.dense %x, %w, %b : tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %1 = nn.cross_entropy %0, %y : tensor<4x2xf32>, tensor<4xi32> -> tensor<f32>
  return %1 : tensor<f32>
}

// A model without parameters.
func.func @constant(%x: tensor<4x3xf32> {nn.name = "x"}, %y: tensor<4xi32> {nn.label, nn.name = "y"}) -> (tensor<f32> {nn.name = "loss"}) attributes {nn.model} {
  %z = arith.constant dense<0.0> : tensor<4x3xf32>
  %0 = nn.dense %x, %z : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x4xf32>
  %1 = nn.cross_entropy %0, %y : tensor<4x4xf32>, tensor<4xi32> -> tensor<f32>
  return %1 : tensor<f32>
}

// An f64 loss and an output.
func.func @double(%x: tensor<2x3xf64> {nn.name = "x"}, %t: tensor<2x2xf64> {nn.name = "t"}) -> (tensor<f64> {nn.name = "loss"}, tensor<2x2xf64> {nn.name = "p"}) attributes {nn.model, nn.train = {optimizer = "sgd", lr = 0.1 : f64}} {
  %w = nn.param "w" init = normal(0.0, 0.5) : tensor<2x3xf64>
  %p = nn.dense %x, %w : tensor<2x3xf64>, tensor<2x3xf64> -> tensor<2x2xf64>
  %l = nn.mse %p, %t : tensor<2x2xf64> -> tensor<f64>
  return %l, %p : tensor<f64>, tensor<2x2xf64>
}

// Step attributes on a function no step builder made.
func.func @lonely_step(%x: tensor<4xf32> {nn.name = "x"}) -> tensor<4xf32> attributes {nn.step = "eval", nn.model_name = "none"} {
  return %x : tensor<4xf32>
}
