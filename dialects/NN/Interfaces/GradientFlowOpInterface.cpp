//===- GradientFlowOpInterface.cpp - Gradient-flow rules ------------------===//

#include "dialects/NN/Interfaces/GradientFlowOpInterface.h"

#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

using namespace mlir;
using namespace mlir::nn;

double FlowMoments::variance() const {
  return std::max(0.0, meanSquare - mean * mean);
}

double FlowMoments::spread() const { return std::sqrt(variance()); }

double FlowMoments::sharedVariance() const {
  return std::clamp(shared, 0.0, variance());
}

double FlowMoments::individual() const { return variance() - sharedVariance(); }

FlowMoments FlowMoments::fromMeanVariance(double mean, double variance,
                                          double shared) {
  return {mean, std::max(0.0, variance) + mean * mean, shared};
}

FlowGradient FlowGradient::summedOver(double count, double examples) const {
  // count squares, and count (examples - 1) cross terms between examples.
  double sum = count * meanSquare + count * (examples - 1) * shared;
  return {sum, sum};
}

namespace {
/// Nodes and weights of N-point Gauss-Hermite quadrature for the weight
/// exp(-x^2), found by Newton's method on the orthonormal Hermite
/// recurrence.
template <int N> struct GaussHermite {
  std::array<double, N> x{}, w{};

  GaussHermite() {
    const int n = N;
    const double pim4 = 0.7511255444649425; // pi^(-1/4)
    double z = 0.0;
    for (int i = 0; i < (n + 1) / 2; ++i) {
      // Initial guesses for the largest roots, then from the previous ones.
      if (i == 0)
        z = std::sqrt(2.0 * n + 1) - 1.85575 * std::pow(2.0 * n + 1, -0.16667);
      else if (i == 1)
        z -= 1.14 * std::pow(n, 0.426) / z;
      else if (i == 2)
        z = 1.86 * z - 0.86 * x[0];
      else if (i == 3)
        z = 1.91 * z - 0.91 * x[1];
      else
        z = 2.0 * z - x[i - 2];
      double pp = 1.0;
      for (int it = 0; it < 100; ++it) {
        double p1 = pim4, p2 = 0.0;
        for (int j = 0; j < n; ++j) {
          double p3 = p2;
          p2 = p1;
          p1 = z * std::sqrt(2.0 / (j + 1)) * p2 -
               std::sqrt(static_cast<double>(j) / (j + 1)) * p3;
        }
        pp = std::sqrt(2.0 * n) * p2;
        double z1 = z;
        z = z1 - p1 / pp;
        if (std::fabs(z - z1) <= 1e-14)
          break;
      }
      x[i] = z;
      x[n - 1 - i] = -z;
      w[i] = w[n - 1 - i] = 2.0 / (pp * pp);
    }
  }
};
} // namespace

template <int N>
static double quadrature(double mean, double variance,
                         llvm::function_ref<double(double)> f) {
  if (!(variance > 0.0))
    return f(mean);
  static const GaussHermite<N> rule;
  const double scale = std::sqrt(2.0 * variance);
  double sum = 0.0;
  for (int i = 0; i < N; ++i)
    sum += rule.w[i] * f(mean + scale * rule.x[i]);
  return sum / std::sqrt(M_PI);
}

double mlir::nn::expectUnderNormal(double mean, double variance,
                                   llvm::function_ref<double(double)> f) {
  return quadrature<96>(mean, variance, f);
}

double mlir::nn::expectShared(const FlowMoments &m,
                              llvm::function_ref<double(double)> f,
                              llvm::function_ref<double(double)> g) {
  double individual = m.individual();
  return quadrature<24>(m.mean, m.sharedVariance(), [&](double o) {
    return g(quadrature<24>(o, individual, f));
  });
}

FlowMoments mlir::nn::mapMoments(const FlowMoments &m,
                                 llvm::function_ref<double(double)> f) {
  double var = m.variance();
  double mean = expectUnderNormal(m.mean, var, f);
  double meanSquare = expectUnderNormal(m.mean, var, [&](double z) {
    double y = f(z);
    return y * y;
  });
  double shared = 0.0;
  if (m.sharedVariance() > 0.0)
    shared = expectShared(m, f, [](double v) { return v * v; }) - mean * mean;
  return {mean, meanSquare, std::max(0.0, shared)};
}

double mlir::nn::probabilityAbove(double mean, double variance, double t) {
  if (!(variance > 0.0))
    return mean > t ? 1.0 : 0.0;
  return 0.5 * std::erfc((t - mean) / std::sqrt(2.0 * variance));
}

double mlir::nn::expectOverClasses(
    double mean, double variance, int64_t n,
    llvm::function_ref<double(llvm::ArrayRef<double>)> f) {
  // A fixed xorshift stream keeps the analysis deterministic.
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto uniform = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return ((state >> 11) + 0.5) * (1.0 / 9007199254740992.0);
  };
  const int samples = 2048;
  const double sd = std::sqrt(std::max(0.0, variance));
  llvm::SmallVector<double> z(n);
  double sum = 0.0;
  for (int s = 0; s < samples; ++s) {
    for (int64_t i = 0; i < n; ++i) {
      double u1 = uniform(), u2 = uniform();
      z[i] = mean +
             sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }
    sum += f(z);
  }
  return sum / samples;
}

#include "dialects/NN/Interfaces/GradientFlowOpInterface.cpp.inc"
