//===- GradientFlow.cpp - Static gradient-flow analysis -------------------===//

#include "compiler/Analysis/GradientFlow.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::nn;
using namespace nnc;

StringRef nnc::getFlagName(FlowWarning kind) {
  switch (kind) {
  case FlowWarning::VanishingGradient:
    return "vanishing-gradient";
  case FlowWarning::ExplodingGradient:
    return "exploding-gradient";
  case FlowWarning::SaturatedActivation:
    return "saturated-activation";
  case FlowWarning::DeadRelu:
    return "dead-relu";
  case FlowWarning::ParameterWithoutGradient:
    return "parameter-without-gradient";
  case FlowWarning::UnmodeledOp:
    return "unmodeled-op";
  }
  llvm_unreachable("unknown warning");
}

ArrayRef<FlowWarning> nnc::getAllFlowWarnings() {
  static const FlowWarning all[] = {
      FlowWarning::VanishingGradient,        FlowWarning::ExplodingGradient,
      FlowWarning::SaturatedActivation,      FlowWarning::DeadRelu,
      FlowWarning::ParameterWithoutGradient, FlowWarning::UnmodeledOp};
  return all;
}

std::string nnc::formatRatio(double value) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%.2g", value);
  return s;
}

namespace {
bool isFloatTensor(Value v) {
  return isa<FloatType>(getElementTypeOrSelf(v.getType()));
}

/// The op name without its dialect: `sigmoid`.
StringRef shortName(Operation *op) { return op->getName().stripDialect(); }

/// Moments of the elements of a constant.
FlowMoments constantMoments(arith::ConstantOp op) {
  auto attr = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!attr || !isa<FloatType>(attr.getElementType()))
    return FlowMoments::standard();
  double sum = 0, sumSquares = 0, n = 0;
  for (APFloat v : attr.getValues<APFloat>()) {
    double d = v.convertToDouble();
    sum += d;
    sumSquares += d * d;
    n += 1;
  }
  return n ? FlowMoments{sum / n, sumSquares / n} : FlowMoments{};
}

/// Orders locations by file position; others keep their order.
bool locationBefore(Location a, Location b) {
  auto fa = dyn_cast<FileLineColLoc>(a), fb = dyn_cast<FileLineColLoc>(b);
  if (!fa || !fb)
    return false;
  return std::make_tuple(fa.getLine(), fa.getColumn()) <
         std::make_tuple(fb.getLine(), fb.getColumn());
}
} // namespace

GradientFlowAnalysis::GradientFlowAnalysis(func::FuncOp model,
                                           const GradientFlowOptions &options)
    : model(model), options(options) {
  propagateForward();
  propagateBackward();
  summarizeParams();
  checkReachability();
  checkDepth();
  checkActivations();
  // Source order, as a compiler reports; ties keep the order found.
  std::vector<size_t> order(findings.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  llvm::sort(order, [&](size_t a, size_t b) {
    if (locationBefore(findings[a].loc, findings[b].loc))
      return true;
    if (locationBefore(findings[b].loc, findings[a].loc))
      return false;
    return a < b;
  });
  std::vector<FlowFinding> sorted;
  for (size_t i : order)
    sorted.push_back(std::move(findings[i]));
  findings = std::move(sorted);
}

FlowMoments GradientFlowAnalysis::getMoments(Value value) const {
  return moments.lookup(value);
}

FlowGradient GradientFlowAnalysis::getGradient(Value value) const {
  return gradSquare.lookup(value);
}

//===----------------------------------------------------------------------===//
// Propagation
//===----------------------------------------------------------------------===//

void GradientFlowAnalysis::propagateForward() {
  for (BlockArgument arg : model.getArguments()) {
    if (!isFloatTensor(arg))
      continue;
    // Calibration data first, then what the model file declares.
    auto it = options.inputMoments.find(arg.getArgNumber());
    auto declared = model.getArgAttrOfType<DictionaryAttr>(
        arg.getArgNumber(), nn::NNDialect::kInputStatsAttrName);
    if (it != options.inputMoments.end()) {
      moments[arg] = it->second;
    } else if (declared) {
      auto get = [&](StringRef key, double fallback) {
        auto value = declared.getAs<FloatAttr>(key);
        return value ? value.getValueAsDouble() : fallback;
      };
      double sd = get("std", 1.0);
      moments[arg] = FlowMoments::fromMeanVariance(get("mean", 0.0), sd * sd);
    } else {
      moments[arg] = FlowMoments::standard();
    }
  }
  llvm::StringSet<> unmodeled;
  model.walk([&](Operation *op) {
    if (op == model || isa<func::ReturnOp>(op))
      return;
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      moments[constant.getResult()] = constantMoments(constant);
      return;
    }
    auto rule = dyn_cast<GradientFlowOpInterface>(op);
    if (!rule) {
      for (Value result : op->getResults())
        moments[result] = FlowMoments::standard();
      if (unmodeled.insert(op->getName().getStringRef()).second)
        findings.push_back({FlowWarning::UnmodeledOp,
                            op->getLoc(),
                            ("gradient-flow analysis does not model '" +
                             op->getName().getStringRef() +
                             "'; its results are taken to be standardized")
                                .str(),
                            {}});
      return;
    }
    SmallVector<FlowMoments> in, out;
    for (Value operand : op->getOperands())
      in.push_back(moments.lookup(operand));
    rule.inferFlowMoments(in, out);
    for (auto [result, m] : llvm::zip(op->getResults(), out))
      moments[result] = m;
  });
}

void GradientFlowAnalysis::propagateBackward() {
  Block &body = model.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret || ret.getNumOperands() == 0)
    return;
  // The loss is seeded with a unit cotangent, as the training step does.
  Value loss = ret.getOperand(0);
  gradSquare[loss] = {1.0, 1.0};
  reached.insert(loss);
  for (Operation &op : llvm::reverse(body.without_terminator())) {
    if (llvm::none_of(op.getResults(),
                      [&](Value r) { return reached.contains(r); }))
      continue;
    SmallVector<FlowGradient> dy, dx;
    for (Value result : op.getResults())
      dy.push_back(gradSquare.lookup(result));
    auto rule = dyn_cast<GradientFlowOpInterface>(&op);
    if (rule) {
      SmallVector<FlowMoments> in, out;
      for (Value operand : op.getOperands())
        in.push_back(moments.lookup(operand));
      for (Value result : op.getResults())
        out.push_back(moments.lookup(result));
      rule.propagateFlowGradient(in, out, dy, dx);
    } else {
      // An unmodeled op passes the gradient on unchanged (it was warned
      // about going forwards).
      dx.assign(op.getNumOperands(), dy.empty() ? FlowGradient() : dy[0]);
    }
    for (auto [i, operand] : llvm::enumerate(op.getOperands())) {
      if (!isFloatTensor(operand) || i >= dx.size())
        continue;
      if (auto grad = dyn_cast<GradientOpInterface>(&op))
        if (!grad.isDifferentiableOperand(i))
          continue;
      // Gradients arriving along different uses are summed; being
      // independent, their squares add.
      FlowGradient &g = gradSquare[operand];
      g.meanSquare += dx[i].meanSquare;
      g.shared += dx[i].shared;
      reached.insert(operand);
    }
    if (!op.getResults().empty() && dy[0].meanSquare > 0 && !dx.empty() &&
        op.getNumOperands() > 0)
      gain[&op] = dx[0].meanSquare / dy[0].meanSquare;
  }
}

void GradientFlowAnalysis::summarizeParams() {
  model.walk([&](ParamOp op) {
    ParamFlow p;
    p.op = op;
    p.name = op.getName().str();
    auto type = cast<ShapedType>(op.getType());
    p.numElements = type.getNumElements();
    p.rank = type.getRank();
    p.gradRms = std::sqrt(gradSquare.lookup(op.getResult()).meanSquare);
    p.paramRms = std::sqrt(moments.lookup(op.getResult()).meanSquare);
    p.reached = reached.contains(op.getResult());
    if (!op->use_empty()) {
      Operation *layer = *op->user_begin();
      Value input =
          layer->getOperand(0) == op.getResult() && layer->getNumOperands() > 1
              ? layer->getOperand(1)
              : layer->getOperand(0);
      p.inputSpread = moments.lookup(input).spread();
      p.signalRms =
          std::sqrt(gradSquare.lookup(layer->getResult(0)).meanSquare);
    }
    params.push_back(p);
  });
}

//===----------------------------------------------------------------------===//
// Decision rules
//===----------------------------------------------------------------------===//

void GradientFlowAnalysis::checkReachability() {
  for (ParamFlow &p : params)
    if (!p.reached)
      findings.push_back({FlowWarning::ParameterWithoutGradient,
                          p.op.getLoc(),
                          "parameter '" + p.name +
                              "' receives no gradient: the loss does not "
                              "depend on it",
                          {}});
}

namespace {
/// The ops at one source location that scale the gradient on its way down.
struct Contributor {
  Operation *first = nullptr;
  double log10Gain = 0; ///< Of the RMS, summed over the ops.
  double inputSpread = 0;
  int count = 0;
};
} // namespace

void GradientFlowAnalysis::checkDepth() {
  SmallVector<ParamFlow *> weights;
  for (ParamFlow &p : params)
    if (p.reached && p.rank >= 2 && p.gradRms > 0 && !p.op->use_empty())
      weights.push_back(&p);
  if (weights.size() < 2)
    return;
  ParamFlow &first = *weights.front(), &last = *weights.back();
  // Two measures: the weight gradients, and the signal backpropagated to
  // each layer's output. They differ where activations shrink or grow as
  // fast as the signal does (relu with Glorot init), which balances the
  // weight gradients while the signal still vanishes.
  double weightRatio = first.gradRms / last.gradRms;
  double signalRatio = last.signalRms > 0 && first.signalRms > 0
                           ? first.signalRms / last.signalRms
                           : weightRatio;
  // Quote the weight gradients where they show the problem themselves.
  auto flagged = [&](double r) {
    return r <= options.vanishingThreshold || r >= options.explodingThreshold;
  };
  bool bySignal = !flagged(weightRatio) && flagged(signalRatio);
  double ratio = bySignal ? signalRatio : weightRatio;
  bool vanishing = ratio <= options.vanishingThreshold;
  bool exploding = ratio >= options.explodingThreshold;
  if (!vanishing && !exploding)
    return;
  // Clipping the gradient norm is the fix for explosions: once configured,
  // the remaining imbalance is not worth a warning.
  if (exploding) {
    auto train =
        model->getAttrOfType<DictionaryAttr>(nn::NNDialect::kTrainAttrName);
    if (train && train.get("clip_grad_norm"))
      return;
  }

  // Attribute the change to the ops between the two layers, grouped by the
  // source location they came from (a `repeat` gives many ops one line).
  Operation *from = *first.op->user_begin(), *to = *last.op->user_begin();
  std::map<std::pair<const void *, StringRef>, Contributor> groups;
  std::vector<std::pair<const void *, StringRef>> order;
  bool inside = false;
  for (Operation &op : model.getBody().front()) {
    if (&op == from) {
      inside = true;
      continue;
    }
    if (!inside)
      continue;
    auto it = gain.find(&op);
    if (it != gain.end() && it->second > 0) {
      auto key = std::make_pair(op.getLoc().getAsOpaquePointer(),
                                op.getName().getStringRef());
      auto [g, inserted] = groups.try_emplace(key);
      if (inserted) {
        g->second.first = &op;
        order.push_back(key);
      }
      g->second.log10Gain += 0.5 * std::log10(it->second);
      g->second.inputSpread += moments.lookup(op.getOperand(0)).spread();
      ++g->second.count;
    }
    if (&op == to)
      break;
  }
  SmallVector<Contributor> culprits;
  for (auto &key : order) {
    Contributor &c = groups[key];
    if (vanishing ? c.log10Gain < -0.3 : c.log10Gain > 0.3)
      culprits.push_back(c);
  }
  // Strongest first; the order of appearance breaks ties.
  llvm::sort(culprits, [&](const Contributor &a, const Contributor &b) {
    if (a.log10Gain != b.log10Gain)
      return vanishing ? a.log10Gain < b.log10Gain : a.log10Gain > b.log10Gain;
    return a.first->isBeforeInBlock(b.first);
  });
  if (culprits.size() > 3)
    culprits.resize(3);

  FlowFinding f{vanishing ? FlowWarning::VanishingGradient
                          : FlowWarning::ExplodingGradient,
                first.op.getLoc(),
                "",
                {}};
  f.message =
      (llvm::Twine("gradient ") + (vanishing ? "vanishes" : "explodes") +
       " over " + llvm::Twine(weights.size()) + " layers: " +
       (bySignal ? "reaching the layer of '" : "at '") + first.name +
       "' it is about " + formatRatio(ratio) + (vanishing ? " of" : " times") +
       " its size at " + (bySignal ? "the layer of '" : "'") + last.name + "'")
          .str();
  for (const Contributor &c : culprits) {
    Operation *op = c.first;
    double perOp = std::pow(10.0, c.log10Gain / c.count);
    double spread = c.inputSpread / c.count;
    std::string text;
    llvm::raw_string_ostream os(text);
    auto rule = cast<GradientFlowOpInterface>(op);
    if (std::optional<double> bound = rule.getGradientBound()) {
      os << shortName(op) << " passes on at most " << formatRatio(*bound)
         << " of the gradient (about " << formatRatio(perOp)
         << " here, for inputs of spread " << formatRatio(spread) << ")";
    } else if (isa<DenseOp, MatmulOp>(op)) {
      auto type = cast<ShapedType>(op->getResult(0).getType());
      os << shortName(op) << " scales the gradient by about "
         << formatRatio(perOp) << " (weights of spread "
         << formatRatio(moments.lookup(op->getOperand(1)).spread()) << " over "
         << type.getShape().back() << " outputs)";
    } else {
      os << shortName(op) << " scales the gradient by about "
         << formatRatio(perOp);
    }
    if (c.count > 1)
      os << ", " << c.count << " times over";
    f.notes.emplace_back(op->getLoc(), text);
  }
  // A saturating activation on the way is the first thing to replace;
  // without one, the initialization is too small for the activations.
  bool saturating = false;
  for (auto &key : order)
    if (auto act = dyn_cast<ActivationOpInterface>(groups[key].first))
      if (std::optional<SaturationRegion> region =
              act.getActivation().getSaturation())
        saturating |= !region->dead;
  f.notes.emplace_back(
      first.op.getLoc(),
      !vanishing ? "consider clip_grad_norm in the train section, a smaller "
                   "initialization, or normalization"
      : saturating
          ? "consider relu or silu with init = he, a residual connection "
            "around the repeated block, or normalization"
          : "consider init = he for the layers before relu-like "
            "activations, a residual connection around the repeated "
            "block, or normalization");
  findings.push_back(std::move(f));
}

void GradientFlowAnalysis::checkActivations() {
  struct Worst {
    Operation *op = nullptr;
    double fraction = 0;
    int count = 0;
  };
  std::map<std::pair<const void *, StringRef>, Worst> saturated, dead;
  std::vector<std::pair<const void *, StringRef>> satOrder, deadOrder;
  auto record = [](auto &map, auto &order, Operation *op, double fraction) {
    auto key = std::make_pair(op->getLoc().getAsOpaquePointer(),
                              op->getName().getStringRef());
    auto [it, inserted] = map.try_emplace(key);
    if (inserted)
      order.push_back(key);
    ++it->second.count;
    if (fraction > it->second.fraction) {
      it->second.fraction = fraction;
      it->second.op = op;
    }
  };
  model.walk([&](Operation *op) {
    auto act = dyn_cast<ActivationOpInterface>(op);
    if (!act)
      return;
    std::optional<SaturationRegion> region =
        act.getActivation().getSaturation();
    if (!region)
      return;
    FlowMoments z = moments.lookup(op->getOperand(0));
    double var = z.variance();
    // The share of inputs outside the region where the unit learns.
    double fraction = (1 - probabilityAbove(z.mean, var, region->below)) +
                      probabilityAbove(z.mean, var, region->above);
    if (region->dead) {
      if (fraction > options.deadReluThreshold)
        record(dead, deadOrder, op, fraction);
      return;
    }
    if (fraction > options.saturationThreshold)
      record(saturated, satOrder, op, fraction);
  });
  auto percent = [](double f) {
    return std::to_string(static_cast<int>(std::lround(100 * f)));
  };
  auto repeated = [](FlowFinding &f, const Worst &w) {
    if (w.count > 1)
      f.notes.emplace_back(w.op->getLoc(),
                           std::to_string(w.count) +
                               " layers come from this line; the worst is "
                               "reported");
  };
  for (auto &key : satOrder) {
    Worst &w = saturated[key];
    FlowMoments z = moments.lookup(w.op->getOperand(0));
    FlowFinding f{FlowWarning::SaturatedActivation, w.op->getLoc(), "", {}};
    f.message = shortName(w.op).str() + " saturates: about " +
                percent(w.fraction) + "% of its inputs (spread " +
                formatRatio(z.spread()) +
                ") fall where its derivative is below a tenth of its peak";
    repeated(f, w);
    f.notes.emplace_back(w.op->getLoc(),
                         "consider a smaller initialization of the layer "
                         "before it, or normalization");
    findings.push_back(std::move(f));
  }
  for (auto &key : deadOrder) {
    Worst &w = dead[key];
    FlowMoments z = moments.lookup(w.op->getOperand(0));
    FlowFinding f{FlowWarning::DeadRelu, w.op->getLoc(), "", {}};
    f.message = "relu is expected to be mostly inactive: about " +
                percent(w.fraction) + "% of its inputs are negative (mean " +
                formatRatio(z.mean) + ", spread " + formatRatio(z.spread()) +
                ")";
    repeated(f, w);
    f.notes.emplace_back(w.op->getLoc(),
                         "consider a zero bias initialization, leaky_relu, "
                         "or normalization before it");
    findings.push_back(std::move(f));
  }
}

//===----------------------------------------------------------------------===//
// Warning flags and emission
//===----------------------------------------------------------------------===//

static constexpr StringLiteral kGroup = "gradient-flow";

static bool isKnownFlag(StringRef name) {
  return name == kGroup ||
         llvm::any_of(getAllFlowWarnings(),
                      [&](FlowWarning k) { return getFlagName(k) == name; });
}

static std::string suggestFlag(StringRef name) {
  std::string best;
  unsigned bestDistance = 4;
  SmallVector<StringRef> names = {kGroup};
  for (FlowWarning k : getAllFlowWarnings())
    names.push_back(getFlagName(k));
  for (StringRef candidate : names) {
    // A prefix (`-Wexploding`) counts as close as a typo.
    unsigned d =
        candidate.starts_with(name) ? 1 : name.edit_distance(candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate.str();
    }
  }
  return best;
}

LogicalResult WarningPolicy::apply(StringRef flag, std::string &message) {
  auto check = [&](StringRef name, StringRef spelled) -> LogicalResult {
    if (isKnownFlag(name))
      return success();
    message = ("unknown warning option '-W" + spelled + "'").str();
    std::string hint = suggestFlag(name);
    if (!hint.empty()) {
      std::string fixed = spelled.str();
      fixed.replace(fixed.size() - name.size(), name.size(), hint);
      message += "; did you mean '-W" + fixed + "'?";
    }
    return failure();
  };
  auto names = [&](StringRef name) {
    SmallVector<StringRef> out;
    if (name == kGroup)
      for (FlowWarning k : getAllFlowWarnings())
        out.push_back(getFlagName(k));
    else
      out.push_back(name);
    return out;
  };
  if (flag == "error") {
    allErrors = true;
    return success();
  }
  if (flag == "no-error") {
    allErrors = false;
    return success();
  }
  if (flag.consume_front("error=")) {
    if (failed(check(flag, ("error=" + flag).str())))
      return failure();
    for (StringRef n : names(flag)) {
      errors.insert(n);
      notErrors.erase(n);
      disabled.erase(n);
    }
    return success();
  }
  if (flag.consume_front("no-error=")) {
    if (failed(check(flag, ("no-error=" + flag).str())))
      return failure();
    for (StringRef n : names(flag)) {
      notErrors.insert(n);
      errors.erase(n);
    }
    return success();
  }
  bool off = flag.consume_front("no-");
  if (failed(check(flag, ((off ? "no-" : "") + flag).str())))
    return failure();
  for (StringRef n : names(flag)) {
    if (off)
      disabled.insert(n);
    else
      disabled.erase(n);
  }
  return success();
}

bool WarningPolicy::isEnabled(FlowWarning kind) const {
  return !disabled.contains(getFlagName(kind));
}

bool WarningPolicy::isError(FlowWarning kind) const {
  StringRef name = getFlagName(kind);
  return isEnabled(kind) && !notErrors.contains(name) &&
         (allErrors || errors.contains(name));
}

LogicalResult nnc::emitFlowFindings(ArrayRef<FlowFinding> findings,
                                    const WarningPolicy &policy) {
  bool anyError = false;
  for (const FlowFinding &f : findings) {
    if (!policy.isEnabled(f.kind))
      continue;
    bool error = policy.isError(f.kind);
    anyError |= error;
    InFlightDiagnostic diag = error ? emitError(f.loc) : emitWarning(f.loc);
    diag << f.message << " [-W" << (error ? "error,-W" : "")
         << getFlagName(f.kind) << "]";
    for (const auto &[loc, text] : f.notes)
      diag.attachNote(loc) << text;
  }
  return failure(anyError);
}
