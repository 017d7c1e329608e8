//===- NNGradientFlow.cpp - Gradient-flow rules of nn ops -----------------===//
//
// How the moments of values at initialization pass through every `nn` op of
// a model, forwards and backwards, through GradientFlowOpInterface. The
// rules assume independent operands and identically distributed elements;
// docs/gradient-flow.md derives each one.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/IR/NNActivations.h"
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

/// The examples of a batch among `count` elements of `v` summed together:
/// its leading dimension, for tensors of rank 2 or more.
double examplesAmong(Value v, double count) {
  auto type = cast<ShapedType>(v.getType());
  if (type.getRank() < 2)
    return count;
  return std::min<double>(count, type.getShape()[0]);
}

/// The gradient reaching operand `i` of an elementwise op whose result
/// gradient is `dy`: summed where the operand is broadcast.
FlowGradient toOperand(Operation *op, unsigned i, const FlowGradient &dy) {
  double n = fanOut(op, i);
  return n > 1 ? dy.summedOver(n, examplesAmong(op->getResult(0), n)) : dy;
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }
double square(double v) { return v * v; }

/// A scalar function and its derivative.
struct UnaryFunction {
  std::function<double(double)> f, df;
};

/// Moments of the gradient through `act`: E[g^2] E[f'(z)^2], and the
/// shared part through the shared mean of f'.
FlowGradient gradientThrough(const UnaryFunction &act, const FlowMoments &in,
                             const FlowGradient &dy) {
  double gain = expectUnderNormal(in.mean, in.variance(),
                                  [&](double z) { return square(act.df(z)); });
  double sharedGain = expectShared(in, act.df, square);
  return {dy.meanSquare * gain, dy.shared * sharedGain};
}

/// Moments and gradient of a unary elementwise op given by `act`.
void unaryForward(const UnaryFunction &act, ArrayRef<FlowMoments> operands,
                  SmallVectorImpl<FlowMoments> &results) {
  results.push_back(mapMoments(operands[0], act.f));
}

void unaryBackward(const UnaryFunction &act, ArrayRef<FlowMoments> operands,
                   ArrayRef<FlowGradient> dy,
                   SmallVectorImpl<FlowGradient> &dx) {
  dx.push_back(gradientThrough(act, operands[0], dy[0]));
}

/// The functions of an activation definition.
UnaryFunction functionsOf(const nn::Activation &act) {
  return {[act](double z) { return act.evaluate(z); },
          [act](double z) { return act.evaluateDerivative(z); }};
}
} // namespace

//===----------------------------------------------------------------------===//
// Parameters and constants
//===----------------------------------------------------------------------===//

void ParamOp::inferFlowMoments(ArrayRef<FlowMoments>,
                               SmallVectorImpl<FlowMoments> &results) {
  // A parameter is the same for every example: all its variance is shared.
  double variance = getInit().getVariance();
  results.push_back(
      FlowMoments::fromMeanVariance(getInit().getMean(), variance, variance));
}

void ParamOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                    ArrayRef<FlowMoments>,
                                    ArrayRef<FlowGradient>,
                                    SmallVectorImpl<FlowGradient> &) {}

void OneHotOp::inferFlowMoments(ArrayRef<FlowMoments>,
                                SmallVectorImpl<FlowMoments> &results) {
  auto type = cast<ShapedType>(getType());
  double p = 1.0 / static_cast<double>(type.getShape().back());
  results.push_back({p, p, 0.0});
}

void OneHotOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                     ArrayRef<FlowMoments>,
                                     ArrayRef<FlowGradient>,
                                     SmallVectorImpl<FlowGradient> &dx) {
  dx.push_back({});
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

void AddOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  results.push_back(
      {x[0].mean + x[1].mean,
       x[0].meanSquare + x[1].meanSquare + 2 * x[0].mean * x[1].mean,
       x[0].sharedVariance() + x[1].sharedVariance()});
}

void AddOp::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>,
                                  ArrayRef<FlowGradient> dy,
                                  SmallVectorImpl<FlowGradient> &dx) {
  dx.append({toOperand(*this, 0, dy[0]), toOperand(*this, 1, dy[0])});
}

void SubOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  results.push_back(
      {x[0].mean - x[1].mean,
       x[0].meanSquare + x[1].meanSquare - 2 * x[0].mean * x[1].mean,
       x[0].sharedVariance() + x[1].sharedVariance()});
}

void SubOp::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>,
                                  ArrayRef<FlowGradient> dy,
                                  SmallVectorImpl<FlowGradient> &dx) {
  dx.append({toOperand(*this, 0, dy[0]), toOperand(*this, 1, dy[0])});
}

void MulOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  double mean = x[0].mean * x[1].mean;
  results.push_back({mean, x[0].meanSquare * x[1].meanSquare,
                     x[0].sharedSquare() * x[1].sharedSquare() - mean * mean});
}

void MulOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                  ArrayRef<FlowMoments>,
                                  ArrayRef<FlowGradient> dy,
                                  SmallVectorImpl<FlowGradient> &dx) {
  for (unsigned i = 0; i < 2; ++i) {
    const FlowMoments &other = x[1 - i];
    dx.push_back(toOperand(*this, i,
                           {dy[0].meanSquare * other.meanSquare,
                            dy[0].shared * other.sharedSquare()}));
  }
}

// Division is modelled to first order around the divisor's second moment:
// E[1/b^2] ~ 1/E[b^2]. Models divide by positive, concentrated quantities
// (norms, counts), where this is accurate.
void DivOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  double b2 = std::max(x[1].meanSquare, 1e-300);
  double bMean = x[1].mean != 0 ? x[1].mean : std::sqrt(b2);
  double mean = x[0].mean / bMean;
  results.push_back(
      {mean, x[0].meanSquare / b2, x[0].sharedSquare() / b2 - mean * mean});
}

void DivOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                  ArrayRef<FlowMoments>,
                                  ArrayRef<FlowGradient> dy,
                                  SmallVectorImpl<FlowGradient> &dx) {
  double b2 = std::max(x[1].meanSquare, 1e-300);
  dx.push_back(toOperand(*this, 0, dy[0].scaled(1 / b2)));
  dx.push_back(toOperand(*this, 1,
                         {dy[0].meanSquare * x[0].meanSquare / (b2 * b2),
                          dy[0].shared * x[0].sharedSquare() / (b2 * b2)}));
}

void NegOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  results.push_back({-x[0].mean, x[0].meanSquare, x[0].shared});
}

void NegOp::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>,
                                  ArrayRef<FlowGradient> dy,
                                  SmallVectorImpl<FlowGradient> &dx) {
  dx.push_back(dy[0]);
}

std::optional<double> NegOp::getGradientBound() { return 1.0; }

void ScaleOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                               SmallVectorImpl<FlowMoments> &results) {
  double f = getFactor().convertToDouble();
  results.push_back(
      {f * x[0].mean, f * f * x[0].meanSquare, f * f * x[0].shared});
}

void ScaleOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                    ArrayRef<FlowMoments>,
                                    ArrayRef<FlowGradient> dy,
                                    SmallVectorImpl<FlowGradient> &dx) {
  double f = getFactor().convertToDouble();
  dx.push_back(dy[0].scaled(f * f));
}

//===----------------------------------------------------------------------===//
// Activations, and other unary math
//===----------------------------------------------------------------------===//

void mlir::nn::inferActivationFlowMoments(
    const nn::Activation &act, ArrayRef<FlowMoments> operands,
    SmallVectorImpl<FlowMoments> &results) {
  unaryForward(functionsOf(act), operands, results);
}

void mlir::nn::propagateActivationFlowGradient(
    const nn::Activation &act, ArrayRef<FlowMoments> operands,
    ArrayRef<FlowGradient> dy, SmallVectorImpl<FlowGradient> &dx) {
  unaryBackward(functionsOf(act), operands, dy, dx);
}

#define NN_UNARY_FLOW(OP, ACT, BOUND)                                          \
  void OP::inferFlowMoments(ArrayRef<FlowMoments> x,                           \
                            SmallVectorImpl<FlowMoments> &results) {           \
    unaryForward(ACT, x, results);                                             \
  }                                                                            \
  void OP::propagateFlowGradient(                                              \
      ArrayRef<FlowMoments> x, ArrayRef<FlowMoments>,                          \
      ArrayRef<FlowGradient> dy, SmallVectorImpl<FlowGradient> &dx) {          \
    unaryBackward(ACT, x, dy, dx);                                             \
  }                                                                            \
  std::optional<double> OP::getGradientBound() { return BOUND; }

NN_UNARY_FLOW(ExpOp,
              (UnaryFunction{
                  [](double z) { return std::exp(std::min(z, 700.0)); },
                  [](double z) { return std::exp(std::min(z, 700.0)); }}),
              std::nullopt)
// log and sqrt see only the positive part of a Gaussian input: their inputs
// are positive in any model that runs.
NN_UNARY_FLOW(LogOp,
              (UnaryFunction{
                  [](double z) { return std::log(std::max(z, 1e-12)); },
                  [](double z) { return 1.0 / std::max(z, 1e-12); }}),
              std::nullopt)
NN_UNARY_FLOW(SqrtOp,
              (UnaryFunction{
                  [](double z) { return std::sqrt(std::max(z, 0.0)); },
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

/// Where a rule does not model the shared part precisely, it keeps the
/// fraction of the variance that the input shares.
double sharedFraction(const FlowMoments &m) {
  double v = m.variance();
  return v > 0 ? m.sharedVariance() / v : 0.0;
}

/// E[sum_c (pbar_c - 1/n)^2] for pbar the mean over a batch of
/// softmax(o + e): o ~ N(mean, shared) per class and shared by the batch,
/// e ~ N(0, individual) per example. It is the shared part of the
/// cross-entropy gradient, where the label frequencies average out. A
/// deterministic Monte Carlo estimate, with the inner sampling noise
/// subtracted.
double sharedSoftmaxError(const FlowMoments &z, int64_t n) {
  double shared = z.sharedVariance();
  if (!(shared > 0))
    return 0.0;
  uint64_t state = 0x2545F4914F6CDD1Dull;
  auto normal = [&] {
    auto uniform = [&] {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return ((state >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    };
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  };
  const int outer = 96, inner = 96;
  double sdShared = std::sqrt(shared), sdIndividual = std::sqrt(z.individual());
  SmallVector<double> o(n), v(n), sum(n), sumSquares(n);
  double total = 0;
  for (int s = 0; s < outer; ++s) {
    for (double &x : o)
      x = z.mean + sdShared * normal();
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(sumSquares.begin(), sumSquares.end(), 0.0);
    for (int t = 0; t < inner; ++t) {
      for (int64_t c = 0; c < n; ++c)
        v[c] = o[c] + sdIndividual * normal();
      double lse = logSumExp(v);
      for (int64_t c = 0; c < n; ++c) {
        double p = std::exp(v[c] - lse);
        sum[c] += p;
        sumSquares[c] += p * p;
      }
    }
    for (int64_t c = 0; c < n; ++c) {
      double mean = sum[c] / inner;
      double noise = (sumSquares[c] / inner - mean * mean) / (inner - 1);
      total += square(mean - 1.0 / n) - noise;
    }
  }
  return std::max(0.0, total / outer);
}
} // namespace

void SoftmaxOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                 SmallVectorImpl<FlowMoments> &results) {
  int64_t n = classes(getInput(), getDim());
  double meanSquare = softmaxPurity(x[0], n) / n;
  double var = std::max(0.0, meanSquare - 1.0 / (n * n));
  results.push_back({1.0 / n, meanSquare, var * sharedFraction(x[0])});
}

// d z_i = p_i (g_i - sum_j p_j g_j): about E[p^2] (1 + sum_j p_j^2 - 2/n).
void SoftmaxOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                      ArrayRef<FlowMoments> y,
                                      ArrayRef<FlowGradient> dy,
                                      SmallVectorImpl<FlowGradient> &dx) {
  int64_t n = classes(getInput(), getDim());
  double purity = y[0].meanSquare * n;
  dx.push_back(
      dy[0].scaled(y[0].meanSquare * std::max(0.0, 1 + purity - 2.0 / n)));
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
        return square(v[0] - logSumExp(v));
      });
  results.push_back(
      {mean, meanSquare, (meanSquare - mean * mean) * sharedFraction(x[0])});
}

// d z_i = g_i - p_i sum_j g_j: about 1 - 2/n + n E[p^2] times E[g^2].
void LogSoftmaxOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                         ArrayRef<FlowMoments>,
                                         ArrayRef<FlowGradient> dy,
                                         SmallVectorImpl<FlowGradient> &dx) {
  int64_t n = classes(getInput(), getDim());
  double purity = softmaxPurity(x[0], n);
  dx.push_back(dy[0].scaled(std::max(0.0, 1 - 2.0 / n + purity)));
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

namespace {
/// Moments of `k`-term sums of products x * w, plus `bias`: a matrix
/// product whose `w` is a parameter shared by the batch.
FlowMoments contraction(int64_t k, const FlowMoments &x, const FlowMoments &w,
                        const FlowMoments *bias) {
  double wVar = w.variance();
  double mean = k * x.mean * w.mean;
  double var =
      k * (x.meanSquare * w.meanSquare - x.mean * x.mean * w.mean * w.mean);
  // A feature's offset is sum_j w_ij (mean_x + o_j): every example sees it.
  double shared =
      k * wVar * x.sharedSquare() + k * w.mean * w.mean * x.sharedVariance();
  if (bias) {
    mean += bias->mean;
    var += bias->variance();
    shared += bias->variance();
  }
  return FlowMoments::fromMeanVariance(mean, var, shared);
}

/// How many products each element of operand `i` enters: the number of
/// terms in its gradient.
double terms(Operation *op, unsigned i, int64_t k) {
  return static_cast<double>(numElements(op->getResult(0))) * k /
         static_cast<double>(numElements(op->getOperand(i)));
}

/// The gradient of the data operand `x` of a product with `w`, whose
/// elements each meet `count` elements of the result.
FlowGradient dataGradient(const FlowGradient &dy, const FlowMoments &w,
                          double count) {
  return {count * w.meanSquare * dy.meanSquare,
          count * w.meanSquare * dy.shared};
}

/// The gradient of the weight `w` of a product with the data `x`: each
/// element sums `count` products g * x over `examples` examples of the
/// batch (and count / examples positions), whose shared parts add
/// coherently between examples at the same position.
FlowGradient weightGradient(const FlowGradient &dy, const FlowMoments &x,
                            double count, double examples) {
  double ms = count * dy.meanSquare * x.meanSquare +
              count * (examples - 1) * dy.shared * x.sharedSquare();
  return {ms, ms};
}
} // namespace

void DenseOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                               SmallVectorImpl<FlowMoments> &results) {
  int64_t k = cast<ShapedType>(getInput().getType()).getShape().back();
  results.push_back(contraction(k, x[0], x[1], getBias() ? &x[2] : nullptr));
}

void DenseOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                    ArrayRef<FlowMoments>,
                                    ArrayRef<FlowGradient> dy,
                                    SmallVectorImpl<FlowGradient> &dx) {
  int64_t k = cast<ShapedType>(getInput().getType()).getShape().back();
  dx.push_back(dataGradient(dy[0], x[1], terms(*this, 0, k)));
  double t = terms(*this, 1, k);
  dx.push_back(weightGradient(dy[0], x[0], t, t));
  if (getBias())
    dx.push_back(toOperand(*this, 2, dy[0]));
}

void MatmulOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                SmallVectorImpl<FlowMoments> &results) {
  auto lhs = cast<ShapedType>(getLhs().getType()).getShape();
  int64_t k = getTransposeLhs() ? lhs[0] : lhs[1];
  results.push_back(contraction(k, x[0], x[1], nullptr));
}

void MatmulOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                     ArrayRef<FlowMoments>,
                                     ArrayRef<FlowGradient> dy,
                                     SmallVectorImpl<FlowGradient> &dx) {
  auto lhs = cast<ShapedType>(getLhs().getType()).getShape();
  int64_t k = getTransposeLhs() ? lhs[0] : lhs[1];
  dx.push_back(dataGradient(dy[0], x[1], terms(*this, 0, k)));
  double t = terms(*this, 1, k);
  dx.push_back(weightGradient(dy[0], x[0], t, t));
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
                                 ArrayRef<FlowGradient> dy,                    \
                                 SmallVectorImpl<FlowGradient> &dx) {          \
    dx.push_back(toOperand(*this, 0, dy[0]));                                  \
  }

NN_IDENTITY_FLOW(TransposeOp)
NN_IDENTITY_FLOW(ReshapeOp)
NN_IDENTITY_FLOW(BroadcastOp)
#undef NN_IDENTITY_FLOW

void ConcatOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                SmallVectorImpl<FlowMoments> &results) {
  double total = 0, mean = 0, meanSquare = 0, shared = 0;
  for (auto [value, m] : llvm::zip(getInputs(), x)) {
    double n = numElements(value);
    total += n;
    mean += n * m.mean;
    meanSquare += n * m.meanSquare;
    shared += n * m.sharedVariance();
  }
  results.push_back({mean / total, meanSquare / total, shared / total});
}

void ConcatOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                     ArrayRef<FlowMoments>,
                                     ArrayRef<FlowGradient> dy,
                                     SmallVectorImpl<FlowGradient> &dx) {
  dx.append(x.size(), dy[0]);
}

void SumOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  double n = 1.0 / fanOut(*this, 0);
  double var = n * x[0].variance();
  results.push_back(FlowMoments::fromMeanVariance(n * x[0].mean, var,
                                                  var * sharedFraction(x[0])));
}

void SumOp::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>,
                                  ArrayRef<FlowGradient> dy,
                                  SmallVectorImpl<FlowGradient> &dx) {
  dx.push_back(dy[0]);
}

void MeanOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                              SmallVectorImpl<FlowMoments> &results) {
  double n = 1.0 / fanOut(*this, 0);
  double var = x[0].variance() / n;
  results.push_back(FlowMoments::fromMeanVariance(x[0].mean, var,
                                                  var * sharedFraction(x[0])));
}

void MeanOp::propagateFlowGradient(ArrayRef<FlowMoments>, ArrayRef<FlowMoments>,
                                   ArrayRef<FlowGradient> dy,
                                   SmallVectorImpl<FlowGradient> &dx) {
  double n = 1.0 / fanOut(*this, 0);
  dx.push_back(dy[0].scaled(1 / (n * n)));
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
  results.push_back({loss, loss * loss, 0.0});
}

// d logits = (softmax(logits) - onehot(label)) / batch.
void CrossEntropyOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                           ArrayRef<FlowMoments>,
                                           ArrayRef<FlowGradient> dy,
                                           SmallVectorImpl<FlowGradient> &dx) {
  int64_t n = classes(getLogits(), 1);
  double batch = static_cast<double>(numElements(getLogits())) / n;
  double err =
      expectOverClasses(x[0].mean, x[0].variance(), n, [](ArrayRef<double> v) {
        double lse = logSumExp(v), s = 0;
        for (auto [i, z] : llvm::enumerate(v))
          s += square(std::exp(z - lse) - (i == 0));
        return s;
      });
  double scale = dy[0].meanSquare / (n * batch * batch);
  dx.push_back({err * scale, sharedSoftmaxError(x[0], n) * scale});
  dx.push_back({});
}

void MseOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                             SmallVectorImpl<FlowMoments> &results) {
  double e = x[0].meanSquare + x[1].meanSquare - 2 * x[0].mean * x[1].mean;
  results.push_back({e, e * e, 0.0});
}

// d input = 2 (input - target) / n.
void MseOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                  ArrayRef<FlowMoments>,
                                  ArrayRef<FlowGradient> dy,
                                  SmallVectorImpl<FlowGradient> &dx) {
  double n = numElements(getInput());
  double e = x[0].meanSquare + x[1].meanSquare - 2 * x[0].mean * x[1].mean;
  double shared = square(x[0].mean - x[1].mean) + x[0].sharedVariance() +
                  x[1].sharedVariance();
  FlowGradient g{dy[0].meanSquare * 4 * e / (n * n),
                 dy[0].meanSquare * 4 * shared / (n * n)};
  dx.append({g, g});
}

void BceWithLogitsOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                       SmallVectorImpl<FlowMoments> &results) {
  double softplus = expectUnderNormal(x[0].mean, x[0].variance(), [](double z) {
    return std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z)));
  });
  double loss = softplus - x[0].mean * x[1].mean;
  results.push_back({loss, loss * loss, 0.0});
}

// d logits = (sigmoid(logits) - target) / n; d target = -logits / n.
void BceWithLogitsOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                            ArrayRef<FlowMoments>,
                                            ArrayRef<FlowGradient> dy,
                                            SmallVectorImpl<FlowGradient> &dx) {
  double n = numElements(getLogits());
  FlowMoments s = mapMoments(x[0], sigmoid);
  double e = s.meanSquare - 2 * s.mean * x[1].mean + x[1].meanSquare;
  double shared =
      s.sharedSquare() - 2 * s.mean * x[1].mean + x[1].sharedSquare();
  double scale = dy[0].meanSquare / (n * n);
  dx.push_back({e * scale, std::max(0.0, shared) * scale});
  dx.push_back({x[0].meanSquare * scale, x[0].sharedSquare() * scale});
}

//===----------------------------------------------------------------------===//
// Convolutional networks and normalization
//===----------------------------------------------------------------------===//

void BufferOp::inferFlowMoments(ArrayRef<FlowMoments>,
                                SmallVectorImpl<FlowMoments> &results) {
  double variance = getInit().getVariance();
  results.push_back(
      FlowMoments::fromMeanVariance(getInit().getMean(), variance, variance));
}

void BufferOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                     ArrayRef<FlowMoments>,
                                     ArrayRef<FlowGradient>,
                                     SmallVectorImpl<FlowGradient> &) {}

namespace {
/// The contraction size of a convolution: input channels per group times
/// the kernel's taps. Zero padding at the borders is not discounted.
int64_t convTaps(Conv2dOp op) {
  auto weight = cast<ShapedType>(op.getWeight().getType());
  return weight.getNumElements() / weight.getShape()[0];
}

/// Elements per channel of an NCHW tensor over which statistics are shared.
double perChannel(Value v) {
  auto type = cast<ShapedType>(v.getType());
  return static_cast<double>(type.getNumElements()) / type.getShape()[1];
}
} // namespace

void Conv2dOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                SmallVectorImpl<FlowMoments> &results) {
  results.push_back(
      contraction(convTaps(*this), x[0], x[1], getBias() ? &x[2] : nullptr));
}

// As a matrix product over the kernel's taps: the channel plays the role
// of the feature, whose offset every example and position shares.
void Conv2dOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                     ArrayRef<FlowMoments>,
                                     ArrayRef<FlowGradient> dy,
                                     SmallVectorImpl<FlowGradient> &dx) {
  int64_t k = convTaps(*this);
  dx.push_back(dataGradient(dy[0], x[1], terms(*this, 0, k)));
  double t = terms(*this, 1, k);
  dx.push_back(weightGradient(dy[0], x[0], t, examplesAmong(getInput(), t)));
  if (getBias())
    dx.push_back(toOperand(*this, 2, dy[0]));
}

namespace {
int64_t windowSize(ArrayRef<int64_t> kernel) { return kernel[0] * kernel[1]; }

/// The fraction of input elements per output element.
double outputsPerInput(Operation *op) { return 1.0 / fanOut(op, 0); }
} // namespace

// The maximum of n window elements: the shared channel offset passes
// unchanged, the rest follows the order statistic of n Gaussians (windows
// are taken to be independent, which overstates the maximum of correlated
// neighbours).
void MaxPool2dOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                   SmallVectorImpl<FlowMoments> &results) {
  double n = windowSize(getKernel());
  double sd = std::sqrt(x[0].individual());
  auto density = [n](double z) {
    return n * std::pow(0.5 * std::erfc(-z / M_SQRT2), n - 1);
  };
  double m1 = expectUnderNormal(0, 1, [&](double z) { return z * density(z); });
  double m2 =
      expectUnderNormal(0, 1, [&](double z) { return z * z * density(z); });
  double mean = x[0].mean + sd * m1;
  double individual = sd * sd * std::max(0.0, m2 - m1 * m1);
  double shared = x[0].sharedVariance();
  results.push_back(
      FlowMoments::fromMeanVariance(mean, individual + shared, shared));
}

// Each output's gradient goes to the one input that won.
void MaxPool2dOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                        ArrayRef<FlowMoments>,
                                        ArrayRef<FlowGradient> dy,
                                        SmallVectorImpl<FlowGradient> &dx) {
  double r = outputsPerInput(*this);
  dx.push_back({dy[0].meanSquare * r, dy[0].shared * r});
}

void AvgPool2dOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                   SmallVectorImpl<FlowMoments> &results) {
  double n = windowSize(getKernel());
  double shared = x[0].sharedVariance();
  results.push_back(FlowMoments::fromMeanVariance(
      x[0].mean, x[0].individual() / n + shared, shared));
}

// Each input meets r * n windows, from each of which it gets g / n.
void AvgPool2dOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                        ArrayRef<FlowMoments>,
                                        ArrayRef<FlowGradient> dy,
                                        SmallVectorImpl<FlowGradient> &dx) {
  double n = windowSize(getKernel());
  double r = outputsPerInput(*this);
  dx.push_back({dy[0].meanSquare * r / n, dy[0].shared * r * r});
}

// Training: each channel is standardized over the batch, which removes its
// shared offset; the output is x_hat * weight + bias. Evaluation uses the
// running statistics instead.
void BatchNormOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                   SmallVectorImpl<FlowMoments> &results) {
  const FlowMoments &in = x[0], &weight = x[1], &bias = x[2];
  if (getTraining()) {
    results.push_back(
        {bias.mean, weight.meanSquare + bias.meanSquare, bias.variance()});
  } else {
    double scale = weight.meanSquare / (x[4].mean + getEps().convertToDouble());
    double centred = in.meanSquare + x[3].meanSquare - 2 * in.mean * x[3].mean;
    double mean = weight.mean * (in.mean - x[3].mean) /
                      std::sqrt(x[4].mean + getEps().convertToDouble()) +
                  bias.mean;
    results.push_back({mean, scale * centred + bias.meanSquare,
                       scale * in.sharedVariance() + bias.variance()});
  }
  results.push_back(x[3]);
  results.push_back(x[4]);
}

void BatchNormOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                        ArrayRef<FlowMoments>,
                                        ArrayRef<FlowGradient> dy,
                                        SmallVectorImpl<FlowGradient> &dx) {
  const FlowMoments &in = x[0], &weight = x[1];
  double eps = getEps().convertToDouble();
  double t = perChannel(getInput());
  double examples = examplesAmong(getInput(), t);
  if (getTraining()) {
    // dx = weight / sigma * (g - mean(g) - x_hat mean(g x_hat)): the batch
    // mean of the gradient, its shared part, is removed.
    // Removing the mean leaves (t - 1) / t of what differs between
    // examples, and gradients that sum to zero over the batch: their
    // covariance across examples is -E[g^2] / (t - 1), which cancels what a
    // constant input offset would otherwise add to the weight gradients.
    double sigma2 = in.individual() + eps;
    double channelMean = (dy[0].meanSquare + (examples - 1) * dy[0].shared) / t;
    double centred = std::max(0.0, dy[0].meanSquare - channelMean);
    double ms = weight.meanSquare / sigma2 * centred;
    dx.push_back({ms, examples > 1 ? -ms / (examples - 1) : 0.0});
    double w = t * dy[0].meanSquare;
    dx.push_back({w, w});
  } else {
    double scale = weight.meanSquare / (x[4].mean + eps);
    dx.push_back(dy[0].scaled(scale));
    double centred = in.meanSquare + x[3].meanSquare - 2 * in.mean * x[3].mean;
    double w = t * dy[0].meanSquare * centred / (x[4].mean + eps);
    dx.push_back({w, w});
  }
  dx.push_back(dy[0].summedOver(t, examples));
  dx.append({FlowGradient(), FlowGradient()});
}

// Each example is standardized over its features: the shared per-feature
// offsets survive, scaled like the rest.
void LayerNormOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                   SmallVectorImpl<FlowMoments> &results) {
  const FlowMoments &weight = x[1], &bias = x[2];
  results.push_back(
      {bias.mean, weight.meanSquare + bias.meanSquare,
       weight.meanSquare * sharedFraction(x[0]) + bias.variance()});
}

void LayerNormOp::propagateFlowGradient(ArrayRef<FlowMoments> x,
                                        ArrayRef<FlowMoments>,
                                        ArrayRef<FlowGradient> dy,
                                        SmallVectorImpl<FlowGradient> &dx) {
  const FlowMoments &in = x[0], &weight = x[1];
  double var = in.variance() + getEps().convertToDouble();
  dx.push_back(dy[0].scaled(weight.meanSquare / var));
  double t = fanOut(*this, 1);
  double examples = examplesAmong(getInput(), t);
  FlowMoments normalized{0.0, 1.0, sharedFraction(in)};
  dx.push_back(weightGradient(dy[0], normalized, t, examples));
  dx.push_back(dy[0].summedOver(t, examples));
}

// Kept elements are scaled by 1 / (1 - p): the second moment grows by that
// factor, the mean and the shared offsets stay.
void DropoutOp::inferFlowMoments(ArrayRef<FlowMoments> x,
                                 SmallVectorImpl<FlowMoments> &results) {
  if (!getTraining()) {
    results.push_back(x[0]);
    return;
  }
  double keep = 1 - getP().convertToDouble();
  results.push_back({x[0].mean, x[0].meanSquare / keep, x[0].shared});
}

void DropoutOp::propagateFlowGradient(ArrayRef<FlowMoments>,
                                      ArrayRef<FlowMoments>,
                                      ArrayRef<FlowGradient> dy,
                                      SmallVectorImpl<FlowGradient> &dx) {
  double keep = getTraining() ? 1 - getP().convertToDouble() : 1.0;
  dx.push_back({dy[0].meanSquare / keep, dy[0].shared});
  if (getStep())
    dx.push_back({});
  if (getOffset())
    dx.push_back({});
}
