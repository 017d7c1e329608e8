//===- ActivationsTest.cpp - Each activation's definition is consistent ---===//
//
// Every activation is defined once (dialects/NN/IR/NNActivations.cpp); the
// lowering, the gradient rule and the gradient-flow analysis all use that
// definition. These tests check the definition against itself: its
// derivative against central differences of its function, its gradient
// bound against the derivative's largest value, and its saturation region
// against where the derivative is small. The PyTorch comparisons check the
// compiled code against PyTorch.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/IR/NNActivations.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace mlir::nn;

namespace {

struct Case {
  ActivationKind kind;
  ActivationParams params;
};

std::vector<Case> cases() {
  std::vector<Case> all;
  for (uint32_t k = 0; k <= getMaxEnumValForActivationKind(); ++k)
    all.push_back({*symbolizeActivationKind(k), {}});
  // The parameters the ops default to.
  for (Case &c : all) {
    if (c.kind == ActivationKind::LeakyRelu)
      c.params.alpha = 0.01;
    if (c.kind == ActivationKind::Elu)
      c.params.alpha = 1.0;
  }
  ActivationParams softplus;
  softplus.beta = 2.0;
  softplus.threshold = 1.0;
  all.push_back({ActivationKind::Softplus, softplus});
  ActivationParams steep;
  steep.alpha = 1.5;
  all.push_back({ActivationKind::LeakyRelu, steep});
  all.push_back({ActivationKind::Elu, steep});
  return all;
}

std::string nameOf(const Case &c) {
  return std::string(stringifyActivationKind(c.kind)) +
         " (alpha=" + std::to_string(c.params.alpha) +
         ", beta=" + std::to_string(c.params.beta) + ")";
}

/// Points away from the kinks of the piecewise activations (0, and
/// softplus's threshold), where central differences do not apply.
bool nearKink(const Case &c, double x) {
  double kink = c.kind == ActivationKind::Softplus
                    ? c.params.threshold / c.params.beta
                    : 0.0;
  return std::fabs(x) < 1e-3 || std::fabs(x - kink) < 1e-3;
}

TEST(Activations, DerivativeMatchesCentralDifferences) {
  for (const Case &c : cases()) {
    Activation act(getActivationDefinition(c.kind), c.params);
    for (double x = -6.0; x <= 6.0; x += 0.37) {
      if (nearKink(c, x))
        continue;
      double h = 1e-5;
      double numeric = (act.evaluate(x + h) - act.evaluate(x - h)) / (2 * h);
      EXPECT_NEAR(act.evaluateDerivative(x), numeric,
                  1e-6 * std::max(1.0, std::fabs(numeric)))
          << nameOf(c) << " at " << x;
    }
  }
}

TEST(Activations, GradientBoundHolds) {
  for (const Case &c : cases()) {
    Activation act(getActivationDefinition(c.kind), c.params);
    std::optional<double> bound = act.getGradientBound();
    ASSERT_TRUE(bound.has_value()) << nameOf(c);
    double peak = 0;
    for (double x = -20.0; x <= 20.0; x += 1e-3)
      peak = std::max(peak, std::fabs(act.evaluateDerivative(x)));
    EXPECT_LE(peak, *bound * (1 + 1e-3)) << nameOf(c);
    // The bound is the supremum, not just any upper bound.
    EXPECT_GE(peak, *bound * (1 - 1e-3)) << nameOf(c);
  }
}

TEST(Activations, SaturationRegionIsWhereTheDerivativeIsSmall) {
  int withRegion = 0;
  for (const Case &c : cases()) {
    Activation act(getActivationDefinition(c.kind), c.params);
    std::optional<SaturationRegion> region = act.getSaturation();
    if (!region)
      continue;
    ++withRegion;
    double peak = *act.getGradientBound();
    for (double x = -20.0; x <= 20.0; x += 1e-2) {
      double d = std::fabs(act.evaluateDerivative(x));
      bool outside = x < region->below || x > region->above;
      if (region->dead) {
        if (outside)
          EXPECT_EQ(d, 0.0) << nameOf(c) << " at " << x;
        continue;
      }
      // Below a tenth of the peak exactly outside the region (to the
      // precision its bounds are given in).
      if (std::fabs(std::fabs(x) - region->above) < 1e-2)
        continue;
      EXPECT_EQ(outside, d < 0.1 * peak) << nameOf(c) << " at " << x;
    }
  }
  // relu is dead below zero; sigmoid and tanh saturate.
  EXPECT_EQ(withRegion, 3);
}

TEST(Activations, KnownValues) {
  auto eval = [](ActivationKind kind, double x, ActivationParams p = {}) {
    return Activation(getActivationDefinition(kind), p).evaluate(x);
  };
  EXPECT_DOUBLE_EQ(eval(ActivationKind::Relu, -2.0), 0.0);
  EXPECT_DOUBLE_EQ(eval(ActivationKind::Relu, 2.0), 2.0);
  EXPECT_DOUBLE_EQ(eval(ActivationKind::Sigmoid, 0.0), 0.5);
  EXPECT_NEAR(eval(ActivationKind::Tanh, 1.0), std::tanh(1.0), 1e-15);
  // gelu(1) = Phi(1) = 0.841344746...
  EXPECT_NEAR(eval(ActivationKind::Gelu, 1.0), 0.8413447460685429, 1e-12);
  EXPECT_NEAR(eval(ActivationKind::GeluTanh, 1.0), 0.8411919906082768, 1e-12);
  // softplus(0) = log 2; above the threshold it is the identity.
  EXPECT_NEAR(eval(ActivationKind::Softplus, 0.0), std::log(2.0), 1e-15);
  EXPECT_DOUBLE_EQ(eval(ActivationKind::Softplus, 25.0), 25.0);
  ActivationParams alpha;
  alpha.alpha = 2.0;
  EXPECT_NEAR(eval(ActivationKind::Elu, -1.0, alpha), 2.0 * std::expm1(-1.0),
              1e-15);
  EXPECT_DOUBLE_EQ(eval(ActivationKind::LeakyRelu, -1.0, alpha), -2.0);
}

} // namespace
