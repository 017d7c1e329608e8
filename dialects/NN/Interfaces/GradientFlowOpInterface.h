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
struct FlowMoments {
  double mean = 0.0;
  double meanSquare = 0.0;

  /// The variance, never negative.
  double variance() const;
  /// The standard deviation: the "spread" diagnostics quote.
  double spread() const;
  /// A standardized tensor: mean 0, variance 1.
  static FlowMoments standard() { return {0.0, 1.0}; }
  /// Moments of a distribution given by mean and variance.
  static FlowMoments fromMeanVariance(double mean, double variance);
};

/// E[f(z)] for z ~ Normal(mean, variance), by 96-point Gauss-Hermite
/// quadrature; a point mass at `mean` when the variance is zero.
double expectUnderNormal(double mean, double variance,
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
