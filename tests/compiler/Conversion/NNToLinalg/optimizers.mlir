// RUN: nnc-opt %s --convert-nn-to-linalg | FileCheck %s

// nn.clip_grad_norm, nn.sgd_update and nn.adam_update. Per-step scalars are
// computed once outside the generics; each optimizer update is one
// multi-result linalg.generic per parameter.

// CHECK-DAG: #[[$ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>

// norm = sqrt(sum_i sum(g_i^2)); each gradient is scaled by
// min(1, max_norm / (norm + 1e-6)); the norm is returned as a 0-d tensor.
// CHECK-LABEL: func.func @clip_grad_norm
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[SA:.*]] = linalg.reduce ins(%[[A]] : tensor<2x3xf32>) {{.*}} dimensions = [0, 1]
// CHECK-NEXT: (%[[X:.*]]: f32, %[[ACC:.*]]: f32) {
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[SQ]] : f32
// CHECK: %[[EA:.*]] = tensor.extract %[[SA]][] : tensor<f32>
// CHECK: %[[SB:.*]] = linalg.reduce ins(%[[B]] : tensor<3xf32>) {{.*}} dimensions = [0]
// CHECK: arith.mulf
// CHECK: %[[EB:.*]] = tensor.extract %[[SB]][] : tensor<f32>
// CHECK: %[[TOTAL:.*]] = arith.addf %[[EA]], %[[EB]] : f32
// CHECK: %[[NORM:.*]] = math.sqrt %[[TOTAL]] : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[MAX:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK-DAG: %[[DEN:.*]] = arith.addf %[[NORM]], %[[EPS]] : f32
// CHECK-DAG: %[[Q:.*]] = arith.divf %[[MAX]], %[[DEN]] : f32
// CHECK-DAG: %[[COEF:.*]] = arith.minimumf %[[ONE]], %[[Q]] : f32
// CHECK: %[[CA:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[A]] : tensor<2x3xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[X]], %[[COEF]] : f32
// CHECK-NEXT: linalg.yield %[[M]] : f32
// CHECK: %[[CB:.*]] = linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]]], iterator_types = ["parallel"]} ins(%[[B]] : tensor<3xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.mulf %[[X]], %[[COEF]] : f32
// CHECK: %[[N:.*]] = tensor.from_elements %[[NORM]] : tensor<f32>
// CHECK: return %[[CA]], %[[CB]], %[[N]]
func.func @clip_grad_norm(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) {
  %0:3 = nn.clip_grad_norm %a, %b max_norm 2.0 : tensor<2x3xf32>, tensor<3xf32>
  return %0#0, %0#1, %0#2 : tensor<2x3xf32>, tensor<3xf32>, tensor<f32>
}

// SGD with momentum, dampening, nesterov and weight decay:
// g' = g + wd p; b' = step <= 1 ? g' : momentum b + (1 - dampening) g';
// p' = p - lr (g' + momentum b').
// CHECK-LABEL: func.func @sgd_update
// CHECK-SAME: (%[[P:.*]]: tensor<4xf32>, %[[G:.*]]: tensor<4xf32>, %[[BUF:.*]]: tensor<4xf32>, %[[LR:.*]]: tensor<f32>, %[[STEP:.*]]: tensor<f32>)
// CHECK-DAG: %[[LRS:.*]] = tensor.extract %[[LR]][] : tensor<f32>
// CHECK-DAG: %[[STEPS:.*]] = tensor.extract %[[STEP]][] : tensor<f32>
// CHECK: %[[FIRST:.*]] = arith.cmpf ole, %[[STEPS]], %{{.*}} : f32
// CHECK: %[[R:.*]]:2 = linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]], #[[$ID1]], #[[$ID1]], #[[$ID1]]], iterator_types = ["parallel"]} ins(%[[P]], %[[G]], %[[BUF]] : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[PP:.*]]: f32, %[[GG:.*]]: f32, %[[BB:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-DAG: %[[WD:.*]] = arith.constant 1.250000e-01 : f32
// CHECK-DAG: %[[WDP:.*]] = arith.mulf %[[WD]], %[[PP]] : f32
// CHECK-DAG: %[[GD:.*]] = arith.addf %[[GG]], %[[WDP]] : f32
// CHECK-DAG: %[[DAMP:.*]] = arith.constant 7.500000e-01 : f32
// CHECK-DAG: %[[MB:.*]] = arith.mulf %{{.*}}, %[[BB]] : f32
// CHECK-DAG: %[[DG:.*]] = arith.mulf %[[DAMP]], %[[GD]] : f32
// CHECK-DAG: %[[NEXT:.*]] = arith.addf %[[MB]], %[[DG]] : f32
// CHECK-DAG: %[[NB:.*]] = arith.select %[[FIRST]], %[[GD]], %[[NEXT]] : f32
// CHECK-DAG: %[[MNB:.*]] = arith.mulf %{{.*}}, %[[NB]] : f32
// CHECK-DAG: %[[DIR:.*]] = arith.addf %[[GD]], %[[MNB]] : f32
// CHECK-DAG: %[[STEPV:.*]] = arith.mulf %[[LRS]], %[[DIR]] : f32
// CHECK-DAG: %[[NP:.*]] = arith.subf %[[PP]], %[[STEPV]] : f32
// CHECK: linalg.yield %[[NP]], %[[NB]] : f32, f32
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @sgd_update(%p: tensor<4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %lr: tensor<f32>, %step: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:2 = nn.sgd_update %p, %g, %b, %lr, %step {momentum = 0.5 : f64, dampening = 0.25 : f64, nesterov, weight_decay = 0.125 : f64} : tensor<4xf32>, tensor<f32>
  return %0#0, %0#1 : tensor<4xf32>, tensor<4xf32>
}

// Without nesterov the direction is the buffer itself; without weight decay
// the gradient is used as is.
// CHECK-LABEL: func.func @sgd_update_momentum
// CHECK: ^bb0(%[[PP:.*]]: f32, %[[GG:.*]]: f32, %[[BB:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-DAG: %[[NB:.*]] = arith.select %{{.*}}, %[[GG]], %{{.*}} : f32
// CHECK-DAG: %[[STEPV:.*]] = arith.mulf %{{.*}}, %[[NB]] : f32
// CHECK-DAG: %[[NP:.*]] = arith.subf %[[PP]], %[[STEPV]] : f32
// CHECK: linalg.yield %[[NP]], %[[NB]] : f32, f32
func.func @sgd_update_momentum(%p: tensor<4xf32>, %lr: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:2 = nn.sgd_update %p, %p, %p, %lr, %lr {momentum = 0.5 : f64} : tensor<4xf32>, tensor<f32>
  return %0#0, %0#1 : tensor<4xf32>, tensor<4xf32>
}

// AdamW: the bias corrections 1 - beta^step are math.powf in f64, once per
// step; one generic with three results updates param, exp_avg and
// exp_avg_sq.
// CHECK-LABEL: func.func @adam_update_decoupled
// CHECK-SAME: (%[[P:.*]]: tensor<4xf32>, %[[G:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<4xf32>, %[[V:.*]]: tensor<4xf32>, %[[LR:.*]]: tensor<f32>, %[[STEP:.*]]: tensor<f32>)
// CHECK-DAG: %[[LRE:.*]] = tensor.extract %[[LR]][] : tensor<f32>
// CHECK-DAG: %[[LR64:.*]] = arith.extf %[[LRE]] : f32 to f64
// CHECK-DAG: %[[STEPE:.*]] = tensor.extract %[[STEP]][] : tensor<f32>
// CHECK-DAG: %[[STEP64:.*]] = arith.extf %[[STEPE]] : f32 to f64
// CHECK-DAG: %[[B1:.*]] = arith.constant 5.000000e-01 : f64
// CHECK-DAG: %[[B2:.*]] = arith.constant 7.500000e-01 : f64
// CHECK-DAG: %[[P1:.*]] = math.powf %[[B1]], %[[STEP64]] : f64
// CHECK-DAG: %[[P2:.*]] = math.powf %[[B2]], %[[STEP64]] : f64
// CHECK-DAG: %[[BC1:.*]] = arith.subf %{{.*}}, %[[P1]] : f64
// CHECK-DAG: %[[BC2:.*]] = arith.subf %{{.*}}, %[[P2]] : f64
// CHECK-DAG: %[[SS:.*]] = arith.divf %[[LR64]], %[[BC1]] : f64
// CHECK-DAG: %[[SS32:.*]] = arith.truncf %[[SS]] : f64 to f32
// CHECK-DAG: %[[SQ:.*]] = math.sqrt %[[BC2]] : f64
// CHECK-DAG: %[[SQ32:.*]] = arith.truncf %[[SQ]] : f64 to f32
// CHECK-DAG: %[[LRWD:.*]] = arith.mulf %[[LR64]], %{{.*}} : f64
// CHECK-DAG: %[[DECAY:.*]] = arith.subf %{{.*}}, %[[LRWD]] : f64
// CHECK-DAG: %[[DECAY32:.*]] = arith.truncf %[[DECAY]] : f64 to f32
// CHECK: %[[R:.*]]:3 = linalg.generic {indexing_maps = [#[[$ID1]], #[[$ID1]], #[[$ID1]], #[[$ID1]], #[[$ID1]], #[[$ID1]], #[[$ID1]]], iterator_types = ["parallel"]}
// CHECK-SAME: ins(%[[P]], %[[G]], %[[M]], %[[V]] : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[PP:.*]]: f32, %[[GG:.*]]: f32, %[[MM:.*]]: f32, %[[VV:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-DAG: %[[PD:.*]] = arith.mulf %[[PP]], %[[DECAY32]] : f32
// CHECK-DAG: %[[G2:.*]] = arith.mulf %[[GG]], %[[GG]] : f32
// CHECK-DAG: %[[NM:.*]] = arith.addf %{{.*}}, %{{.*}} : f32
// CHECK-DAG: %[[ROOT:.*]] = math.sqrt %[[NV:.*]] : f32
// CHECK-DAG: %[[VHAT:.*]] = arith.divf %[[ROOT]], %[[SQ32]] : f32
// CHECK-DAG: %[[EPS:.*]] = arith.constant 1.250000e-01 : f32
// CHECK-DAG: %[[DEN:.*]] = arith.addf %[[VHAT]], %[[EPS]] : f32
// CHECK-DAG: %[[RATIO:.*]] = arith.divf %[[NM]], %[[DEN]] : f32
// CHECK-DAG: %[[UPD:.*]] = arith.mulf %[[SS32]], %[[RATIO]] : f32
// CHECK-DAG: %[[NP:.*]] = arith.subf %[[PD]], %[[UPD]] : f32
// CHECK: linalg.yield %[[NP]], %[[NM]], %[[NV]] : f32, f32, f32
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @adam_update_decoupled(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>, %step: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0:3 = nn.adam_update %p, %g, %m, %v, %lr, %step {beta1 = 0.5 : f64, beta2 = 0.75 : f64, eps = 0.125 : f64, weight_decay = 0.25 : f64, decoupled} : tensor<4xf32>, tensor<f32>
  return %0#0, %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// Adam (coupled) adds weight_decay * param to the gradient instead of
// decaying the parameter.
// CHECK-LABEL: func.func @adam_update_coupled
// CHECK: ^bb0(%[[PP:.*]]: f32, %[[GG:.*]]: f32, %[[MM:.*]]: f32, %[[VV:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-DAG: %[[WD:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[WDP:.*]] = arith.mulf %[[WD]], %[[PP]] : f32
// CHECK-DAG: %[[GD:.*]] = arith.addf %[[GG]], %[[WDP]] : f32
// CHECK-DAG: %[[NP:.*]] = arith.subf %[[PP]], %{{.*}} : f32
// CHECK: linalg.yield %[[NP]], %{{.*}}, %{{.*}} : f32, f32, f32
func.func @adam_update_coupled(%p: tensor<4xf32>, %lr: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0:3 = nn.adam_update %p, %p, %p, %p, %lr, %lr {weight_decay = 0.25 : f64} : tensor<4xf32>, tensor<f32>
  return %0#0, %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// Half-precision parameters: the f32 scalars are narrowed once, outside the
// generic.
// CHECK-LABEL: func.func @adam_update_f16
// CHECK: arith.truncf %{{.*}} : f64 to f16
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%{{.*}}: f16, %{{.*}}: f16, %{{.*}}: f16, %{{.*}}: f16, %{{.*}}: f16, %{{.*}}: f16, %{{.*}}: f16):
// CHECK-NOT: arith.truncf
// CHECK: linalg.yield %{{.*}}, %{{.*}}, %{{.*}} : f16, f16, f16
func.func @adam_update_f16(%p: tensor<8xf16>, %lr: tensor<f32>) -> (tensor<8xf16>, tensor<8xf16>, tensor<8xf16>) {
  %0:3 = nn.adam_update %p, %p, %p, %p, %lr, %lr : tensor<8xf16>, tensor<f32>
  return %0#0, %0#1, %0#2 : tensor<8xf16>, tensor<8xf16>, tensor<8xf16>
}
