//===- ScalarMath.h - Scalar algebras for elementwise math ------*- C++ -*-===//
//
// Elementwise math is written once, as templates over a scalar algebra:
// `ScalarBuilder` builds `arith` and `math` ops (the lowering's loop
// bodies), `ScalarNumeric` computes in double precision (the gradient-flow
// analysis). Both offer the same operations under the same names.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECTS_NN_IR_SCALARMATH_H
#define NNC_DIALECTS_NN_IR_SCALARMATH_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>

namespace mlir::nn {

/// Scalar math on values of one float type, as `arith` and `math` ops.
struct ScalarBuilder {
  using V = Value;
  using Cond = Value;

  OpBuilder &b;
  Location loc;
  Type type;

  Value c(double v) {
    if (isa<IntegerType>(type))
      return arith::ConstantOp::create(
          b, loc, b.getIntegerAttr(type, static_cast<int64_t>(v)));
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value neg(Value x) { return arith::NegFOp::create(b, loc, x); }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  Value expm1(Value x) { return math::ExpM1Op::create(b, loc, x); }
  Value log(Value x) { return math::LogOp::create(b, loc, x); }
  Value log1p(Value x) { return math::Log1pOp::create(b, loc, x); }
  Value tanh(Value x) { return math::TanhOp::create(b, loc, x); }
  Value sqrt(Value x) { return math::SqrtOp::create(b, loc, x); }
  Value erf(Value x) { return math::ErfOp::create(b, loc, x); }
  Value abs(Value x) { return math::AbsFOp::create(b, loc, x); }
  Value max(Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  Value min(Value x, Value y) {
    return arith::MinimumFOp::create(b, loc, x, y);
  }
  Value gt(Value x, Value y) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  Value sigmoid(Value x) { return div(c(1), add(c(1), exp(neg(x)))); }
  /// Standard normal CDF.
  Value phi(Value x) {
    return mul(c(0.5), add(c(1), erf(mul(x, c(1 / llvm::numbers::sqrt2)))));
  }
};

/// The same operations on doubles.
struct ScalarNumeric {
  using V = double;
  using Cond = bool;

  double c(double v) { return v; }
  double add(double x, double y) { return x + y; }
  double sub(double x, double y) { return x - y; }
  double mul(double x, double y) { return x * y; }
  double div(double x, double y) { return x / y; }
  double neg(double x) { return -x; }
  double exp(double x) { return std::exp(x); }
  double expm1(double x) { return std::expm1(x); }
  double log(double x) { return std::log(x); }
  double log1p(double x) { return std::log1p(x); }
  double tanh(double x) { return std::tanh(x); }
  double sqrt(double x) { return std::sqrt(x); }
  double erf(double x) { return std::erf(x); }
  double abs(double x) { return std::fabs(x); }
  double max(double x, double y) { return std::max(x, y); }
  double min(double x, double y) { return std::min(x, y); }
  bool gt(double x, double y) { return x > y; }
  double select(bool cond, double x, double y) { return cond ? x : y; }
  double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
  double phi(double x) {
    return 0.5 * (1 + std::erf(x / llvm::numbers::sqrt2));
  }
};

} // namespace mlir::nn

#endif // NNC_DIALECTS_NN_IR_SCALARMATH_H
