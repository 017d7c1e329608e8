//===- NNContract.cpp - The attributes of nnc's IR contract ---------------===//
//
// The frontend, the step builder and code generation communicate through
// discardable `nn.*` attributes on functions, their arguments and results
// (the names are NNDialect's k*AttrName constants). The dialect verifies
// each, so that every pass may rely on them: a model is one block ending in
// `func.return` with a scalar float loss first, names are strings, and so
// on. An `nn.*` attribute the contract does not know is an error, which
// catches misspellings.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/IR/NNDialect.h"
#include "dialects/NN/IR/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::nn;

LogicalResult mlir::nn::verifyModel(func::FuncOp func) {
  auto fail = [&]() {
    return func.emitOpError("is a model ('nn.model') and ");
  };
  if (func.isExternal())
    return fail() << "expects a body";
  if (!func.getBody().hasOneBlock())
    return fail() << "expects one block, got "
                  << func.getBody().getBlocks().size();
  Block &body = func.getBody().front();
  if (body.empty() || !isa<func::ReturnOp>(body.back()))
    return fail() << "expects its block to end in 'func.return'";
  if (func.getNumResults() == 0)
    return fail() << "expects the loss as its first result, got no results";
  auto loss = dyn_cast<RankedTensorType>(func.getResultTypes().front());
  if (!loss || loss.getRank() != 0 || !isa<FloatType>(loss.getElementType()))
    return fail() << "expects the loss, a 0-d tensor of floats, as its first "
                     "result, got "
                  << func.getResultTypes().front();
  return success();
}

/// Checks that `attr`, named in the contract, has the kind `Kind`.
template <typename Kind>
static LogicalResult expectKind(Operation *op, NamedAttribute attr,
                                StringRef what, StringRef where = "") {
  if (isa<Kind>(attr.getValue()))
    return success();
  return op->emitOpError() << "expects '" << attr.getName().strref() << "'"
                           << where << " to be " << what << ", got "
                           << attr.getValue();
}

LogicalResult NNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  auto onFunction = [&]() -> LogicalResult {
    if (isa<FunctionOpInterface>(op))
      return success();
    return op->emitOpError()
           << "has '" << name << "', which belongs on a function";
  };
  if (name == kModelAttrName) {
    if (failed(expectKind<UnitAttr>(op, attr, "a unit attribute")))
      return failure();
    auto func = dyn_cast<func::FuncOp>(op);
    if (!func)
      return op->emitOpError()
             << "has '" << name << "', which belongs on a 'func.func'";
    return verifyModel(func);
  }
  // The train section stays on the steps built from the model.
  if (name == kTrainAttrName)
    return failure(
        failed(expectKind<DictionaryAttr>(op, attr, "a dictionary")) ||
        failed(onFunction()));
  if (name == kStepAttrName) {
    auto step = dyn_cast<StringAttr>(attr.getValue());
    if (!step || !llvm::is_contained({"train", "eval", "grad", "update"},
                                     step.getValue()))
      return op->emitOpError()
             << "expects '" << name
             << "' to be \"train\", \"eval\", \"grad\" or \"update\", got "
             << attr.getValue();
    return onFunction();
  }
  if (name == kModelNameAttrName)
    return failure(failed(expectKind<StringAttr>(op, attr, "a string")) ||
                   failed(onFunction()));
  if (name == kGradientOfAttrName)
    return failure(
        failed(expectKind<FlatSymbolRefAttr>(op, attr, "a symbol reference")) ||
        failed(onFunction()));
  if (name == kWorkspaceSizeAttrName) {
    auto size = dyn_cast<IntegerAttr>(attr.getValue());
    if (!size || size.getValue().isNegative())
      return op->emitOpError()
             << "expects '" << name << "' to be a non-negative integer, got "
             << attr.getValue();
    return onFunction();
  }
  return op->emitOpError() << "has the unknown attribute '" << name
                           << "' of the nn dialect";
}

LogicalResult NNDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                  unsigned argIndex,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  std::string where = " on argument " + std::to_string(argIndex);
  if (name == kArgNameAttrName || name == kParamAttrName ||
      name == kBufferAttrName || name == kStateAttrName ||
      name == kGradOfAttrName)
    return expectKind<StringAttr>(op, attr, "a string", where);
  if (name == kLabelAttrName || name == kWorkspaceAttrName ||
      name == kResultAttrName)
    return expectKind<UnitAttr>(op, attr, "a unit attribute", where);
  if (name == kInitAttrName)
    return expectKind<InitAttr>(op, attr, "an initializer (#nn.init<...>)",
                                where);
  if (name == kInputStatsAttrName)
    return expectKind<DictionaryAttr>(op, attr, "a dictionary", where);
  return op->emitOpError() << "has the unknown argument attribute '" << name
                           << "' of the nn dialect" << where;
}

LogicalResult NNDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                     unsigned resultIndex,
                                                     NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  std::string where = " on result " + std::to_string(resultIndex);
  if (name == kResultNameAttrName || name == kGradOfAttrName)
    return expectKind<StringAttr>(op, attr, "a string", where);
  return op->emitOpError() << "has the unknown result attribute '" << name
                           << "' of the nn dialect" << where;
}
