// RUN: nnc-opt %s --nn-check-gradient-flow -split-input-file -verify-diagnostics

// Three sigmoid layers with weights of spread 0.01: every layer passes on
// about 0.02 of the gradient.
func.func @vanishing(%x: tensor<16x64xf32>, %y: tensor<16xi32>) -> tensor<f32> attributes {nn.model} {
  // expected-warning @+2 {{gradient vanishes over 4 layers: at 'w0' it is about 4.3e-05 of its size at 'head' [-Wvanishing-gradient]}}
  // expected-note @+1 {{consider relu or silu with init = he, a residual connection around the repeated block, or normalization}}
  %w0 = nn.param "w0" init = normal(0.0, 0.01) : tensor<64x64xf32>
  %0 = nn.dense %x, %w0 : tensor<16x64xf32>, tensor<64x64xf32> -> tensor<16x64xf32>
  %1 = nn.sigmoid %0 : tensor<16x64xf32>
  %w1 = nn.param "w1" init = normal(0.0, 0.01) : tensor<64x64xf32>
  // expected-note @+1 {{dense scales the gradient by about 0.08 (weights of spread 0.01 over 64 outputs)}}
  %2 = nn.dense %1, %w1 : tensor<16x64xf32>, tensor<64x64xf32> -> tensor<16x64xf32>
  %3 = nn.sigmoid %2 : tensor<16x64xf32>
  %w2 = nn.param "w2" init = normal(0.0, 0.01) : tensor<64x64xf32>
  // expected-note @+1 {{dense scales the gradient by about 0.08 (weights of spread 0.01 over 64 outputs)}}
  %4 = nn.dense %3, %w2 : tensor<16x64xf32>, tensor<64x64xf32> -> tensor<16x64xf32>
  %5 = nn.sigmoid %4 : tensor<16x64xf32>
  %head = nn.param "head" init = uniform(-0.125, 0.125) : tensor<10x64xf32>
  // expected-note @+1 {{dense scales the gradient by about 0.23 (weights of spread 0.072 over 10 outputs)}}
  %6 = nn.dense %5, %head : tensor<16x64xf32>, tensor<10x64xf32> -> tensor<16x10xf32>
  %7 = nn.cross_entropy %6, %y : tensor<16x10xf32>, tensor<16xi32> -> tensor<f32>
  return %7 : tensor<f32>
}

// -----

// A scale by 1000 multiplies the gradient below it; the weight gradients
// stay balanced (the activations grow as much), the signal does not.
func.func @exploding(%x: tensor<16x64xf32>, %y: tensor<16xi32>) -> tensor<f32> attributes {nn.model} {
  // expected-warning @+2 {{gradient explodes over 2 layers: reaching the layer of 'w0' it is about 2.3e+02 times its size at the layer of 'head' [-Wexploding-gradient]}}
  // expected-note @+1 {{consider clip_grad_norm in the train section, a smaller initialization, or normalization}}
  %w0 = nn.param "w0" init = uniform(-0.125, 0.125) : tensor<64x64xf32>
  %0 = nn.dense %x, %w0 : tensor<16x64xf32>, tensor<64x64xf32> -> tensor<16x64xf32>
  // expected-note @+1 {{scale scales the gradient by about 1e+03}}
  %1 = nn.scale %0 by 1.000000e+03 : tensor<16x64xf32>
  %head = nn.param "head" init = uniform(-0.125, 0.125) : tensor<10x64xf32>
  %2 = nn.dense %1, %head : tensor<16x64xf32>, tensor<10x64xf32> -> tensor<16x10xf32>
  %3 = nn.cross_entropy %2, %y : tensor<16x10xf32>, tensor<16xi32> -> tensor<f32>
  return %3 : tensor<f32>
}

// -----

// Clipping the gradient norm is the fix for explosions: no warning.
func.func @exploding_clipped(%x: tensor<16x64xf32>, %y: tensor<16xi32>) -> tensor<f32> attributes {nn.model, nn.train = {clip_grad_norm = 1.0 : f64, optimizer = "sgd", lr = 0.1 : f64}} {
  %w0 = nn.param "w0" init = uniform(-0.125, 0.125) : tensor<64x64xf32>
  %0 = nn.dense %x, %w0 : tensor<16x64xf32>, tensor<64x64xf32> -> tensor<16x64xf32>
  %1 = nn.scale %0 by 1.000000e+03 : tensor<16x64xf32>
  %head = nn.param "head" init = uniform(-0.125, 0.125) : tensor<10x64xf32>
  %2 = nn.dense %1, %head : tensor<16x64xf32>, tensor<10x64xf32> -> tensor<16x10xf32>
  %3 = nn.cross_entropy %2, %y : tensor<16x10xf32>, tensor<16xi32> -> tensor<f32>
  return %3 : tensor<f32>
}

// -----

// Weights of spread 1 over 64 inputs: tanh sees inputs of spread 8.
func.func @saturated(%x: tensor<16x64xf32>, %y: tensor<16xi32>) -> tensor<f32> attributes {nn.model} {
  %w0 = nn.param "w0" init = normal(0.0, 1.0) : tensor<64x64xf32>
  %0 = nn.dense %x, %w0 : tensor<16x64xf32>, tensor<64x64xf32> -> tensor<16x64xf32>
  // expected-warning @+2 {{tanh saturates: about 82% of its inputs (spread 8) fall where its derivative is below a tenth of its peak [-Wsaturated-activation]}}
  // expected-note @+1 {{consider a smaller initialization of the layer before it, or normalization}}
  %1 = nn.tanh %0 : tensor<16x64xf32>
  %head = nn.param "head" init = uniform(-0.125, 0.125) : tensor<10x64xf32>
  %2 = nn.dense %1, %head : tensor<16x64xf32>, tensor<10x64xf32> -> tensor<16x10xf32>
  %3 = nn.cross_entropy %2, %y : tensor<16x10xf32>, tensor<16xi32> -> tensor<f32>
  return %3 : tensor<f32>
}

// -----

// A bias of -2 under inputs of spread 0.58: relu is almost never active.
func.func @dead_relu(%x: tensor<16x64xf32>, %y: tensor<16xi32>) -> tensor<f32> attributes {nn.model} {
  %w0 = nn.param "w0" init = uniform(-0.125, 0.125) : tensor<64x64xf32>
  %b0 = nn.param "b0" init = constant(-2.0) : tensor<64xf32>
  %0 = nn.dense %x, %w0, %b0 : tensor<16x64xf32>, tensor<64x64xf32>, tensor<64xf32> -> tensor<16x64xf32>
  // expected-warning @+2 {{relu is expected to be mostly inactive: about 100% of its inputs are negative (mean -2, spread 0.58) [-Wdead-relu]}}
  // expected-note @+1 {{consider a zero bias initialization, leaky_relu, or normalization before it}}
  %1 = nn.relu %0 : tensor<16x64xf32>
  %head = nn.param "head" init = uniform(-0.125, 0.125) : tensor<10x64xf32>
  %2 = nn.dense %1, %head : tensor<16x64xf32>, tensor<10x64xf32> -> tensor<16x10xf32>
  %3 = nn.cross_entropy %2, %y : tensor<16x10xf32>, tensor<16xi32> -> tensor<f32>
  return %3 : tensor<f32>
}

// -----

// The second layer only feeds an output, never the loss.
func.func @parameter_without_gradient(%x: tensor<16x64xf32>, %y: tensor<16xi32>) -> (tensor<f32>, tensor<16x3xf32>) attributes {nn.model} {
  %head = nn.param "head" init = uniform(-0.125, 0.125) : tensor<10x64xf32>
  %0 = nn.dense %x, %head : tensor<16x64xf32>, tensor<10x64xf32> -> tensor<16x10xf32>
  // expected-warning @+1 {{parameter 'extra' receives no gradient: the loss does not depend on it [-Wparameter-without-gradient]}}
  %extra = nn.param "extra" init = uniform(-0.125, 0.125) : tensor<3x64xf32>
  %1 = nn.dense %x, %extra : tensor<16x64xf32>, tensor<3x64xf32> -> tensor<16x3xf32>
  %2 = nn.cross_entropy %0, %y : tensor<16x10xf32>, tensor<16xi32> -> tensor<f32>
  return %2, %1 : tensor<f32>, tensor<16x3xf32>
}

// -----

// An op of another dialect: the analysis says it does not know it.
func.func @unmodeled_op(%x: tensor<16x64xf32>, %y: tensor<16xi32>) -> tensor<f32> attributes {nn.model} {
  // expected-warning @+1 {{gradient-flow analysis does not model 'math.absf'; its results are taken to be standardized [-Wunmodeled-op]}}
  %0 = math.absf %x : tensor<16x64xf32>
  %head = nn.param "head" init = uniform(-0.125, 0.125) : tensor<10x64xf32>
  %1 = nn.dense %0, %head : tensor<16x64xf32>, tensor<10x64xf32> -> tensor<16x10xf32>
  %2 = nn.cross_entropy %1, %y : tensor<16x10xf32>, tensor<16xi32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Not a model: nothing to analyse.
func.func @not_a_model(%x: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %0 = math.absf %x : tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// He-initialized relu layers pass the gradient on: no warning.
func.func @healthy(%x: tensor<16x64xf32>, %y: tensor<16xi32>) -> tensor<f32> attributes {nn.model} {
  %w0 = nn.param "w0" init = normal(0.0, 0.17677) : tensor<64x64xf32>
  %0 = nn.dense %x, %w0 : tensor<16x64xf32>, tensor<64x64xf32> -> tensor<16x64xf32>
  %1 = nn.relu %0 : tensor<16x64xf32>
  %w1 = nn.param "w1" init = normal(0.0, 0.17677) : tensor<64x64xf32>
  %2 = nn.dense %1, %w1 : tensor<16x64xf32>, tensor<64x64xf32> -> tensor<16x64xf32>
  %3 = nn.relu %2 : tensor<16x64xf32>
  %head = nn.param "head" init = uniform(-0.125, 0.125) : tensor<10x64xf32>
  %4 = nn.dense %3, %head : tensor<16x64xf32>, tensor<10x64xf32> -> tensor<16x10xf32>
  %5 = nn.cross_entropy %4, %y : tensor<16x10xf32>, tensor<16xi32> -> tensor<f32>
  return %5 : tensor<f32>
}
