//===- GradientFlowOpInterface.h - Gradient-flow rules ----------*- C++ -*-===//
//
// Declares the interface through which `nn` ops state their gradient-flow
// rules, the moments those rules exchange, and the numerical helpers the
// rules share.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECTS_NN_INTERFACES_GRADIENTFLOWOPINTERFACE_H
#define NNC_DIALECTS_NN_INTERFACES_GRADIENTFLOWOPINTERFACE_H

#include "mlir/IR/OpDefinition.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>

namespace mlir::nn {

/// The first two moments of the elements of a tensor at initialization.
///
/// An element is modelled as `x[b, i] = mean + o[i] + e[b, i]`: `o` is an
/// offset of feature `i` that every example `b` of a batch shares (its
/// variance is `shared`), `e` what differs from example to example. Inputs
/// share nothing; parameters share everything.
struct FlowMoments {
  double mean = 0.0;
  double meanSquare = 0.0;
  double shared = 0.0;

  /// The variance, never negative.
  double variance() const;
  /// The variance of `e`: the part that differs between examples.
  double individual() const;
  /// The second moment of a feature's mean over the batch: mean^2 + shared.
  double sharedSquare() const { return mean * mean + sharedVariance(); }
  /// `shared`, clamped to [0, variance()].
  double sharedVariance() const;
  /// The standard deviation: the "spread" diagnostics quote.
  double spread() const;
  /// A standardized tensor: mean 0, variance 1, nothing shared.
  static FlowMoments standard() { return {0.0, 1.0, 0.0}; }
  /// Moments of a distribution given by mean and variance.
  static FlowMoments fromMeanVariance(double mean, double variance,
                                      double shared = 0.0);
};

/// The moments of the gradient of a tensor: the expected square of an
/// element, and the covariance of a feature's gradients in two different
/// examples of the batch (what examples share: zero for independent
/// examples, negative after batch normalization, whose gradients sum to
/// zero over the batch).
struct FlowGradient {
  double meanSquare = 0.0;
  double shared = 0.0;

  /// Both moments scaled by `factor`.
  FlowGradient scaled(double factor) const {
    return {meanSquare * factor, shared * factor};
  }
  /// The gradient of a tensor broadcast `count` times, over `examples`
  /// examples of the batch (and `count / examples` positions): the sum of
  /// `count` gradients, which add independently but for the covariance of
  /// different examples at the same position.
  FlowGradient summedOver(double count, double examples) const;
};

/// E[f(z)] for z ~ Normal(mean, variance), by 96-point Gauss-Hermite
/// quadrature; a point mass at `mean` when the variance is zero.
double expectUnderNormal(double mean, double variance,
                         llvm::function_ref<double(double)> f);

/// E_o[g(E_e[f(o + e)])] for o ~ Normal(m.mean, m.sharedVariance()) and
/// e ~ Normal(0, m.individual()): nested Gauss-Hermite quadrature. With
/// g(v) = v^2 it gives the shared second moment of f applied to a tensor.
double expectShared(const FlowMoments &m, llvm::function_ref<double(double)> f,
                    llvm::function_ref<double(double)> g);

/// Moments of f applied elementwise to a tensor with moments `m`.
FlowMoments mapMoments(const FlowMoments &m,
                       llvm::function_ref<double(double)> f);

/// P(z > t) for z ~ Normal(mean, variance).
double probabilityAbove(double mean, double variance, double t);

/// Deterministic Monte Carlo estimate of E[f(z_1..z_n)] for `n` independent
/// Normal(mean, variance) variables; `f` sees one sample at a time. Used for
/// the rules of losses over classes, where no quadrature is practical.
double expectOverClasses(double mean, double variance, int64_t n,
                         llvm::function_ref<double(llvm::ArrayRef<double>)> f);

} // namespace mlir::nn

#include "dialects/NN/Interfaces/GradientFlowOpInterface.h.inc"

#endif // NNC_DIALECTS_NN_INTERFACES_GRADIENTFLOWOPINTERFACE_H
