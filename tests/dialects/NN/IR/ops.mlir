// RUN: nnc-opt %s --verify-roundtrip | FileCheck %s
// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// RUN: nnc-opt %s --mlir-print-op-generic | nnc-opt | FileCheck %s

// Round trip of every nn op and of the #nn.init attribute.

// CHECK-LABEL: func.func @param
// CHECK-SAME: test.inits = [#nn.init<normal(0.000000e+00, 5.000000e-02)>, #nn.init<uniform(-2.500000e-01, 2.500000e-01)>, #nn.init<truncated_normal(1.000000e+00, 2.000000e-02)>, #nn.init<constant(-1.500000e+00)>]
func.func @param() -> (tensor<4x3xf32>, tensor<3xf32>, tensor<2x2xf16>, tensor<5xf64>)
    attributes {test.inits = [#nn.init<normal(0.0, 0.05)>,
                            #nn.init<uniform(-0.25, 0.25)>,
                            #nn.init<truncated_normal(1.0, 0.02)>,
                            #nn.init<constant(-1.5)>]} {
  // CHECK: %[[W:.*]] = nn.param "layer.weight" init = normal(0.000000e+00, 5.000000e-02) : tensor<4x3xf32>
  %w = nn.param "layer.weight" init = normal(0.0, 0.05) : tensor<4x3xf32>
  // CHECK: %[[B:.*]] = nn.param "layer.bias" init = uniform(-1.000000e-01, 1.000000e-01) : tensor<3xf32>
  %b = nn.param "layer.bias" init = uniform(-0.1, 0.1) : tensor<3xf32>
  // CHECK: %[[T:.*]] = nn.param "emb" init = truncated_normal(0.000000e+00, 2.000000e-02) : tensor<2x2xf16>
  %t = nn.param "emb" init = truncated_normal(0.0, 0.02) : tensor<2x2xf16>
  // CHECK: %[[C:.*]] = nn.param "gamma" init = constant(1.000000e+00) : tensor<5xf64>
  %c = nn.param "gamma" init = constant(1.0) : tensor<5xf64>
  // CHECK: return %[[W]], %[[B]], %[[T]], %[[C]]
  return %w, %b, %t, %c : tensor<4x3xf32>, tensor<3xf32>, tensor<2x2xf16>, tensor<5xf64>
}

// The result is named after the parameter, with characters outside
// [A-Za-z0-9._] replaced.
// CHECK-LABEL: func.func @param_asm_name
// CHECK: %blocks_0_.w = nn.param "blocks[0].w" init = constant(0.000000e+00) : tensor<2xf32>
// CHECK: return %blocks_0_.w
func.func @param_asm_name() -> tensor<2xf32> {
  %w = nn.param "blocks[0].w" init = constant(0.0) : tensor<2xf32>
  return %w : tensor<2xf32>
}

// CHECK-LABEL: func.func @binary
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x3xf32>)
func.func @binary(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: %[[ADD:.*]] = nn.add %[[A]], %[[B]] : tensor<2x3xf32>
  %0 = nn.add %a, %b : tensor<2x3xf32>
  // CHECK: %[[SUB:.*]] = nn.sub %[[ADD]], %[[B]] : tensor<2x3xf32>
  %1 = nn.sub %0, %b : tensor<2x3xf32>
  // CHECK: %[[MUL:.*]] = nn.mul %[[SUB]], %[[A]] : tensor<2x3xf32>
  %2 = nn.mul %1, %a : tensor<2x3xf32>
  // CHECK: %[[DIV:.*]] = nn.div %[[MUL]], %[[B]] : tensor<2x3xf32>
  %3 = nn.div %2, %b : tensor<2x3xf32>
  // CHECK: return %[[DIV]]
  return %3 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @unary
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
func.func @unary(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK: %[[NEG:.*]] = nn.neg %[[X]] : tensor<8xf32>
  %0 = nn.neg %x : tensor<8xf32>
  // CHECK: %[[RELU:.*]] = nn.relu %[[NEG]] : tensor<8xf32>
  %1 = nn.relu %0 : tensor<8xf32>
  // CHECK: %[[SIG:.*]] = nn.sigmoid %[[RELU]] : tensor<8xf32>
  %2 = nn.sigmoid %1 : tensor<8xf32>
  // CHECK: %[[TANH:.*]] = nn.tanh %[[SIG]] : tensor<8xf32>
  %3 = nn.tanh %2 : tensor<8xf32>
  // CHECK: %[[SILU:.*]] = nn.silu %[[TANH]] : tensor<8xf32>
  %4 = nn.silu %3 : tensor<8xf32>
  // CHECK: %[[EXP:.*]] = nn.exp %[[SILU]] : tensor<8xf32>
  %5 = nn.exp %4 : tensor<8xf32>
  // CHECK: %[[LOG:.*]] = nn.log %[[EXP]] : tensor<8xf32>
  %6 = nn.log %5 : tensor<8xf32>
  // CHECK: %[[SQRT:.*]] = nn.sqrt %[[LOG]] : tensor<8xf32>
  %7 = nn.sqrt %6 : tensor<8xf32>
  // CHECK: return %[[SQRT]]
  return %7 : tensor<8xf32>
}

// CHECK-LABEL: func.func @scale
// CHECK-SAME: (%[[X:.*]]: tensor<4x4xbf16>)
func.func @scale(%x: tensor<4x4xbf16>) -> tensor<4x4xbf16> {
  // CHECK: %[[S:.*]] = nn.scale %[[X]] by 5.000000e-01 : tensor<4x4xbf16>
  %0 = nn.scale %x by 0.5 : tensor<4x4xbf16>
  // CHECK: %[[T:.*]] = nn.scale %[[S]] by -2.500000e-01 : tensor<4x4xbf16>
  %1 = nn.scale %0 by -0.25 : tensor<4x4xbf16>
  // CHECK: return %[[T]]
  return %1 : tensor<4x4xbf16>
}

// CHECK-LABEL: func.func @leaky_relu
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
func.func @leaky_relu(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK: %[[R:.*]] = nn.leaky_relu %[[X]] slope 2.000000e-01 : tensor<8xf32>
  %0 = nn.leaky_relu %x slope 0.2 : tensor<8xf32>
  // CHECK: return %[[R]]
  return %0 : tensor<8xf32>
}

// CHECK-LABEL: func.func @gelu
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
func.func @gelu(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  // CHECK: %[[EXACT:.*]] = nn.gelu %[[X]] : tensor<8xf32>
  %0 = nn.gelu %x : tensor<8xf32>
  // CHECK: %[[APPROX:.*]] = nn.gelu %[[X]] {tanh} : tensor<8xf32>
  %1 = nn.gelu %x {tanh} : tensor<8xf32>
  // CHECK: return %[[EXACT]], %[[APPROX]]
  return %0, %1 : tensor<8xf32>, tensor<8xf32>
}

// CHECK-LABEL: func.func @softplus_elu
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
func.func @softplus_elu(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK: %[[SP:.*]] = nn.softplus %[[X]] beta 2.000000e+00 threshold 1.000000e+01 : tensor<8xf32>
  %0 = nn.softplus %x beta 2.0 threshold 10.0 : tensor<8xf32>
  // CHECK: %[[ELU:.*]] = nn.elu %[[SP]] alpha 1.500000e+00 : tensor<8xf32>
  %1 = nn.elu %0 alpha 1.5 : tensor<8xf32>
  // CHECK: return %[[ELU]]
  return %1 : tensor<8xf32>
}

// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<4x10xf32>)
func.func @softmax(%x: tensor<4x10xf32>) -> (tensor<4x10xf32>, tensor<4x10xf32>) {
  // CHECK: %[[P:.*]] = nn.softmax %[[X]] dim 1 : tensor<4x10xf32>
  %0 = nn.softmax %x dim 1 : tensor<4x10xf32>
  // CHECK: %[[LP:.*]] = nn.log_softmax %[[X]] dim 0 : tensor<4x10xf32>
  %1 = nn.log_softmax %x dim 0 : tensor<4x10xf32>
  // CHECK: return %[[P]], %[[LP]]
  return %0, %1 : tensor<4x10xf32>, tensor<4x10xf32>
}

// CHECK-LABEL: func.func @dense
// CHECK-SAME: (%[[X:.*]]: tensor<16x8xf32>, %[[W:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4xf32>)
func.func @dense(%x: tensor<16x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>)
    -> (tensor<16x4xf32>, tensor<16x4xf32>) {
  // CHECK: %[[WITH:.*]] = nn.dense %[[X]], %[[W]], %[[B]] : tensor<16x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<16x4xf32>
  %0 = nn.dense %x, %w, %b : tensor<16x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<16x4xf32>
  // CHECK: %[[WITHOUT:.*]] = nn.dense %[[X]], %[[W]] : tensor<16x8xf32>, tensor<4x8xf32> -> tensor<16x4xf32>
  %1 = nn.dense %x, %w : tensor<16x8xf32>, tensor<4x8xf32> -> tensor<16x4xf32>
  // CHECK: return %[[WITH]], %[[WITHOUT]]
  return %0, %1 : tensor<16x4xf32>, tensor<16x4xf32>
}

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<6x4xf32>, %[[B:.*]]: tensor<4x5xf32>, %[[C:.*]]: tensor<6x5xf32>)
func.func @matmul(%a: tensor<6x4xf32>, %b: tensor<4x5xf32>, %c: tensor<6x5xf32>)
    -> (tensor<6x5xf32>, tensor<4x5xf32>, tensor<6x4xf32>, tensor<5x6xf32>) {
  // CHECK: %[[AB:.*]] = nn.matmul %[[A]], %[[B]] : tensor<6x4xf32>, tensor<4x5xf32> -> tensor<6x5xf32>
  %0 = nn.matmul %a, %b : tensor<6x4xf32>, tensor<4x5xf32> -> tensor<6x5xf32>
  // CHECK: %[[ATC:.*]] = nn.matmul %[[A]], %[[C]] {transpose_lhs} : tensor<6x4xf32>, tensor<6x5xf32> -> tensor<4x5xf32>
  %1 = nn.matmul %a, %c {transpose_lhs} : tensor<6x4xf32>, tensor<6x5xf32> -> tensor<4x5xf32>
  // CHECK: %[[CBT:.*]] = nn.matmul %[[C]], %[[B]] {transpose_rhs} : tensor<6x5xf32>, tensor<4x5xf32> -> tensor<6x4xf32>
  %2 = nn.matmul %c, %b {transpose_rhs} : tensor<6x5xf32>, tensor<4x5xf32> -> tensor<6x4xf32>
  // CHECK: %[[BOTH:.*]] = nn.matmul %[[B]], %[[A]] {transpose_lhs, transpose_rhs} : tensor<4x5xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %3 = nn.matmul %b, %a {transpose_lhs, transpose_rhs} : tensor<4x5xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  // CHECK: return %[[AB]], %[[ATC]], %[[CBT]], %[[BOTH]]
  return %0, %1, %2, %3 : tensor<6x5xf32>, tensor<4x5xf32>, tensor<6x4xf32>, tensor<5x6xf32>
}

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  // CHECK: %[[T:.*]] = nn.transpose %[[X]] [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %0 = nn.transpose %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  // CHECK: return %[[T]]
  return %0 : tensor<4x2x3xf32>
}

// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<4x1x3x2xf32>, %[[I:.*]]: tensor<6xi32>)
func.func @reshape(%x: tensor<4x1x3x2xf32>, %i: tensor<6xi32>) -> (tensor<4x6xf32>, tensor<2x3xi32>) {
  // CHECK: %[[F:.*]] = nn.reshape %[[X]] : tensor<4x1x3x2xf32> -> tensor<4x6xf32>
  %0 = nn.reshape %x : tensor<4x1x3x2xf32> -> tensor<4x6xf32>
  // Reshape takes any static tensor, integers included.
  // CHECK: %[[R:.*]] = nn.reshape %[[I]] : tensor<6xi32> -> tensor<2x3xi32>
  %1 = nn.reshape %i : tensor<6xi32> -> tensor<2x3xi32>
  // CHECK: return %[[F]], %[[R]]
  return %0, %1 : tensor<4x6xf32>, tensor<2x3xi32>
}

// CHECK-LABEL: func.func @broadcast
// CHECK-SAME: (%[[V:.*]]: tensor<10xf32>, %[[S:.*]]: tensor<f32>)
func.func @broadcast(%v: tensor<10xf32>, %s: tensor<f32>) -> (tensor<8x10xf32>, tensor<10x3xf32>, tensor<2x3xf32>) {
  // CHECK: %[[B0:.*]] = nn.broadcast %[[V]] dims [1] : tensor<10xf32> -> tensor<8x10xf32>
  %0 = nn.broadcast %v dims [1] : tensor<10xf32> -> tensor<8x10xf32>
  // CHECK: %[[B1:.*]] = nn.broadcast %[[V]] dims [0] : tensor<10xf32> -> tensor<10x3xf32>
  %1 = nn.broadcast %v dims [0] : tensor<10xf32> -> tensor<10x3xf32>
  // CHECK: %[[B2:.*]] = nn.broadcast %[[S]] dims [] : tensor<f32> -> tensor<2x3xf32>
  %2 = nn.broadcast %s dims [] : tensor<f32> -> tensor<2x3xf32>
  // CHECK: return %[[B0]], %[[B1]], %[[B2]]
  return %0, %1, %2 : tensor<8x10xf32>, tensor<10x3xf32>, tensor<2x3xf32>
}

// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.*]]: tensor<8x3xf32>, %[[B:.*]]: tensor<8x5xf32>)
func.func @concat(%a: tensor<8x3xf32>, %b: tensor<8x5xf32>) -> (tensor<8x11xf32>, tensor<8x3xf32>) {
  // CHECK: %[[C:.*]] = nn.concat %[[A]], %[[B]], %[[A]] dim 1 : tensor<8x3xf32>, tensor<8x5xf32>, tensor<8x3xf32> -> tensor<8x11xf32>
  %0 = nn.concat %a, %b, %a dim 1 : tensor<8x3xf32>, tensor<8x5xf32>, tensor<8x3xf32> -> tensor<8x11xf32>
  // CHECK: %[[ONE:.*]] = nn.concat %[[A]] dim 1 : tensor<8x3xf32> -> tensor<8x3xf32>
  %1 = nn.concat %a dim 1 : tensor<8x3xf32> -> tensor<8x3xf32>
  // CHECK: return %[[C]], %[[ONE]]
  return %0, %1 : tensor<8x11xf32>, tensor<8x3xf32>
}

// CHECK-LABEL: func.func @reduce
// CHECK-SAME: (%[[X:.*]]: tensor<4x5x6xf32>)
func.func @reduce(%x: tensor<4x5x6xf32>)
    -> (tensor<5xf32>, tensor<1x5x1xf32>, tensor<f32>, tensor<4x5x1xf32>, tensor<1x1x1xf32>) {
  // CHECK: %[[S:.*]] = nn.sum %[[X]] dims [0, 2] : tensor<4x5x6xf32> -> tensor<5xf32>
  %0 = nn.sum %x dims [0, 2] : tensor<4x5x6xf32> -> tensor<5xf32>
  // CHECK: %[[SK:.*]] = nn.sum %[[X]] dims [0, 2] {keepdim} : tensor<4x5x6xf32> -> tensor<1x5x1xf32>
  %1 = nn.sum %x dims [0, 2] {keepdim} : tensor<4x5x6xf32> -> tensor<1x5x1xf32>
  // CHECK: %[[M:.*]] = nn.mean %[[X]] dims [] : tensor<4x5x6xf32> -> tensor<f32>
  %2 = nn.mean %x dims [] : tensor<4x5x6xf32> -> tensor<f32>
  // CHECK: %[[MK:.*]] = nn.mean %[[X]] dims [2] {keepdim} : tensor<4x5x6xf32> -> tensor<4x5x1xf32>
  %3 = nn.mean %x dims [2] {keepdim} : tensor<4x5x6xf32> -> tensor<4x5x1xf32>
  // CHECK: %[[MA:.*]] = nn.mean %[[X]] dims [] {keepdim} : tensor<4x5x6xf32> -> tensor<1x1x1xf32>
  %4 = nn.mean %x dims [] {keepdim} : tensor<4x5x6xf32> -> tensor<1x1x1xf32>
  // CHECK: return %[[S]], %[[SK]], %[[M]], %[[MK]], %[[MA]]
  return %0, %1, %2, %3, %4 : tensor<5xf32>, tensor<1x5x1xf32>, tensor<f32>, tensor<4x5x1xf32>, tensor<1x1x1xf32>
}

// CHECK-LABEL: func.func @losses
// CHECK-SAME: (%[[L:.*]]: tensor<16x10xf32>, %[[Y:.*]]: tensor<16xi64>, %[[P:.*]]: tensor<16x1xf32>, %[[T:.*]]: tensor<16x1xf32>)
func.func @losses(%logits: tensor<16x10xf32>, %y: tensor<16xi64>,
                  %p: tensor<16x1xf32>, %t: tensor<16x1xf32>)
    -> (tensor<f32>, tensor<f32>, tensor<f32>) {
  // CHECK: %[[CE:.*]] = nn.cross_entropy %[[L]], %[[Y]] : tensor<16x10xf32>, tensor<16xi64> -> tensor<f32>
  %0 = nn.cross_entropy %logits, %y : tensor<16x10xf32>, tensor<16xi64> -> tensor<f32>
  // CHECK: %[[MSE:.*]] = nn.mse %[[P]], %[[T]] : tensor<16x1xf32> -> tensor<f32>
  %1 = nn.mse %p, %t : tensor<16x1xf32> -> tensor<f32>
  // CHECK: %[[BCE:.*]] = nn.bce_with_logits %[[P]], %[[T]] : tensor<16x1xf32> -> tensor<f32>
  %2 = nn.bce_with_logits %p, %t : tensor<16x1xf32> -> tensor<f32>
  // CHECK: return %[[CE]], %[[MSE]], %[[BCE]]
  return %0, %1, %2 : tensor<f32>, tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @conv_and_pool
func.func @conv_and_pool(%x: tensor<2x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> (tensor<2x6x8x8xf32>, tensor<2x4x4x4xf32>, tensor<2x4x3x3xf32>) {
  // CHECK: nn.conv2d %{{.*}}, %{{.*}}, %{{.*}} stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<2x6x8x8xf32>
  %y = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<2x6x8x8xf32>
  // CHECK: nn.max_pool2d %{{.*}} kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<2x4x8x8xf32> -> tensor<2x4x4x4xf32>
  %m = nn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<2x4x8x8xf32> -> tensor<2x4x4x4xf32>
  // CHECK: nn.avg_pool2d %{{.*}} kernel [3, 3] stride [3, 2] padding [1, 0] : tensor<2x4x8x8xf32> -> tensor<2x4x3x3xf32>
  %a = nn.avg_pool2d %x kernel [3, 3] stride [3, 2] padding [1, 0] : tensor<2x4x8x8xf32> -> tensor<2x4x3x3xf32>
  return %y, %m, %a : tensor<2x6x8x8xf32>, tensor<2x4x4x4xf32>, tensor<2x4x3x3xf32>
}

// CHECK-LABEL: func.func @conv_without_bias
// CHECK: nn.conv2d %{{.*}}, %{{.*}} stride [2, 1] padding [0, 2] dilation [1, 2] groups 1 : tensor<1x3x9x9xf32>, tensor<5x3x2x2xf32> -> tensor<1x5x4x11xf32>
func.func @conv_without_bias(%x: tensor<1x3x9x9xf32>, %w: tensor<5x3x2x2xf32>) -> tensor<1x5x4x11xf32> {
  %y = nn.conv2d %x, %w stride [2, 1] padding [0, 2] dilation [1, 2] groups 1 : tensor<1x3x9x9xf32>, tensor<5x3x2x2xf32> -> tensor<1x5x4x11xf32>
  return %y : tensor<1x5x4x11xf32>
}

// CHECK-LABEL: func.func @conv_and_pool_grads
func.func @conv_and_pool_grads(%x: tensor<2x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %dy: tensor<2x6x8x8xf32>, %dp: tensor<2x4x4x4xf32>) -> (tensor<2x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) {
  // CHECK: nn.conv2d_grad_input %{{.*}}, %{{.*}} stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x6x8x8xf32>, tensor<6x2x3x3xf32> -> tensor<2x4x8x8xf32>
  %dx = nn.conv2d_grad_input %dy, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x6x8x8xf32>, tensor<6x2x3x3xf32> -> tensor<2x4x8x8xf32>
  // CHECK: nn.conv2d_grad_weight %{{.*}}, %{{.*}} stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x6x8x8xf32>, tensor<2x4x8x8xf32> -> tensor<6x2x3x3xf32>
  %dw = nn.conv2d_grad_weight %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 : tensor<2x6x8x8xf32>, tensor<2x4x8x8xf32> -> tensor<6x2x3x3xf32>
  // CHECK: nn.max_pool2d_grad %{{.*}}, %{{.*}} kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<2x4x8x8xf32>, tensor<2x4x4x4xf32>
  %dm = nn.max_pool2d_grad %x, %dp kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<2x4x8x8xf32>, tensor<2x4x4x4xf32>
  // CHECK: nn.avg_pool2d_grad %{{.*}} kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<2x4x4x4xf32> -> tensor<2x4x8x8xf32>
  %da = nn.avg_pool2d_grad %dp kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<2x4x4x4xf32> -> tensor<2x4x8x8xf32>
  return %dx, %dw, %dm, %da : tensor<2x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>
}

// CHECK-LABEL: func.func @normalization
func.func @normalization(%x: tensor<4x3x5x5xf32>, %h: tensor<4x6xf32>, %step: tensor<f64>) -> (tensor<4x3x5x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4x3x5x5xf32>, tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>) {
  // CHECK: %[[W:.*]] = nn.param "bn.weight" init = constant(1.000000e+00) : tensor<3xf32>
  %w = nn.param "bn.weight" init = constant(1.0) : tensor<3xf32>
  // CHECK: %[[M:.*]] = nn.buffer "bn.running_mean" init = constant(0.000000e+00) : tensor<3xf32>
  %m = nn.buffer "bn.running_mean" init = constant(0.0) : tensor<3xf32>
  // CHECK: %[[V:.*]] = nn.buffer "bn.running_var" init = constant(1.000000e+00) : tensor<3xf32>
  %v = nn.buffer "bn.running_var" init = constant(1.0) : tensor<3xf32>
  // CHECK: nn.batch_norm %{{.*}}, %[[W]], %[[W]], %[[M]], %[[V]] momentum 1.000000e-01 eps 1.000000e-05 {training} : tensor<4x3x5x5xf32>, tensor<3xf32>
  %y, %m2, %v2 = nn.batch_norm %x, %w, %w, %m, %v momentum 0.1 eps 1.0e-5 {training} : tensor<4x3x5x5xf32>, tensor<3xf32>
  // CHECK: nn.batch_norm %{{.*}}, %[[W]], %[[W]], %[[M]], %[[V]] momentum 0.000000e+00 eps 1.000000e-03 : tensor<4x3x5x5xf32>, tensor<3xf32>
  %e, %m3, %v3 = nn.batch_norm %x, %w, %w, %m, %v momentum 0.0 eps 1.0e-3 : tensor<4x3x5x5xf32>, tensor<3xf32>
  %g = nn.param "ln.weight" init = constant(1.0) : tensor<6xf32>
  // CHECK: nn.layer_norm %{{.*}}, %{{.*}}, %{{.*}} eps 1.000000e-05 : tensor<4x6xf32>, tensor<6xf32>
  %l = nn.layer_norm %h, %g, %g eps 1.0e-5 : tensor<4x6xf32>, tensor<6xf32>
  // CHECK: nn.dropout %{{.*}}, %{{.*}} p 5.000000e-01 seed 3 {training} : tensor<4x6xf32>, tensor<f64>
  %d = nn.dropout %h, %step p 0.5 seed 3 {training} : tensor<4x6xf32>, tensor<f64>
  // CHECK: nn.dropout %{{.*}} p 2.500000e-01 seed 0 {training} : tensor<4x6xf32>
  %d2 = nn.dropout %h p 0.25 seed 0 {training} : tensor<4x6xf32>
  // The batch's place in a global batch: the offset of its first example.
  // CHECK: nn.dropout %{{.*}}, %{{.*}} offset %{{.*}} : tensor<f64> p 5.000000e-01 seed 3 {training} : tensor<4x6xf32>, tensor<f64>
  %d3 = nn.dropout %h, %step offset %step : tensor<f64> p 0.5 seed 3 {training} : tensor<4x6xf32>, tensor<f64>
  return %y, %m2, %v2, %e, %l, %d, %d2, %d3 : tensor<4x3x5x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4x3x5x5xf32>, tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>, tensor<4x6xf32>
}

// CHECK-LABEL: func.func @batch_norm_grad
// CHECK: nn.batch_norm_grad %{{.*}}, %{{.*}}, %{{.*}} eps 1.000000e-05 : tensor<4x3x5x5xf32>, tensor<3xf32>
func.func @batch_norm_grad(%x: tensor<4x3x5x5xf32>, %w: tensor<3xf32>, %dy: tensor<4x3x5x5xf32>) -> (tensor<4x3x5x5xf32>, tensor<3xf32>, tensor<3xf32>) {
  %dx, %dw, %db = nn.batch_norm_grad %x, %w, %dy eps 1.0e-5 : tensor<4x3x5x5xf32>, tensor<3xf32>
  return %dx, %dw, %db : tensor<4x3x5x5xf32>, tensor<3xf32>, tensor<3xf32>
}
