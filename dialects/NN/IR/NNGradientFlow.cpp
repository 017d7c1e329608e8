//===- NNGradientFlow.cpp - Gradient-flow rules of nn ops -----------------===//
//
// How the moments of values at initialization pass through every `nn` op of
// a model, forwards and backwards, through GradientFlowOpInterface. The
// rules assume independent operands and identically distributed elements;
// docs/gradient-flow.md derives each one.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/IR/NNOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::nn;

namespace {
int64_t numElements(Value v) {
  return cast<ShapedType>(v.getType()).getNumElements();
}

/// How many elements of `op`'s first result each element of operand `i`
/// meets: the factor by which a broadcast operand's gradient grows.
double fanOut(Operation *op, unsigned i) {
  return static_cast<double>(numElements(op->getResult(0))) /
         static_cast<double>(
             std::max<int64_t>(1, numElements(op->getOperand(i))));
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

/// A scalar activation and its derivative.
struct Activation {
  std::function<double(double)> f, df;
};

/// Forward moments of `act` applied to a tensor with moments `in`.
FlowMoments forwardThrough(const Activation &act, const FlowMoments &in) {
  double var = in.variance();
  double mean = expectUnderNormal(in.mean, var, act.f);
  double meanSquare = expectUnderNormal(in.mean, var, [&](double z) {
    double y = act.f(z);
    return y * y;
  });
  return {mean, meanSquare};
}

/// The expected squared derivative of `act` over inputs with moments `in`:
/// the factor by which it scales an expected squared gradient.
double gradientGain(const Activation &act, const FlowMoments &in) {
  return expectUnderNormal(in.mean, in.variance(), [&](double z) {
    double d = act.df(z);
    return d * d;
  });
}

Activation reluActivation() {
  return {[](double z) { return z > 0 ? z : 0.0; },
          [](double z) { return z > 0 ? 1.0 : 0.0; }};
}

Activation sigmoidActivation() {
  return {sigmoid, [](double z) {
            double s = sigmoid(z);
            return s * (1 - s);
          }};
}

Activation tanhActivation() {
  return {[](double z) { return std::tanh(z); },
          [](double z) {
            double t = std::tanh(z);
            return 1 - t * t;
          }};
}

Activation siluActivation() {
  return {[](double z) { return z * sigmoid(z); },
          [](double z) {
            double s = sigmoid(z);
            return s * (1 + z * (1 - s));
          }};
}

Activation geluActivation(bool tanhApprox) {
  if (!tanhApprox)
    return {[](double z) { return 0.5 * z * std::erfc(-z / M_SQRT2); },
            [](double z) {
              return 0.5 * std::erfc(-z / M_SQRT2) +
                     z * std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
            }};
  auto f = [](double z) {
    const double c = std::sqrt(2.0 / M_PI);
    return 0.5 * z * (1 + std::tanh(c * (z + 0.044715 * z * z * z)));
  };
  return {f, [f](double z) { return (f(z + 1e-5) - f(z - 1e-5)) / 2e-5; }};
}

/// Moments and gradient of a unary elementwise op given by `act`.
void unaryForward(const Activation &act, ArrayRef<FlowMoments> operands,
                  SmallVectorImpl<FlowMoments> &results) {
  results.push_back(forwardThrough(act, operands[0]));
}

void unaryBackward(const Activation &act, ArrayRef<FlowMoments> operands,
                   ArrayRef<double> dy, SmallVectorImpl<double> &dx) {
  dx.push_back(dy[0] * gradientGain(act, operands[0]));
}
} // namespace

//===----------------------------------------------------------------------===//
// Parameters and constants
//===----------------------------------------------------------------------===//

void ParamOp::inferFlowMoments(ArrayRef<FlowMoments>,
                               SmallVectorImpl<FlowMoments> &results) {
  results.push_back(FlowMoments::fromMeanVariance(getInit().getMean(),
                                                  getInit().getVariance()));
}

void ParamOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                    ArrayRef<FlowMoments>, ArrayRef<double>,
                                    SmallVectorImpl<double> &) {}

void OneHotOp::inferFlowMoments(ArrayRef<FlowMoments>,
                                SmallVectorImpl<FlowMoments> &results) {
  auto type = cast<ShapedType>(getType());
  double p = 1.0 / static_cast<double>(type.getShape().back());
  results.push_back({p, p});
}

void OneHotOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                     ArrayRef<FlowMoments>, ArrayRef<double>,
                                     SmallVectorImpl<double> &dx) {
  dx.push_back(0.0);
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

void AddOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  results.push_back({x[0].mean + x[1].mean, x[0].meanSquare + x[1].meanSquare +
                                                2 * x[0].mean * x[1].mean});
}

void AddOp::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>,
                                  ArrayRef<double> dy,
                                  SmallVectorImpl<double> &dx) {
  dx.append({dy[0] * fanOut(*this, 0), dy[0] * fanOut(*this, 1)});
}

void SubOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  results.push_back({x[0].mean - x[1].mean, x[0].meanSquare + x[1].meanSquare -
                                                2 * x[0].mean * x[1].mean});
}

void SubOp::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>,
                                  ArrayRef<double> dy,
                                  SmallVectorImpl<double> &dx) {
  dx.append({dy[0] * fanOut(*this, 0), dy[0] * fanOut(*this, 1)});
}

void MulOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  results.push_back({x[0].mean * x[1].mean, x[0].meanSquare * x[1].meanSquare});
}

void MulOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                  ArrayRef<FlowMoments>, ArrayRef<double> dy,
                                  SmallVectorImpl<double> &dx) {
  dx.append({dy[0] * x[1].meanSquare * fanOut(*this, 0),
             dy[0] * x[0].meanSquare * fanOut(*this, 1)});
}

// Division is modelled to first order around the divisor's second moment:
// E[1/b^2] ~ 1/E[b^2]. Models divide by positive, concentrated quantities
// (norms, counts), where this is accurate.
void DivOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  double b2 = std::max(x[1].meanSquare, 1e-300);
  double bMean = x[1].mean != 0 ? x[1].mean : std::sqrt(b2);
  results.push_back({x[0].mean / bMean, x[0].meanSquare / b2});
}

void DivOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                  ArrayRef<FlowMoments>, ArrayRef<double> dy,
                                  SmallVectorImpl<double> &dx) {
  double b2 = std::max(x[1].meanSquare, 1e-300);
  dx.append({dy[0] / b2 * fanOut(*this, 0),
             dy[0] * x[0].meanSquare / (b2 * b2) * fanOut(*this, 1)});
}

void NegOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  results.push_back({-x[0].mean, x[0].meanSquare});
}

void NegOp::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>,
                                  ArrayRef<double> dy,
                                  SmallVectorImpl<double> &dx) {
  dx.push_back(dy[0]);
}

std::optional<double> NegOp::getGradientBound() { return 1.0; }

void ScaleOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                               SmallVectorImpl<FlowMoments> &results) {
  double f = getFactor().convertToDouble();
  results.push_back({f * x[0].mean, f * f * x[0].meanSquare});
}

void ScaleOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                    ArrayRef<FlowMoments>, ArrayRef<double> dy,
                                    SmallVectorImpl<double> &dx) {
  double f = getFactor().convertToDouble();
  dx.push_back(dy[0] * f * f);
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

#define NN_UNARY_FLOW(OP, ACT, BOUND)                                          \
  void OP::inferFlowMoments(ArrayRef<FlowMoments> x,                           \
                            SmallVectorImpl<FlowMoments> &results) {           \
    unaryForward(ACT, x, results);                                             \
  }                                                                            \
  void OP::propagateFlowGradient(ArrayRef<FlowMoments> x,                      \
                                 ArrayRef<FlowMoments>, ArrayRef<double> dy,   \
                                 SmallVectorImpl<double> &dx) {                \
    unaryBackward(ACT, x, dy, dx);                                             \
  }                                                                            \
  std::optional<double> OP::getGradientBound() { return BOUND; }

NN_UNARY_FLOW(ReluOp, reluActivation(), 1.0)
NN_UNARY_FLOW(SigmoidOp, sigmoidActivation(), 0.25)
NN_UNARY_FLOW(TanhOp, tanhActivation(), 1.0)
// silu'(z) peaks at about 1.0998 near z = 2.4.
NN_UNARY_FLOW(SiluOp, siluActivation(), 1.0998)
NN_UNARY_FLOW(LeakyReluOp,
              (Activation{[s = getNegativeSlope().convertToDouble()](double z) {
                            return z > 0 ? z : s * z;
                          },
                          [s = getNegativeSlope().convertToDouble()](double z) {
                            return z > 0 ? 1.0 : s;
                          }}),
              std::max(1.0, std::fabs(getNegativeSlope().convertToDouble())))
// gelu'(z) peaks at about 1.129 near z = 1.5.
NN_UNARY_FLOW(GeluOp, geluActivation(getTanh()), 1.129)
NN_UNARY_FLOW(SoftplusOp,
              (Activation{[b = getBeta().convertToDouble(),
                           t = getThreshold().convertToDouble()](double z) {
                            return b * z > t ? z
                                             : std::log1p(std::exp(b * z)) / b;
                          },
                          [b = getBeta().convertToDouble(),
                           t = getThreshold().convertToDouble()](double z) {
                            return b * z > t ? 1.0 : sigmoid(b * z);
                          }}),
              1.0)
NN_UNARY_FLOW(EluOp,
              (Activation{[a = getAlpha().convertToDouble()](double z) {
                            return z > 0 ? z : a * std::expm1(z);
                          },
                          [a = getAlpha().convertToDouble()](double z) {
                            return z > 0 ? 1.0 : a * std::exp(z);
                          }}),
              std::max(1.0, getAlpha().convertToDouble()))
NN_UNARY_FLOW(ExpOp,
              (Activation{
                  [](double z) { return std::exp(std::min(z, 700.0)); },
                  [](double z) { return std::exp(std::min(z, 700.0)); }}),
              std::nullopt)
// log and sqrt see only the positive part of a Gaussian input: their inputs
// are positive in any model that runs.
NN_UNARY_FLOW(LogOp,
              (Activation{[](double z) { return std::log(std::max(z, 1e-12)); },
                          [](double z) { return 1.0 / std::max(z, 1e-12); }}),
              std::nullopt)
NN_UNARY_FLOW(SqrtOp,
              (Activation{[](double z) { return std::sqrt(std::max(z, 0.0)); },
                          [](double z) {
                            return 0.5 / std::sqrt(std::max(z, 1e-12));
                          }}),
              std::nullopt)
#undef NN_UNARY_FLOW

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

namespace {
/// log(sum(exp(z))) without overflow.
double logSumExp(ArrayRef<double> z) {
  double m = *std::max_element(z.begin(), z.end());
  double s = 0;
  for (double v : z)
    s += std::exp(v - m);
  return m + std::log(s);
}

int64_t classes(Value v, int64_t dim) {
  return cast<ShapedType>(v.getType()).getShape()[dim];
}

/// E[sum_i p_i^2] for p = softmax(z) over `n` classes.
double softmaxPurity(const FlowMoments &z, int64_t n) {
  return expectOverClasses(z.mean, z.variance(), n, [](ArrayRef<double> v) {
    double lse = logSumExp(v), s = 0;
    for (double x : v)
      s += std::exp(2 * (x - lse));
    return s;
  });
}
} // namespace

void SoftmaxOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                 SmallVectorImpl<FlowMoments> &results) {
  int64_t n = classes(getInput(), getDim());
  results.push_back({1.0 / n, softmaxPurity(x[0], n) / n});
}

// d z_i = p_i (g_i - sum_j p_j g_j): about E[p^2] (1 + sum_j p_j^2 - 2/n).
void SoftmaxOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                      ArrayRef<FlowMoments> y,
                                      ArrayRef<double> dy,
                                      SmallVectorImpl<double> &dx) {
  int64_t n = classes(getInput(), getDim());
  double purity = y[0].meanSquare * n;
  dx.push_back(dy[0] * y[0].meanSquare * std::max(0.0, 1 + purity - 2.0 / n));
}

void LogSoftmaxOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                    SmallVectorImpl<FlowMoments> &results) {
  int64_t n = classes(getInput(), getDim());
  double var = x[0].variance();
  double mean = expectOverClasses(x[0].mean, var, n, [](ArrayRef<double> v) {
    return v[0] - logSumExp(v);
  });
  double meanSquare =
      expectOverClasses(x[0].mean, var, n, [](ArrayRef<double> v) {
        double d = v[0] - logSumExp(v);
        return d * d;
      });
  results.push_back({mean, meanSquare});
}

// d z_i = g_i - p_i sum_j g_j: about 1 - 2/n + n E[p^2] times E[g^2].
void LogSoftmaxOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                         ArrayRef<FlowMoments>,
                                         ArrayRef<double> dy,
                                         SmallVectorImpl<double> &dx) {
  int64_t n = classes(getInput(), getDim());
  double purity = softmaxPurity(x[0], n);
  dx.push_back(dy[0] * std::max(0.0, 1 - 2.0 / n + purity));
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

namespace {
/// Moments of a sum of `k` products of independent factors, plus `bias`.
FlowMoments contraction(int64_t k, const FlowMoments &a, const FlowMoments &b,
                        const FlowMoments *bias) {
  double mean = k * a.mean * b.mean;
  double var =
      k * (a.meanSquare * b.meanSquare - a.mean * a.mean * b.mean * b.mean);
  if (bias) {
    mean += bias->mean;
    var += bias->variance();
  }
  return FlowMoments::fromMeanVariance(mean, var);
}

/// How many products each element of operand `i` enters: the number of
/// terms in its gradient.
double terms(Operation *op, unsigned i, int64_t k) {
  return static_cast<double>(numElements(op->getResult(0))) * k /
         static_cast<double>(numElements(op->getOperand(i)));
}
} // namespace

void DenseOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                               SmallVectorImpl<FlowMoments> &results) {
  int64_t k = cast<ShapedType>(getInput().getType()).getShape().back();
  results.push_back(contraction(k, x[0], x[1], getBias() ? &x[2] : nullptr));
}

void DenseOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                    ArrayRef<FlowMoments>, ArrayRef<double> dy,
                                    SmallVectorImpl<double> &dx) {
  int64_t k = cast<ShapedType>(getInput().getType()).getShape().back();
  dx.push_back(dy[0] * x[1].meanSquare * terms(*this, 0, k));
  dx.push_back(dy[0] * x[0].meanSquare * terms(*this, 1, k));
  if (getBias())
    dx.push_back(dy[0] * fanOut(*this, 2));
}

void MatmulOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                SmallVectorImpl<FlowMoments> &results) {
  auto lhs = cast<ShapedType>(getLhs().getType()).getShape();
  int64_t k = getTransposeLhs() ? lhs[0] : lhs[1];
  results.push_back(contraction(k, x[0], x[1], nullptr));
}

void MatmulOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                     ArrayRef<FlowMoments>, ArrayRef<double> dy,
                                     SmallVectorImpl<double> &dx) {
  auto lhs = cast<ShapedType>(getLhs().getType()).getShape();
  int64_t k = getTransposeLhs() ? lhs[0] : lhs[1];
  dx.append({dy[0] * x[1].meanSquare * terms(*this, 0, k),
             dy[0] * x[0].meanSquare * terms(*this, 1, k)});
}

//===----------------------------------------------------------------------===//
// Shape manipulation and reductions
//===----------------------------------------------------------------------===//

#define NN_IDENTITY_FLOW(OP)                                                   \
  void OP::inferFlowMoments(ArrayRef<FlowMoments> x,                           \
                            SmallVectorImpl<FlowMoments> &results) {           \
    results.push_back(x[0]);                                                   \
  }                                                                            \
  void OP::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>, \
                                 ArrayRef<double> dy,                          \
                                 SmallVectorImpl<double> &dx) {                \
    dx.push_back(dy[0] * fanOut(*this, 0));                                    \
  }

NN_IDENTITY_FLOW(TransposeOp)
NN_IDENTITY_FLOW(ReshapeOp)
NN_IDENTITY_FLOW(BroadcastOp)
#undef NN_IDENTITY_FLOW

void ConcatOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                SmallVectorImpl<FlowMoments> &results) {
  double total = 0, mean = 0, meanSquare = 0;
  for (auto [value, m] : llvm::zip(getInputs(), x)) {
    double n = numElements(value);
    total += n;
    mean += n * m.mean;
    meanSquare += n * m.meanSquare;
  }
  results.push_back({mean / total, meanSquare / total});
}

void ConcatOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                     ArrayRef<FlowMoments>, ArrayRef<double> dy,
                                     SmallVectorImpl<double> &dx) {
  dx.append(x.size(), dy[0]);
}

void SumOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  double n = 1.0 / fanOut(*this, 0);
  results.push_back(
      FlowMoments::fromMeanVariance(n * x[0].mean, n * x[0].variance()));
}

void SumOp::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>,
                                  ArrayRef<double> dy,
                                  SmallVectorImpl<double> &dx) {
  dx.push_back(dy[0]);
}

void MeanOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                              SmallVectorImpl<FlowMoments> &results) {
  double n = 1.0 / fanOut(*this, 0);
  results.push_back(
      FlowMoments::fromMeanVariance(x[0].mean, x[0].variance() / n));
}

void MeanOp::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>,
                                   ArrayRef<double> dy,
                                   SmallVectorImpl<double> &dx) {
  double n = 1.0 / fanOut(*this, 0);
  dx.push_back(dy[0] / (n * n));
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

// With labels drawn uniformly, the label is class 0 by symmetry.
void CrossEntropyOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                      SmallVectorImpl<FlowMoments> &results) {
  int64_t n = classes(getLogits(), 1);
  double loss =
      expectOverClasses(x[0].mean, x[0].variance(), n,
                        [](ArrayRef<double> v) { return logSumExp(v) - v[0]; });
  results.push_back({loss, loss * loss});
  (void)x;
}

// d logits = (softmax(logits) - onehot(label)) / batch.
void CrossEntropyOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                           ArrayRef<FlowMoments>,
                                           ArrayRef<double> dy,
                                           SmallVectorImpl<double> &dx) {
  int64_t n = classes(getLogits(), 1);
  double batch = static_cast<double>(numElements(getLogits())) / n;
  double err =
      expectOverClasses(x[0].mean, x[0].variance(), n, [](ArrayRef<double> v) {
        double lse = logSumExp(v), s = 0;
        for (auto [i, z] : llvm::enumerate(v)) {
          double d = std::exp(z - lse) - (i == 0);
          s += d * d;
        }
        return s;
      });
  dx.append({dy[0] * err / n / (batch * batch), 0.0});
}

void MseOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  double e = x[0].meanSquare + x[1].meanSquare - 2 * x[0].mean * x[1].mean;
  results.push_back({e, e * e});
}

// d input = 2 (input - target) / n.
void MseOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                  ArrayRef<FlowMoments>, ArrayRef<double> dy,
                                  SmallVectorImpl<double> &dx) {
  double n = numElements(getInput());
  double e = x[0].meanSquare + x[1].meanSquare - 2 * x[0].mean * x[1].mean;
  double g = dy[0] * 4 * e / (n * n);
  dx.append({g, g});
}

void BceWithLogitsOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                       SmallVectorImpl<FlowMoments> &results) {
  double softplus = expectUnderNormal(x[0].mean, x[0].variance(), [](double z) {
    return std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z)));
  });
  double loss = softplus - x[0].mean * x[1].mean;
  results.push_back({loss, loss * loss});
}

// d logits = (sigmoid(logits) - target) / n; d target = -logits / n.
void BceWithLogitsOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                            ArrayRef<FlowMoments>,
                                            ArrayRef<double> dy,
                                            SmallVectorImpl<double> &dx) {
  double n = numElements(getLogits());
  FlowMoments s = forwardThrough(sigmoidActivation(), x[0]);
  double e = s.meanSquare - 2 * s.mean * x[1].mean + x[1].meanSquare;
  dx.append({dy[0] * e / (n * n), dy[0] * x[0].meanSquare / (n * n)});
}
