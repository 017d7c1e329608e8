// RUN: nnc-opt %s --nn-autodiff --canonicalize --cse | FileCheck %s
// RUN: nnc-opt %s --nn-autodiff --canonicalize --cse --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s --check-prefix=LOC

// How nn-autodiff assembles a gradient function: signature, accumulation,
// zero gradients, inactive values, locations, and models that already have
// their gradient function.

// The gradient function keeps the model's arguments and results (with their
// attributes), drops nn.model and nn.train, points back at the model, and
// returns one gradient per nn.param in declaration order, whatever order the
// body uses them in. Inputs and labels get no gradient. A parameter that only
// reaches another output ("b") or nothing at all ("unused") gets zeros.
// CHECK-LABEL: func.func @order(
// CHECK-LABEL: func.func @order_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32> {nn.name = "x"}, %[[Y:.*]]: tensor<4xi32> {nn.label})
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss"}, tensor<4xf32> {nn.name = "out"},
// CHECK-SAME: tensor<4xf32> {nn.grad_of = "a"}, tensor<4xf32> {nn.grad_of = "b"}, tensor<4xf32> {nn.grad_of = "c"}, tensor<2xf32> {nn.grad_of = "unused"})
// CHECK-SAME: attributes {nn.gradient_of = @order}
// CHECK-NOT: nn.model
// CHECK-DAG: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-DAG: %[[ZERO2:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-DAG: %[[ZERO4:.*]] = arith.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[OUT:.*]] = nn.add %{{.*}}, %[[X]]
// CHECK: return %[[L]], %[[OUT]], %[[ONES]], %[[ZERO4]], %[[X]], %[[ZERO2]] :
func.func @order(%x: tensor<4xf32> {nn.name = "x"}, %y: tensor<4xi32> {nn.label})
    -> (tensor<f32> {nn.name = "loss"}, tensor<4xf32> {nn.name = "out"})
    attributes {nn.model, nn.train = {lr = 1.0 : f64}} {
  %a = nn.param "a" init = constant(0.0) : tensor<4xf32>
  %b = nn.param "b" init = constant(0.0) : tensor<4xf32>
  %c = nn.param "c" init = constant(0.0) : tensor<4xf32>
  %u = nn.param "unused" init = constant(0.0) : tensor<2xf32>
  %o = nn.mul %c, %x : tensor<4xf32>
  %p = nn.add %o, %a : tensor<4xf32>
  %l = nn.sum %p dims [] : tensor<4xf32> -> tensor<f32>
  %out = nn.add %b, %x : tensor<4xf32>
  return %l, %out : tensor<f32>, tensor<4xf32>
}

// A parameter used twice sums its two cotangents with nn.add: d(w x) = x and
// d exp(w) = exp(w).
// CHECK-LABEL: func.func @fan_out_param_grad
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[E:.*]] = nn.exp
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DW:.*]] = nn.add %[[E]], %[[X]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]] :
func.func @fan_out_param(%x: tensor<4xf32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %a = nn.mul %w, %x : tensor<4xf32>
  %b = nn.exp %w : tensor<4xf32>
  %c = nn.add %a, %b : tensor<4xf32>
  %l = nn.sum %c dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// An intermediate value used twice (h * h) accumulates too, before its own
// rule runs: dh = h + h, then dw = dh * exp(w) = dh * h.
// CHECK-LABEL: func.func @fan_out_value_grad
// CHECK: %[[H:.*]] = nn.exp
// CHECK: %[[L:.*]] = nn.sum
// CHECK: %[[DH:.*]] = nn.add %[[H]], %[[H]] : tensor<4xf32>
// CHECK: %[[DW:.*]] = nn.mul %[[DH]], %[[H]] : tensor<4xf32>
// CHECK: return %[[L]], %[[DW]] :
func.func @fan_out_value() -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %h = nn.exp %w : tensor<4xf32>
  %z = nn.mul %h, %h : tensor<4xf32>
  %l = nn.sum %z dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// A loss that depends on no parameter gives zero gradients and no backward
// ops at all.
// CHECK-LABEL: func.func @inactive_loss_grad
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK: %[[L:.*]] = nn.sum
// CHECK-NOT: nn.
// CHECK: return %[[L]], %{{.*}}, %[[ZERO]] :
func.func @inactive_loss(%x: tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>) attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<3xf32>
  %o = nn.mul %w, %x : tensor<3xf32>
  %l = nn.sum %x dims [] : tensor<3xf32> -> tensor<f32>
  return %l, %o : tensor<f32>, tensor<3xf32>
}

// An op without a gradient rule (nn.one_hot) is fine on labels, off the
// path from the parameters to the loss; the labels get no gradient.
// CHECK-LABEL: func.func @no_rule_off_path_grad
// CHECK-SAME: (%[[Y:.*]]: tensor<2xi32>)
// CHECK-SAME: -> (tensor<f32>, tensor<2x3xf32> {nn.grad_of = "w"})
// CHECK: %[[W:.*]] = nn.param "w"
// CHECK: %[[H:.*]] = nn.one_hot %[[Y]]
// CHECK: %[[D:.*]] = nn.sub %[[W]], %[[H]]
// CHECK: %[[DW:.*]] = nn.scale %[[D]] by 0.33333
// CHECK: return %{{.*}}, %[[DW]] :
func.func @no_rule_off_path(%y: tensor<2xi32>) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<2x3xf32>
  %h = nn.one_hot %y : tensor<2xi32> -> tensor<2x3xf32>
  %l = nn.mse %w, %h : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Backward ops are located at fused<"grad">[<forward op location>]; the
// forward ops keep their own locations.
// LOC-LABEL: func.func @locations_grad
// LOC: nn.dense {{.*}} loc("model.nn":3:7)
// LOC: nn.relu {{.*}} loc("model.nn":4:7)
// LOC: nn.cross_entropy {{.*}} loc("model.nn":5:10)
// LOC-DAG: nn.softmax {{.*}} loc(fused<"grad">["model.nn":5:10])
// LOC-DAG: nn.one_hot {{.*}} loc(fused<"grad">["model.nn":5:10])
// LOC-DAG: nn.activation_grad relu {{.*}} loc(fused<"grad">["model.nn":4:7])
// LOC-DAG: nn.matmul {{.*}} {transpose_lhs} {{.*}} loc(fused<"grad">["model.nn":3:7])
// LOC-DAG: nn.sum {{.*}} dims [0] {{.*}} loc(fused<"grad">["model.nn":3:7])
// LOC: return
func.func @locations(%x: tensor<2x4xf32>, %y: tensor<2xi32> {nn.label}) -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.1) : tensor<3x4xf32> loc("model.nn":3:13)
  %b = nn.param "b" init = constant(0.0) : tensor<3xf32> loc("model.nn":3:13)
  %d = nn.dense %x, %w, %b : tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<2x3xf32> loc("model.nn":3:7)
  %h = nn.relu %d : tensor<2x3xf32> loc("model.nn":4:7)
  %l = nn.cross_entropy %h, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32> loc("model.nn":5:10)
  return %l : tensor<f32>
}

// A model whose gradient function exists is left alone.
// CHECK-LABEL: func.func @has_grad(
// CHECK-LABEL: func.func @has_grad_grad()
// CHECK-NOT: nn.gradient_of
// CHECK: %[[C:.*]] = arith.constant dense<7.000000e+00> : tensor<f32>
// CHECK-NOT: nn.
// CHECK: return %[[C]] : tensor<f32>
// CHECK-NOT: func.func @has_grad_grad
func.func @has_grad() -> tensor<f32> attributes {nn.model} {
  %w = nn.param "w" init = constant(0.0) : tensor<4xf32>
  %l = nn.sum %w dims [] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
func.func @has_grad_grad() -> tensor<f32> {
  %c = arith.constant dense<7.0> : tensor<f32>
  return %c : tensor<f32>
}
