// A model next to another function, whose name --name must not take.
func.func @tiny(%x: tensor<4x3xf32> {nn.name = "x"}, %y: tensor<4xi32> {nn.label, nn.name = "y"}) -> (tensor<f32> {nn.name = "loss"}) attributes {nn.model, nn.train = {lr = 1.000000e-03 : f64, optimizer = "sgd"}} {
  %w = nn.param "w" init = uniform(-0.5, 0.5) : tensor<2x3xf32>
  %b = nn.param "b" init = constant(0.0) : tensor<2xf32>
  %0 = nn.dense %x, %w, %b : tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %1 = nn.cross_entropy %0, %y : tensor<4x2xf32>, tensor<4xi32> -> tensor<f32>
  return %1 : tensor<f32>
}

func.func @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
