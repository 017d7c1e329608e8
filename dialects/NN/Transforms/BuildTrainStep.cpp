//===- BuildTrainStep.cpp - Training and evaluation steps -----------------===//
//
// Turns a model and its gradient function into the functions a training
// library exports: parameters become explicit state, the `train` section
// becomes clipping and optimizer-update ops.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::nn {
#define GEN_PASS_DEF_NNBUILDTRAINSTEPPASS
#include "dialects/NN/Transforms/Passes.h.inc"
} // namespace mlir::nn

using namespace mlir;
using namespace mlir::nn;

namespace {

/// The `train` section of a model, read from its `nn.train` dictionary.
struct TrainConfig {
  std::string optimizer = "adam";
  DictionaryAttr attrs;
  double get(StringRef key, double fallback) const {
    if (auto f = dyn_cast_or_null<FloatAttr>(attrs.get(key)))
      return f.getValueAsDouble();
    return fallback;
  }
  bool flag(StringRef key) const {
    auto b = dyn_cast_or_null<BoolAttr>(attrs.get(key));
    return b && b.getValue();
  }
  /// Names of the per-parameter state tensors the optimizer keeps.
  SmallVector<StringRef> slots() const {
    if (optimizer == "sgd")
      return get("momentum", 0) > 0 ? SmallVector<StringRef>{"momentum_buffer"}
                                    : SmallVector<StringRef>{};
    return {"exp_avg", "exp_avg_sq"};
  }
};

/// Makes the signature of a step: parameters, then `extra` state per
/// parameter slot, then the model's inputs, then `trailing`.
struct StepSignature {
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> attrs;
  void add(Type type, DictionaryAttr attr) {
    types.push_back(type);
    attrs.push_back(attr);
  }
};

/// Clones the body of `source` into `target`, mapping `source`'s arguments
/// to `inputs` and each nn.param to the matching parameter argument, and
/// returns the operands of the cloned return.
SmallVector<Value> cloneBody(OpBuilder &b, func::FuncOp source,
                             ValueRange inputs,
                             const llvm::StringMap<Value> &params) {
  IRMapping mapping;
  mapping.map(source.getArguments(), inputs);
  SmallVector<Value> results;
  for (Operation &op : source.getBody().front()) {
    if (auto param = dyn_cast<ParamOp>(op)) {
      mapping.map(param.getResult(), params.lookup(param.getName()));
      continue;
    }
    if (auto buffer = dyn_cast<BufferOp>(op)) {
      mapping.map(buffer.getResult(), params.lookup(buffer.getName()));
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        results.push_back(mapping.lookup(v));
      continue;
    }
    b.clone(op, mapping);
  }
  return results;
}

class StepBuilder {
public:
  StepBuilder(func::FuncOp model, func::FuncOp grad, bool gradStats,
              bool gradientAPI)
      : model(model), grad(grad), b(model.getContext()), gradStats(gradStats),
        gradientAPI(gradientAPI) {
    for (ParamOp p : grad.getBody().getOps<ParamOp>())
      params.push_back(p);
    for (BufferOp buf : grad.getBody().getOps<BufferOp>())
      buffers.push_back(buf);
    config.attrs =
        model->getAttrOfType<DictionaryAttr>(NNDialect::kTrainAttrName);
    if (!config.attrs)
      config.attrs = b.getDictionaryAttr({});
    if (auto opt = config.attrs.getAs<StringAttr>("optimizer"))
      config.optimizer = opt.str();
  }

  LogicalResult build() {
    if (config.optimizer != "sgd" && config.optimizer != "adam" &&
        config.optimizer != "adamw")
      return model.emitError() << "expects optimizer sgd, adam or adamw, got '"
                               << config.optimizer << "'";
    b.setInsertionPoint(model);
    if (failed(buildTrainStep()))
      return failure();
    b.setInsertionPoint(model);
    buildEvalStep();
    if (gradientAPI) {
      b.setInsertionPoint(model);
      if (failed(buildGradStep()))
        return failure();
      b.setInsertionPoint(model);
      buildUpdateStep();
    }
    return success();
  }

private:
  /// Adds the parameter arguments, then (unless `withBuffers` is false) the
  /// buffer arguments.
  void addParams(StepSignature &sig, bool withBuffers = true) {
    for (ParamOp p : params)
      sig.add(p.getType(),
              b.getDictionaryAttr(
                  {b.getNamedAttr(NNDialect::kParamAttrName, p.getNameAttr()),
                   b.getNamedAttr(NNDialect::kInitAttrName, p.getInitAttr())}));
    if (!withBuffers)
      return;
    for (BufferOp buf : buffers)
      sig.add(
          buf.getType(),
          b.getDictionaryAttr(
              {b.getNamedAttr(NNDialect::kBufferAttrName, buf.getNameAttr()),
               b.getNamedAttr(NNDialect::kInitAttrName, buf.getInitAttr())}));
  }
  void addInputs(StepSignature &sig) {
    for (auto [i, type] : llvm::enumerate(model.getArgumentTypes())) {
      DictionaryAttr attrs = model.getArgAttrDict(i);
      sig.add(type, attrs ? attrs : b.getDictionaryAttr({}));
    }
  }
  func::FuncOp makeFunc(StringRef suffix, const StepSignature &sig,
                        TypeRange results) {
    auto func = func::FuncOp::create(b, model.getLoc(),
                                     (model.getName() + suffix).str(),
                                     b.getFunctionType(sig.types, results));
    func.setAllArgAttrs(sig.attrs);
    func->setAttr(NNDialect::kModelNameAttrName, model.getNameAttr());
    Block *entry = func.addEntryBlock();
    b.setInsertionPointToStart(entry);
    return func;
  }
  /// Parameter and buffer arguments by name.
  llvm::StringMap<Value> paramArgs(func::FuncOp func) {
    llvm::StringMap<Value> map;
    for (auto [i, p] : llvm::enumerate(params))
      map[p.getName()] = func.getArgument(i);
    for (auto [i, buf] : llvm::enumerate(buffers))
      map[buf.getName()] = func.getArgument(params.size() + i);
    return map;
  }
  /// The new value of each buffer: what the op that reads it computes as
  /// its update (the buffer itself if nothing updates it).
  FailureOr<SmallVector<Value>> bufferUpdates(func::FuncOp func);

  /// Adds one optimizer state argument per parameter and slot.
  void addState(StepSignature &sig) {
    for (ParamOp p : params)
      for (StringRef slot : config.slots())
        sig.add(p.getType(), b.getDictionaryAttr(b.getNamedAttr(
                                 NNDialect::kStateAttrName,
                                 b.getStringAttr(p.getName() + "." + slot))));
  }
  /// Adds a `tensor<f64>` scalar argument named `name`. f64 so that f64
  /// models see the learning rate exactly as written.
  void addScalar(StepSignature &sig, StringRef name) {
    sig.add(RankedTensorType::get({}, b.getF64Type()),
            b.getDictionaryAttr(b.getNamedAttr(NNDialect::kArgNameAttrName,
                                               b.getStringAttr(name))));
  }
  /// The forward and backward pass of `func`, whose arguments start with
  /// the parameters and buffers and go on with `inputs`.
  struct Backward {
    Value loss;
    SmallVector<Value> gradients, newBuffers;
  };
  FailureOr<Backward> buildBackward(func::FuncOp func, ValueRange inputs,
                                    Value step, Value offset = {});
  /// The gradients' RMS (before clipping), clipping and the optimizer
  /// update: appends the new parameters and state to `returned`, then the
  /// RMS if the step reports it.
  void buildUpdate(ValueRange paramValues, ValueRange state,
                   SmallVector<Value> gradients, Value lr, Value step,
                   Type statsType, SmallVector<Value> &returned);
  /// The type of the gradients' RMS if the training step reports it.
  Type statsType() {
    if (!gradStats || params.empty())
      return {};
    return RankedTensorType::get({static_cast<int64_t>(params.size())},
                                 b.getF64Type());
  }
  /// Names the last result of a step that reports the gradients' RMS.
  void nameStatsResult(func::FuncOp func, Type stats) {
    if (stats)
      func.setResultAttr(func.getNumResults() - 1,
                         NNDialect::kResultNameAttrName,
                         b.getStringAttr("grad_rms"));
  }

  LogicalResult buildTrainStep();
  void buildEvalStep();
  /// The gradient API's halves of the training step (`gradient-api`).
  LogicalResult buildGradStep();
  void buildUpdateStep();
  /// Emits the update of one parameter; returns the new parameter followed
  /// by its new state.
  SmallVector<Value> update(ParamOp p, Value param, Value gradient,
                            ValueRange state, Value lr, Value step);

  func::FuncOp model, grad;
  OpBuilder b;
  /// Whether the training step also returns the gradients' RMS.
  bool gradStats;
  /// Whether to build the gradient and update steps too.
  bool gradientAPI;
  SmallVector<ParamOp> params;
  SmallVector<BufferOp> buffers;
  TrainConfig config;
};

FailureOr<SmallVector<Value>> StepBuilder::bufferUpdates(func::FuncOp func) {
  size_t first = params.size();
  SmallVector<Value> updates;
  for (size_t i = 0; i < buffers.size(); ++i)
    updates.push_back(func.getArgument(first + i));
  SmallVector<Operation *> updaters(buffers.size(), nullptr);
  auto record = [&](Operation *op, Value buffer,
                    Value updated) -> LogicalResult {
    auto arg = dyn_cast<BlockArgument>(buffer);
    if (!arg || arg.getOwner()->getParentOp() != func ||
        arg.getArgNumber() < first ||
        arg.getArgNumber() >= first + buffers.size())
      return success();
    size_t i = arg.getArgNumber() - first;
    if (updaters[i]) {
      InFlightDiagnostic diag = op->emitError()
                                << "expects buffer '" << buffers[i].getName()
                                << "' to be updated by one op";
      diag.attachNote(updaters[i]->getLoc()) << "also updated here";
      return failure();
    }
    updaters[i] = op;
    updates[i] = updated;
    return success();
  };
  WalkResult walk = func.walk([&](BatchNormOp bn) {
    if (!bn.getTraining())
      return WalkResult::advance();
    if (failed(record(bn, bn.getRunningMean(), bn.getNewRunningMean())) ||
        failed(record(bn, bn.getRunningVar(), bn.getNewRunningVar())))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return updates;
}

FailureOr<StepBuilder::Backward> StepBuilder::buildBackward(func::FuncOp func,
                                                            ValueRange inputs,
                                                            Value step,
                                                            Value offset) {
  SmallVector<Value> forward = cloneBody(b, grad, inputs, paramArgs(func));
  // Dropout masks depend on the step (and the batch's place in a global
  // batch): forward and backward see the same.
  func.walk([&](DropoutOp op) {
    op.getStepMutable().assign(step);
    if (offset)
      op.getOffsetMutable().assign(offset);
  });
  FailureOr<SmallVector<Value>> newBuffers = bufferUpdates(func);
  if (failed(newBuffers))
    return failure();
  Backward result;
  result.loss = forward.front();
  result.gradients.assign(
      ArrayRef<Value>(forward).take_back(params.size()).begin(),
      ArrayRef<Value>(forward).take_back(params.size()).end());
  result.newBuffers = std::move(*newBuffers);
  return result;
}

void StepBuilder::buildUpdate(ValueRange paramValues, ValueRange state,
                              SmallVector<Value> gradients, Value lr,
                              Value step, Type stats,
                              SmallVector<Value> &returned) {
  MLIRContext *ctx = b.getContext();
  // Measured before clipping: what the model itself produces.
  Value gradRms;
  if (stats)
    gradRms = GradientRmsOp::create(
        b, FusedLoc::get(ctx, {model.getLoc()}, b.getStringAttr("grad_stats")),
        stats, gradients);

  // Clip by global norm before any optimizer sees the gradients.
  if (double maxNorm = config.get("clip_grad_norm", 0);
      maxNorm > 0 && !gradients.empty()) {
    auto clip = ClipGradNormOp::create(
        b, FusedLoc::get(ctx, {model.getLoc()}, b.getStringAttr("clip")),
        gradients, b.getF64FloatAttr(maxNorm));
    gradients.assign(clip.getClipped().begin(), clip.getClipped().end());
  }

  size_t numSlots = config.slots().size();
  SmallVector<Value> newParams, newState;
  for (auto [i, p] : llvm::enumerate(params)) {
    SmallVector<Value> updated =
        update(p, paramValues[i], gradients[i],
               state.slice(i * numSlots, numSlots), lr, step);
    newParams.push_back(updated.front());
    newState.append(updated.begin() + 1, updated.end());
  }
  returned.append(newParams);
  returned.append(newState);
  if (gradRms)
    returned.push_back(gradRms);
}

LogicalResult StepBuilder::buildTrainStep() {
  size_t numSlots = config.slots().size();
  StepSignature sig;
  addParams(sig);
  addState(sig);
  addInputs(sig);
  addScalar(sig, "lr");
  addScalar(sig, "step");

  // The new parameters, buffers and state, as their arguments, then the
  // loss.
  size_t numUpdated = params.size() * (1 + numSlots) + buffers.size();
  SmallVector<Type> results(ArrayRef<Type>(sig.types).take_front(numUpdated));
  results.push_back(grad.getResultTypes().front());
  Type stats = statsType();
  if (stats)
    results.push_back(stats);

  func::FuncOp func = makeFunc("_train_step", sig, results);
  nameStatsResult(func, stats);
  func->setAttr(NNDialect::kTrainAttrName, config.attrs);
  size_t numParams = params.size(), numState = numParams * numSlots;
  size_t numBuffers = buffers.size();
  size_t numInputs = model.getNumArguments();
  ValueRange args = func.getArguments();
  size_t stateStart = numParams + numBuffers;
  ValueRange inputs = args.slice(stateStart + numState, numInputs);
  Value lr = args[stateStart + numState + numInputs];
  Value step = args[stateStart + numState + numInputs + 1];

  FailureOr<Backward> backward = buildBackward(func, inputs, step);
  if (failed(backward))
    return failure();
  SmallVector<Value> updated;
  buildUpdate(args.take_front(numParams), args.slice(stateStart, numState),
              backward->gradients, lr, step, stats, updated);
  // Parameters, buffers, state, loss, RMS: the results' order.
  SmallVector<Value> returned(ArrayRef<Value>(updated).take_front(numParams));
  returned.append(backward->newBuffers);
  returned.append(updated.begin() + numParams,
                  updated.begin() + numParams + numState);
  returned.push_back(backward->loss);
  if (stats)
    returned.push_back(updated.back());
  func::ReturnOp::create(b, model.getLoc(), returned);
  func->setAttr(NNDialect::kStepAttrName, b.getStringAttr("train"));
  return success();
}

LogicalResult StepBuilder::buildGradStep() {
  StepSignature sig;
  addParams(sig);
  addInputs(sig);
  addScalar(sig, "step");
  addScalar(sig, "example_offset");
  SmallVector<Type> results;
  for (BufferOp buf : buffers)
    results.push_back(buf.getType());
  results.push_back(grad.getResultTypes().front());
  for (ParamOp p : params)
    results.push_back(p.getType());
  func::FuncOp func = makeFunc("_grad_step", sig, results);
  for (auto [i, p] : llvm::enumerate(params))
    func.setResultAttr(buffers.size() + 1 + i, NNDialect::kGradOfAttrName,
                       p.getNameAttr());
  func->setAttr(NNDialect::kTrainAttrName, config.attrs);
  size_t first = params.size() + buffers.size();
  ValueRange inputs = func.getArguments().slice(first, model.getNumArguments());
  Value step = func.getArguments().drop_back().back();
  Value offset = func.getArguments().back();
  FailureOr<Backward> backward = buildBackward(func, inputs, step, offset);
  if (failed(backward))
    return failure();
  SmallVector<Value> returned(backward->newBuffers);
  returned.push_back(backward->loss);
  returned.append(backward->gradients);
  func::ReturnOp::create(b, model.getLoc(), returned);
  func->setAttr(NNDialect::kStepAttrName, b.getStringAttr("grad"));
  return success();
}

void StepBuilder::buildUpdateStep() {
  size_t numParams = params.size();
  size_t numState = numParams * config.slots().size();
  StepSignature sig;
  addParams(sig, /*withBuffers=*/false);
  addState(sig);
  for (ParamOp p : params)
    sig.add(p.getType(), b.getDictionaryAttr(b.getNamedAttr(
                             NNDialect::kGradOfAttrName, p.getNameAttr())));
  addScalar(sig, "lr");
  addScalar(sig, "step");
  // The new parameters and state, as their arguments.
  SmallVector<Type> results(
      ArrayRef<Type>(sig.types).take_front(numParams + numState));
  Type stats = statsType();
  if (stats)
    results.push_back(stats);
  func::FuncOp func = makeFunc("_update_step", sig, results);
  nameStatsResult(func, stats);
  func->setAttr(NNDialect::kTrainAttrName, config.attrs);
  ValueRange args = func.getArguments();
  SmallVector<Value> gradients(args.slice(numParams + numState, numParams));
  Value lr = args[2 * numParams + numState];
  Value step = args[2 * numParams + numState + 1];
  SmallVector<Value> returned;
  buildUpdate(args.take_front(numParams), args.slice(numParams, numState),
              gradients, lr, step, stats, returned);
  func::ReturnOp::create(b, model.getLoc(), returned);
  func->setAttr(NNDialect::kStepAttrName, b.getStringAttr("update"));
}

SmallVector<Value> StepBuilder::update(ParamOp p, Value param, Value gradient,
                                       ValueRange state, Value lr, Value step) {
  Location loc =
      FusedLoc::get(b.getContext(), {p.getLoc()}, b.getStringAttr("update"));
  auto f64 = [&](StringRef key, double fallback) {
    return b.getF64FloatAttr(config.get(key, fallback));
  };
  if (config.optimizer == "sgd") {
    double momentum = config.get("momentum", 0);
    if (momentum <= 0) {
      // Plain SGD keeps no state: the gradient stands in for the momentum
      // buffer, whose updated value nobody reads.
      // PyTorch ignores dampening without momentum.
      auto op = SgdUpdateOp::create(b, loc, param, gradient, gradient, lr, step,
                                    b.getF64FloatAttr(0), b.getF64FloatAttr(0),
                                    UnitAttr(), f64("weight_decay", 0));
      return {op.getNewParam()};
    }
    auto op = SgdUpdateOp::create(b, loc, param, gradient, state[0], lr, step,
                                  f64("momentum", 0), f64("dampening", 0),
                                  config.flag("nesterov") ? b.getUnitAttr()
                                                          : UnitAttr(),
                                  f64("weight_decay", 0));
    return {op.getNewParam(), op.getNewMomentumBuffer()};
  }
  auto op = AdamUpdateOp::create(
      b, loc, param, gradient, state[0], state[1], lr, step, f64("beta1", 0.9),
      f64("beta2", 0.999), f64("eps", 1e-8), f64("weight_decay", 0),
      config.optimizer == "adamw" ? b.getUnitAttr() : UnitAttr());
  return {op.getNewParam(), op.getNewExpAvg(), op.getNewExpAvgSq()};
}

void StepBuilder::buildEvalStep() {
  StepSignature sig;
  addParams(sig);
  addInputs(sig);
  func::FuncOp func = makeFunc("_eval_step", sig, model.getResultTypes());
  for (unsigned i = 0, e = model.getNumResults(); i < e; ++i)
    if (DictionaryAttr attrs = model.getResultAttrDict(i))
      func.setResultAttrs(i, attrs);
  ValueRange inputs =
      func.getArguments().drop_front(params.size() + buffers.size());
  SmallVector<Value> results = cloneBody(b, model, inputs, paramArgs(func));
  // Evaluation mode: running statistics, no dropout.
  func.walk([](Operation *op) {
    if (isa<BatchNormOp, DropoutOp>(op))
      op->removeAttr("training");
  });
  func::ReturnOp::create(b, model.getLoc(), results);
  func->setAttr(NNDialect::kStepAttrName, b.getStringAttr("eval"));
}

/// Checks that `grad` is a gradient function of `model` as nn-autodiff
/// makes them, which the step builder relies on: one block ending in a
/// return; `model`'s arguments; the same parameters and buffers (by name
/// and type); and `model`'s results followed by one gradient per parameter,
/// of its type.
LogicalResult verifyGradientOf(func::FuncOp model, func::FuncOp grad) {
  auto fail = [&]() {
    InFlightDiagnostic diag = grad.emitError()
                              << "expects @" << grad.getName()
                              << " to be the gradient of @" << model.getName()
                              << " (as nn-autodiff builds it), but ";
    diag.attachNote(model.getLoc()) << "the model is here";
    return diag;
  };
  if (grad.isExternal() || !grad.getBody().hasOneBlock() ||
      grad.getBody().front().empty() ||
      !isa<func::ReturnOp>(grad.getBody().front().back()))
    return fail() << "it is not one block ending in 'func.return'";
  if (grad.getArgumentTypes() != model.getArgumentTypes())
    return fail() << "its arguments differ from the model's";
  // The same parameters and buffers, by name and type.
  auto collect = [](func::FuncOp f) {
    llvm::StringMap<Type> named;
    for (Operation &op : f.getBody().front()) {
      if (auto p = dyn_cast<ParamOp>(op))
        named[p.getName()] = p.getType();
      else if (auto buf = dyn_cast<BufferOp>(op))
        named[buf.getName()] = buf.getType();
    }
    return named;
  };
  llvm::StringMap<Type> ours = collect(model), theirs = collect(grad);
  for (const auto &entry : ours) {
    auto it = theirs.find(entry.getKey());
    if (it == theirs.end())
      return fail() << "it lacks the model's parameter '" << entry.getKey()
                    << "'";
    if (it->second != entry.getValue())
      return fail() << "its parameter '" << entry.getKey() << "' has type "
                    << it->second << ", the model's " << entry.getValue();
  }
  for (const auto &entry : theirs)
    if (!ours.count(entry.getKey()))
      return fail() << "it has a parameter '" << entry.getKey()
                    << "' that the model lacks";
  SmallVector<Type> expected(model.getResultTypes());
  for (ParamOp p : grad.getBody().getOps<ParamOp>())
    expected.push_back(p.getType());
  if (grad.getResultTypes() != ArrayRef<Type>(expected))
    return fail() << "its results are not the model's followed by one "
                     "gradient per parameter";
  return success();
}

struct NNBuildTrainStepPass
    : nn::impl::NNBuildTrainStepPassBase<NNBuildTrainStepPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<std::pair<func::FuncOp, func::FuncOp>> work;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (!isModel(func))
        continue;
      auto grad =
          symbols.lookup<func::FuncOp>((func.getName() + "_grad").str());
      if (!grad) {
        func.emitError() << "expects the gradient function @" << func.getName()
                         << "_grad; run nn-autodiff first";
        return signalPassFailure();
      }
      if (failed(verifyGradientOf(func, grad)))
        return signalPassFailure();
      work.emplace_back(func, grad);
    }
    for (auto [model, grad] : work) {
      if (failed(StepBuilder(model, grad, gradStats, gradientAPI).build()))
        return signalPassFailure();
      grad.erase();
      model.erase();
    }
  }
};

} // namespace
