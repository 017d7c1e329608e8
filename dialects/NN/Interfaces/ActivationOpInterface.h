//===- ActivationOpInterface.h - Elementwise activations --------*- C++ -*-===//
//
// Declares the interface of elementwise activations and `Activation`, the
// handle on one activation's definition that the interface returns.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECTS_NN_INTERFACES_ACTIVATIONOPINTERFACE_H
#define NNC_DIALECTS_NN_INTERFACES_ACTIVATIONOPINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include <cstdint>
#include <limits>
#include <optional>

namespace mlir::nn {

/// The parameters of an activation, from its op's attributes: `alpha` is
/// leaky_relu's negative slope or elu's alpha; `beta` and `threshold` are
/// softplus's.
struct ActivationParams {
  double alpha = 0.0;
  double beta = 1.0;
  double threshold = 20.0;
};

/// Where an activation passes on little gradient: inputs below `below` or
/// above `above`. `dead` means the derivative is zero there (a unit that
/// only sees such inputs never learns); otherwise it is below a tenth of
/// its peak (the unit saturates).
struct SaturationRegion {
  double below = -std::numeric_limits<double>::infinity();
  double above = std::numeric_limits<double>::infinity();
  bool dead = false;
};

/// One activation's math, as NNActivations.cpp instantiates it from the
/// activation's single definition. Every function takes the parameters.
struct ActivationDefinition {
  /// The `ActivationKind` that names it in `nn.activation_grad`.
  uint32_t kind;
  /// The name diagnostics use (`sigmoid`).
  const char *name;
  /// `f(x)` as `arith`/`math` ops on a scalar of `x`'s type.
  Value (*build)(OpBuilder &, Location, Value x, const ActivationParams &);
  /// The cotangent of `x`, `dy * f'(x)`, given `x`, the forward result
  /// `y = f(x)` and the cotangent `dy` of `y`.
  Value (*buildGradient)(OpBuilder &, Location, Value x, Value y, Value dy,
                         const ActivationParams &);
  /// `f(x)` and `f'(x)` in double precision.
  double (*evaluate)(double x, const ActivationParams &);
  double (*evaluateDerivative)(double x, const ActivationParams &);
  /// The supremum of `|f'|`, where it is finite.
  std::optional<double> (*gradientBound)(const ActivationParams &);
  /// Where `f'` is small, for activations whose saturation is worth a
  /// warning.
  std::optional<SaturationRegion> saturation;
};

/// An activation with its parameters: what `ActivationOpInterface` returns.
class Activation {
public:
  Activation(const ActivationDefinition &definition,
             ActivationParams params = {})
      : definition(&definition), params(params) {}

  uint32_t getKind() const { return definition->kind; }
  const char *getName() const { return definition->name; }
  const ActivationParams &getParams() const { return params; }

  Value build(OpBuilder &b, Location loc, Value x) const {
    return definition->build(b, loc, x, params);
  }
  Value buildGradient(OpBuilder &b, Location loc, Value x, Value y,
                      Value dy) const {
    return definition->buildGradient(b, loc, x, y, dy, params);
  }
  double evaluate(double x) const { return definition->evaluate(x, params); }
  double evaluateDerivative(double x) const {
    return definition->evaluateDerivative(x, params);
  }
  std::optional<double> getGradientBound() const {
    return definition->gradientBound(params);
  }
  std::optional<SaturationRegion> getSaturation() const {
    return definition->saturation;
  }

private:
  const ActivationDefinition *definition;
  ActivationParams params;
};

} // namespace mlir::nn

#include "dialects/NN/Interfaces/ActivationOpInterface.h.inc"

#endif // NNC_DIALECTS_NN_INTERFACES_ACTIVATIONOPINTERFACE_H
