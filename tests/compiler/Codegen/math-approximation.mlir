// RUN: nnc-opt %s --nnc-math-approximation | FileCheck %s

// f32 transcendental ops become polynomial arithmetic on the same vector
// type, so they stay vectorized.

// CHECK-LABEL: func.func @tanh_f32
// CHECK-SAME: (%[[X:.*]]: vector<8xf32>)
// CHECK-NOT: math.tanh
// CHECK: %[[X2:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: math.fma %[[X2]], %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: %[[Q:.*]] = arith.divf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: %[[R:.*]] = arith.select %{{.*}}, %{{.*}}, %[[Q]] : vector<8xi1>, vector<8xf32>
// CHECK-NOT: math.tanh
// CHECK: return %[[R]] : vector<8xf32>
func.func @tanh_f32(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.tanh %x : vector<8xf32>
  return %0 : vector<8xf32>
}

// CHECK-LABEL: func.func @erf_f32
// CHECK-NOT: math.erf
// CHECK: math.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: arith.divf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK-NOT: math.erf
// CHECK: return %{{.*}} : vector<8xf32>
func.func @erf_f32(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.erf %x : vector<8xf32>
  return %0 : vector<8xf32>
}

// exp: range reduction (floor), a polynomial, then 2^k built by shifting the
// exponent bits.
// CHECK-LABEL: func.func @exp_f32
// CHECK-NOT: math.exp
// CHECK: math.floor %{{.*}} : vector<8xf32>
// CHECK: math.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: arith.shli %{{.*}}, %{{.*}} : vector<8xi32>
// CHECK: %[[POW:.*]] = arith.bitcast %{{.*}} : vector<8xi32> to vector<8xf32>
// CHECK: %[[R:.*]] = arith.mulf %{{.*}}, %[[POW]] : vector<8xf32>
// CHECK-NOT: math.exp
// CHECK: return %[[R]] : vector<8xf32>
func.func @exp_f32(%x: vector<8xf32>) -> vector<8xf32> {
  %0 = math.exp %x : vector<8xf32>
  return %0 : vector<8xf32>
}

// Scalars too.
// CHECK-LABEL: func.func @tanh_f32_scalar
// CHECK-NOT: math.tanh
// CHECK: math.fma %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK-NOT: math.tanh
// CHECK: return %{{.*}} : f32
func.func @tanh_f32_scalar(%x: f32) -> f32 {
  %0 = math.tanh %x : f32
  return %0 : f32
}

// f64 keeps the math ops (and libm's precision).
// CHECK-LABEL: func.func @negative_tanh_f64
// CHECK-SAME: (%[[X:.*]]: vector<4xf64>)
// CHECK-NEXT: %[[R:.*]] = math.tanh %[[X]] : vector<4xf64>
// CHECK-NEXT: return %[[R]] : vector<4xf64>
func.func @negative_tanh_f64(%x: vector<4xf64>) -> vector<4xf64> {
  %0 = math.tanh %x : vector<4xf64>
  return %0 : vector<4xf64>
}

// CHECK-LABEL: func.func @negative_erf_exp_f64
// CHECK-SAME: (%[[X:.*]]: f64)
// CHECK-NEXT: %[[E:.*]] = math.erf %[[X]] : f64
// CHECK-NEXT: %[[X2:.*]] = math.exp %[[X]] : f64
// CHECK-NEXT: return %[[E]], %[[X2]] : f64, f64
func.func @negative_erf_exp_f64(%x: f64) -> (f64, f64) {
  %0 = math.erf %x : f64
  %1 = math.exp %x : f64
  return %0, %1 : f64, f64
}
