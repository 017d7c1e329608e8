//===- LibraryInterface.cpp - What a generated library exports ------------===//

#include "compiler/Target/LibraryInterface.h"
#include "compiler/Target/CSyntax.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace nnc;

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

static FailureOr<TensorInfo> describe(Location loc, Type type,
                                      DictionaryAttr attrs) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return emitError(loc) << "expects a static tensor at the library "
                             "boundary, got "
                          << type;
  TensorInfo info;
  info.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  Type et = tensor.getElementType();
  if (et.isF32())
    info.cType = "float";
  else if (et.isF64())
    info.cType = "double";
  else if (et.isSignlessInteger(32))
    info.cType = "int32_t";
  else if (et.isSignlessInteger(64))
    info.cType = "int64_t";
  else
    return emitError(loc) << "the C API supports f32, f64, i32 and i64 "
                             "tensors, got "
                          << type;
  if (attrs) {
    for (StringRef key :
         {nn::NNDialect::kParamAttrName, nn::NNDialect::kBufferAttrName,
          nn::NNDialect::kStateAttrName, nn::NNDialect::kArgNameAttrName})
      if (auto name = attrs.getAs<StringAttr>(key))
        info.name = name.str();
    info.init = attrs.getAs<nn::InitAttr>(nn::NNDialect::kInitAttrName);
    info.isLabel = static_cast<bool>(attrs.get(nn::NNDialect::kLabelAttrName));
  }
  return info;
}

FailureOr<LibraryInterface> LibraryInterface::fromModule(ModuleOp module) {
  func::FuncOp train, eval, gradStep, updateStep;
  for (auto func : module.getOps<func::FuncOp>()) {
    auto step = func->getAttrOfType<StringAttr>(nn::NNDialect::kStepAttrName);
    if (step && step.getValue() == "train")
      train = func;
    else if (step && step.getValue() == "eval")
      eval = func;
    else if (step && step.getValue() == "grad")
      gradStep = func;
    else if (step && step.getValue() == "update")
      updateStep = func;
  }
  if (!train || !eval)
    return emitError(module.getLoc())
           << "expects a training and an evaluation step (run nnc-train-step)";
  if (!gradStep != !updateStep)
    return emitError(module.getLoc())
           << "expects both halves of the training step, a gradient and an "
              "update step, or neither";
  LibraryInterface lib;
  lib.model =
      train->getAttrOfType<StringAttr>(nn::NNDialect::kModelNameAttrName).str();
  if (auto cfg =
          train->getAttrOfType<DictionaryAttr>(nn::NNDialect::kTrainAttrName)) {
    if (auto opt = cfg.getAs<StringAttr>("optimizer"))
      lib.optimizer = opt.str();
    if (auto lr = cfg.getAs<FloatAttr>("lr"))
      lib.learningRate = lr.getValueAsDouble();
  }
  for (auto [i, type] : llvm::enumerate(train.getArgumentTypes())) {
    DictionaryAttr attrs = train.getArgAttrDict(i);
    FailureOr<TensorInfo> info = describe(train.getLoc(), type, attrs);
    if (failed(info))
      return failure();
    // Buffers (running statistics) are stored, initialized, listed and
    // checkpointed like parameters; they follow them in both steps.
    if (attrs && (attrs.get(nn::NNDialect::kParamAttrName) ||
                  attrs.get(nn::NNDialect::kBufferAttrName))) {
      info->isBuffer =
          static_cast<bool>(attrs.get(nn::NNDialect::kBufferAttrName));
      lib.params.push_back(*info);
    } else if (attrs && attrs.get(nn::NNDialect::kStateAttrName))
      lib.state.push_back(*info);
    else if (info->name != "lr" && info->name != "step")
      lib.inputs.push_back(*info);
  }
  for (unsigned i = 0, e = train.getNumResults(); i < e; ++i)
    if (auto name = train.getResultAttrOfType<StringAttr>(
            i, nn::NNDialect::kResultNameAttrName))
      lib.gradStats |= name.getValue() == "grad_rms";
  if (gradStep) {
    lib.gradientAPI = true;
    std::string type;
    for (const TensorInfo &p : lib.params) {
      if (p.isBuffer)
        continue;
      if (!type.empty() && p.cType != type)
        return emitError(gradStep.getLoc())
               << "the gradient API needs parameters of one element type, "
                  "but '"
               << p.name << "' is " << p.cType << " and an earlier one "
               << type;
      type = p.cType;
      lib.gradElements += p.numElements();
    }
    if (!type.empty())
      lib.gradType = type;
  }
  FailureOr<TensorInfo> loss =
      describe(eval.getLoc(), eval.getResultTypes()[0], {});
  if (failed(loss))
    return failure();
  lib.lossType = loss->cType;
  for (unsigned i = 1, e = eval.getNumResults(); i < e; ++i) {
    FailureOr<TensorInfo> info = describe(
        eval.getLoc(), eval.getResultTypes()[i], eval.getResultAttrDict(i));
    if (failed(info))
      return failure();
    lib.outputs.push_back(*info);
  }
  // C identifiers: an output named like an input (`output y` with
  // `label y`) becomes `y_out`.
  llvm::StringSet<> taken;
  for (TensorInfo &in : lib.inputs) {
    in.cName = cName(in.name);
    taken.insert(in.cName);
  }
  for (TensorInfo &out : lib.outputs) {
    out.cName = cName(out.name);
    while (!taken.insert(out.cName).second)
      out.cName += "_out";
  }
  return lib;
}
