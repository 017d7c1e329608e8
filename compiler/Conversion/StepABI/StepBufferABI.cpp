//===- StepBufferABI.cpp - In-place buffer signature of step functions ----===//
//
// The generated library passes every tensor as a plain pointer and updates
// parameters and optimizer state in place. This pass fixes that contract at
// the tensor level, before bufferization, so that one-shot bufferization
// sees the destinations and can avoid copies.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/Passes.h"
#include "dialects/NN/IR/NNDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace nnc {
#define GEN_PASS_DEF_STEPBUFFERABIPASS
#include "compiler/Conversion/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

MemRefType memrefFor(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

/// The arguments a step updates in place, in order: result i updates the
/// i-th of them. A train step updates its parameters, buffers and optimizer
/// state; a gradient step its buffers (running statistics); an update step
/// its parameters and state; an eval step nothing.
SmallVector<unsigned> inPlaceArguments(func::FuncOp step) {
  auto kind = step->getAttrOfType<StringAttr>(nn::NNDialect::kStepAttrName);
  StringRef k = kind ? kind.getValue() : "";
  bool params = k == "train" || k == "update";
  bool buffers = k == "train" || k == "grad";
  bool state = k == "train" || k == "update";
  SmallVector<unsigned> written;
  for (unsigned i = 0, e = step.getNumArguments(); i < e; ++i)
    if ((params && step.getArgAttr(i, nn::NNDialect::kParamAttrName)) ||
        (buffers && step.getArgAttr(i, nn::NNDialect::kBufferAttrName)) ||
        (state && step.getArgAttr(i, nn::NNDialect::kStateAttrName)))
      written.push_back(i);
  return written;
}

LogicalResult rewriteStep(func::FuncOp step, StringRef prefix) {
  if (step.isExternal())
    return step.emitError() << "expects a step with a body";
  for (Type type : step.getResultTypes())
    if (!isa<RankedTensorType>(type))
      return step.emitError() << "expects tensor results, got " << type;
  OpBuilder b(step);
  SmallVector<unsigned> written = inPlaceArguments(step);
  unsigned inPlace = written.size();
  if (step.getNumResults() < inPlace)
    return step.emitError()
           << "expects a result for each of the " << inPlace
           << " arguments it updates, got " << step.getNumResults();
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  for (auto [i, type] : llvm::enumerate(step.getArgumentTypes())) {
    if (!isa<RankedTensorType>(type))
      return step.emitError() << "expects tensor arguments, got " << type;
    argTypes.push_back(memrefFor(type));
    DictionaryAttr attrs = step.getArgAttrDict(i);
    argAttrs.push_back(attrs ? attrs : b.getDictionaryAttr({}));
  }
  for (unsigned i = inPlace, e = step.getNumResults(); i < e; ++i) {
    argTypes.push_back(memrefFor(step.getResultTypes()[i]));
    DictionaryAttr attrs = step.getResultAttrDict(i);
    SmallVector<NamedAttribute> named;
    if (attrs)
      named.append(attrs.begin(), attrs.end());
    named.push_back(
        b.getNamedAttr(nn::NNDialect::kResultAttrName, b.getUnitAttr()));
    argAttrs.push_back(b.getDictionaryAttr(named));
  }
  auto func =
      func::FuncOp::create(b, step.getLoc(), (prefix + step.getName()).str(),
                           b.getFunctionType(argTypes, {}));
  func.setAllArgAttrs(argAttrs);
  for (NamedAttribute attr : step->getDiscardableAttrs())
    func->setAttr(attr.getName(), attr.getValue());
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);

  IRMapping mapping;
  for (auto [i, arg] : llvm::enumerate(step.getArguments())) {
    bool writable = llvm::is_contained(written, i);
    Value t = bufferization::ToTensorOp::create(
        b, arg.getLoc(), arg.getType(), entry->getArgument(i),
        /*restrict=*/b.getUnitAttr(),
        /*writable=*/writable ? b.getUnitAttr() : UnitAttr());
    mapping.map(arg, t);
  }
  for (Operation &op : step.getBody().front().without_terminator())
    b.clone(op, mapping);
  auto ret = cast<func::ReturnOp>(step.getBody().front().getTerminator());
  unsigned numArgs = step.getNumArguments();
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    Value dest = i < inPlace ? entry->getArgument(written[i])
                             : entry->getArgument(numArgs + i - inPlace);
    bufferization::MaterializeInDestinationOp::create(
        b, ret.getLoc(), TypeRange{}, mapping.lookup(v), dest,
        /*restrict=*/b.getUnitAttr(), /*writable=*/b.getUnitAttr());
  }
  func::ReturnOp::create(b, ret.getLoc());
  step.erase();
  return success();
}

struct StepBufferABIPass : nnc::impl::StepBufferABIPassBase<StepBufferABIPass> {
  using StepBufferABIPassBase::StepBufferABIPassBase;
  void runOnOperation() override {
    SmallVector<func::FuncOp> steps;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr(nn::NNDialect::kStepAttrName))
        steps.push_back(func);
    for (func::FuncOp step : steps)
      if (failed(rewriteStep(step, prefix)))
        return signalPassFailure();
  }
};

} // namespace
