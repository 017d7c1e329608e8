// A model without parameters: the glue's tables are empty.
func.func @noparams(%x: tensor<4x3xf32> {nn.name = "x"}, %y: tensor<4xi32> {nn.label, nn.name = "y"}) -> (tensor<f32> {nn.name = "loss"}) attributes {nn.model} {
  %z = arith.constant dense<0.5> : tensor<4x3xf32>
  %0 = nn.dense %x, %z : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x4xf32>
  %1 = nn.cross_entropy %0, %y : tensor<4x4xf32>, tensor<4xi32> -> tensor<f32>
  return %1 : tensor<f32>
}
