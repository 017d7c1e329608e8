//===- NNActivations.cpp - The math of each activation, once --------------===//
//
// Every activation is one struct here: `f` and the cotangent rule `vjp`
// (`dy * f'(x)`, given `x` and `y = f(x)`), written once over a scalar
// algebra (ScalarMath.h), its gradient bound and, where it is worth a
// warning, the region where it saturates. `define` instantiates both
// algebras: the IR bodies that the lowering to linalg and
// `nn.activation_grad` use, and the double-precision functions of the
// gradient-flow analysis. A new activation adds its struct, its line in
// `getActivationDefinition` and its op's `getActivation`.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/IR/NNActivations.h"

#include "dialects/NN/IR/NNOps.h"
#include "dialects/NN/IR/ScalarMath.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace mlir::nn;

namespace {
using P = ActivationParams;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

/// Activations without a saturation warning.
struct NoSaturation {
  static std::optional<SaturationRegion> saturation() { return std::nullopt; }
};

struct Relu {
  template <class S, class V = typename S::V> static V f(S &s, V x, const P &) {
    return s.max(x, s.c(0));
  }
  template <class S, class V = typename S::V>
  static V vjp(S &s, V x, V, V dy, const P &) {
    return s.select(s.gt(x, s.c(0)), dy, s.c(0));
  }
  static std::optional<double> bound(const P &) { return 1.0; }
  /// A unit whose inputs are all negative passes on nothing.
  static std::optional<SaturationRegion> saturation() {
    return SaturationRegion{0.0, kInfinity, /*dead=*/true};
  }
};

struct LeakyRelu : NoSaturation {
  template <class S, class V = typename S::V>
  static V f(S &s, V x, const P &p) {
    V slope = s.c(p.alpha);
    return s.select(s.gt(x, s.c(0)), x, s.mul(x, slope));
  }
  template <class S, class V = typename S::V>
  static V vjp(S &s, V x, V, V dy, const P &p) {
    return s.select(s.gt(x, s.c(0)), dy, s.mul(dy, s.c(p.alpha)));
  }
  static std::optional<double> bound(const P &p) {
    return std::max(1.0, std::fabs(p.alpha));
  }
};

struct Sigmoid {
  template <class S, class V = typename S::V> static V f(S &s, V x, const P &) {
    return s.sigmoid(x);
  }
  template <class S, class V = typename S::V>
  static V vjp(S &s, V, V y, V dy, const P &) {
    return s.mul(dy, s.mul(y, s.sub(s.c(1), y)));
  }
  static std::optional<double> bound(const P &) { return 0.25; }
  /// sigmoid'(z) < 0.025 (a tenth of its peak) for |z| > 3.637.
  static std::optional<SaturationRegion> saturation() {
    return SaturationRegion{-3.637, 3.637, /*dead=*/false};
  }
};

struct Tanh {
  template <class S, class V = typename S::V> static V f(S &s, V x, const P &) {
    return s.tanh(x);
  }
  template <class S, class V = typename S::V>
  static V vjp(S &s, V, V y, V dy, const P &) {
    return s.mul(dy, s.sub(s.c(1), s.mul(y, y)));
  }
  static std::optional<double> bound(const P &) { return 1.0; }
  /// tanh'(z) < 0.1 for |z| > 1.818.
  static std::optional<SaturationRegion> saturation() {
    return SaturationRegion{-1.818, 1.818, /*dead=*/false};
  }
};

struct Silu : NoSaturation {
  template <class S, class V = typename S::V> static V f(S &s, V x, const P &) {
    return s.mul(x, s.sigmoid(x));
  }
  template <class S, class V = typename S::V>
  static V vjp(S &s, V x, V, V dy, const P &) {
    V sig = s.sigmoid(x);
    return s.mul(dy, s.mul(sig, s.add(s.c(1), s.mul(x, s.sub(s.c(1), sig)))));
  }
  /// silu'(z) peaks at about 1.0998 near z = 2.4.
  static std::optional<double> bound(const P &) { return 1.0998; }
};

struct Gelu : NoSaturation {
  template <class S, class V = typename S::V> static V f(S &s, V x, const P &) {
    return s.mul(x, s.phi(x));
  }
  /// Phi(x) + x phi(x).
  template <class S, class V = typename S::V>
  static V vjp(S &s, V x, V, V dy, const P &) {
    V pdf = s.mul(s.c(1 / std::sqrt(2 * llvm::numbers::pi)),
                  s.exp(s.mul(s.c(-0.5), s.mul(x, x))));
    return s.mul(dy, s.add(s.phi(x), s.mul(x, pdf)));
  }
  /// gelu'(z) peaks at about 1.129 near z = 1.5.
  static std::optional<double> bound(const P &) { return 1.129; }
};

/// PyTorch's `approximate='tanh'` GELU.
struct GeluTanh : NoSaturation {
  static constexpr double kCubic = 0.044715;
  static double k() { return std::sqrt(2 / llvm::numbers::pi); }
  template <class S, class V = typename S::V> static V f(S &s, V x, const P &) {
    V inner =
        s.mul(s.c(k()), s.add(x, s.mul(s.c(kCubic), s.mul(x, s.mul(x, x)))));
    return s.mul(s.mul(s.c(0.5), x), s.add(s.c(1), s.tanh(inner)));
  }
  template <class S, class V = typename S::V>
  static V vjp(S &s, V x, V, V dy, const P &) {
    V x2 = s.mul(x, x);
    V inner = s.mul(s.c(k()), s.add(x, s.mul(s.c(kCubic), s.mul(x2, x))));
    V t = s.tanh(inner);
    V dinner = s.mul(s.c(k()), s.add(s.c(1), s.mul(s.c(3 * kCubic), x2)));
    V d = s.add(
        s.mul(s.c(0.5), s.add(s.c(1), t)),
        s.mul(s.mul(s.c(0.5), x), s.mul(s.sub(s.c(1), s.mul(t, t)), dinner)));
    return s.mul(dy, d);
  }
  static std::optional<double> bound(const P &) { return 1.129; }
};

struct Softplus : NoSaturation {
  template <class S, class V = typename S::V>
  static V f(S &s, V x, const P &p) {
    V bx = s.mul(x, s.c(p.beta));
    // log(1 + exp(bx)) = max(bx, 0) + log1p(exp(-|bx|)), stable for any bx.
    V soft = s.add(s.max(bx, s.c(0)), s.log1p(s.exp(s.neg(s.abs(bx)))));
    return s.select(s.gt(bx, s.c(p.threshold)), x,
                    s.mul(soft, s.c(1 / p.beta)));
  }
  template <class S, class V = typename S::V>
  static V vjp(S &s, V x, V, V dy, const P &p) {
    V bx = s.mul(x, s.c(p.beta));
    return s.select(s.gt(bx, s.c(p.threshold)), dy, s.mul(dy, s.sigmoid(bx)));
  }
  static std::optional<double> bound(const P &) { return 1.0; }
};

struct Elu : NoSaturation {
  template <class S, class V = typename S::V>
  static V f(S &s, V x, const P &p) {
    V alpha = s.c(p.alpha);
    V negative = s.mul(alpha, s.expm1(x));
    return s.select(s.gt(x, s.c(0)), x, negative);
  }
  /// For x <= 0, elu(x) + alpha = alpha * exp(x).
  template <class S, class V = typename S::V>
  static V vjp(S &s, V x, V y, V dy, const P &p) {
    return s.select(s.gt(x, s.c(0)), dy, s.mul(dy, s.add(y, s.c(p.alpha))));
  }
  static std::optional<double> bound(const P &p) {
    return std::max(1.0, p.alpha);
  }
};

/// Both algebras of activation `A`.
template <class A> ActivationDefinition define(ActivationKind kind) {
  return ActivationDefinition{
      static_cast<uint32_t>(kind),
      stringifyActivationKind(kind).data(),
      [](OpBuilder &b, Location loc, Value x, const P &p) -> Value {
        ScalarBuilder s{b, loc, getElementTypeOrSelf(x.getType())};
        return A::f(s, x, p);
      },
      [](OpBuilder &b, Location loc, Value x, Value y, Value dy,
         const P &p) -> Value {
        ScalarBuilder s{b, loc, getElementTypeOrSelf(x.getType())};
        return A::vjp(s, x, y, dy, p);
      },
      [](double x, const P &p) {
        ScalarNumeric s;
        return A::f(s, x, p);
      },
      [](double x, const P &p) {
        ScalarNumeric s;
        return A::vjp(s, x, A::f(s, x, p), 1.0, p);
      },
      &A::bound,
      A::saturation()};
}
} // namespace

const ActivationDefinition &
mlir::nn::getActivationDefinition(ActivationKind kind) {
  static const ActivationDefinition
      relu = define<Relu>(ActivationKind::Relu),
      leakyRelu = define<LeakyRelu>(ActivationKind::LeakyRelu),
      sigmoid = define<Sigmoid>(ActivationKind::Sigmoid),
      tanh = define<Tanh>(ActivationKind::Tanh),
      silu = define<Silu>(ActivationKind::Silu),
      gelu = define<Gelu>(ActivationKind::Gelu),
      geluTanh = define<GeluTanh>(ActivationKind::GeluTanh),
      softplus = define<Softplus>(ActivationKind::Softplus),
      elu = define<Elu>(ActivationKind::Elu);
  switch (kind) {
  case ActivationKind::Relu:
    return relu;
  case ActivationKind::LeakyRelu:
    return leakyRelu;
  case ActivationKind::Sigmoid:
    return sigmoid;
  case ActivationKind::Tanh:
    return tanh;
  case ActivationKind::Silu:
    return silu;
  case ActivationKind::Gelu:
    return gelu;
  case ActivationKind::GeluTanh:
    return geluTanh;
  case ActivationKind::Softplus:
    return softplus;
  case ActivationKind::Elu:
    return elu;
  }
  llvm_unreachable("unknown activation kind");
}

//===----------------------------------------------------------------------===//
// Each activation op names its definition
//===----------------------------------------------------------------------===//

static Activation activation(ActivationKind kind,
                             ActivationParams params = {}) {
  return Activation(getActivationDefinition(kind), params);
}

Activation ReluOp::getActivation() { return activation(ActivationKind::Relu); }

Activation LeakyReluOp::getActivation() {
  ActivationParams p;
  p.alpha = getNegativeSlope().convertToDouble();
  return activation(ActivationKind::LeakyRelu, p);
}

Activation SigmoidOp::getActivation() {
  return activation(ActivationKind::Sigmoid);
}

Activation TanhOp::getActivation() { return activation(ActivationKind::Tanh); }

Activation SiluOp::getActivation() { return activation(ActivationKind::Silu); }

Activation GeluOp::getActivation() {
  return activation(getTanh() ? ActivationKind::GeluTanh
                              : ActivationKind::Gelu);
}

Activation SoftplusOp::getActivation() {
  ActivationParams p;
  p.beta = getBeta().convertToDouble();
  p.threshold = getThreshold().convertToDouble();
  return activation(ActivationKind::Softplus, p);
}

Activation EluOp::getActivation() {
  ActivationParams p;
  p.alpha = getAlpha().convertToDouble();
  return activation(ActivationKind::Elu, p);
}

Activation ActivationGradOp::getActivation() {
  ActivationParams p;
  p.alpha = getAlpha().convertToDouble();
  p.beta = getBeta().convertToDouble();
  p.threshold = getThreshold().convertToDouble();
  return activation(getKind(), p);
}

//===----------------------------------------------------------------------===//
// The gradient rule every activation shares
//===----------------------------------------------------------------------===//

LogicalResult mlir::nn::buildActivationGradient(Operation *op,
                                                const Activation &act,
                                                OpBuilder &b, Location loc,
                                                ValueRange dy,
                                                SmallVectorImpl<Value> &dx) {
  const ActivationParams &p = act.getParams();
  dx.push_back(ActivationGradOp::create(
      b, loc, dy[0].getType(),
      ActivationKindAttr::get(b.getContext(),
                              static_cast<ActivationKind>(act.getKind())),
      op->getOperand(0), op->getResult(0), dy[0], b.getF64FloatAttr(p.alpha),
      b.getF64FloatAttr(p.beta), b.getF64FloatAttr(p.threshold)));
  return success();
}
