//===- Autodiff.cpp - Reverse-mode differentiation of nn models -----------===//
//
// Walks a model backwards and asks each op for its vector-Jacobian product
// through GradientOpInterface; this file knows no op but nn.param.
//
//===----------------------------------------------------------------------===//

#include "dialects/NN/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::nn {
#define GEN_PASS_DEF_NNAUTODIFFPASS
#include "dialects/NN/Transforms/Passes.h.inc"
} // namespace mlir::nn

using namespace mlir;
using namespace mlir::nn;

namespace {

/// Returns a tensor of `type` filled with `value`.
Value splat(OpBuilder &b, Location loc, Type type, double value) {
  auto tensorType = cast<RankedTensorType>(type);
  auto element = cast<FloatType>(tensorType.getElementType());
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(tensorType, b.getFloatAttr(element, value)));
}

/// Location of the backward op for a forward op at `loc`.
Location gradLoc(Location loc) {
  return FusedLoc::get(loc.getContext(), {loc},
                       StringAttr::get(loc.getContext(), "grad"));
}

/// Differentiates `grad`, a copy of the model, in place: appends the
/// backward pass before its return and returns the gradients too.
LogicalResult differentiate(func::FuncOp grad) {
  Block &body = grad.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  OpBuilder b(ret);
  Value loss = ret.getOperand(0);

  // Values that depend on a parameter are the only ones that need a
  // cotangent; inputs, labels and constants never do.
  llvm::DenseSet<Value> active;
  SmallVector<ParamOp> params;
  for (Operation &op : body.without_terminator()) {
    if (auto param = dyn_cast<ParamOp>(op)) {
      params.push_back(param);
      active.insert(param.getResult());
      continue;
    }
    auto rule = dyn_cast<GradientOpInterface>(op);
    bool depends =
        llvm::any_of(llvm::enumerate(op.getOperands()), [&](auto it) {
          return active.contains(it.value()) &&
                 (!rule || rule.isDifferentiableOperand(it.index()));
        });
    if (depends)
      active.insert(op.getResults().begin(), op.getResults().end());
  }

  llvm::DenseMap<Value, Value> cotangents;
  auto accumulate = [&](Value v, Value dv, Location loc) {
    auto [it, inserted] = cotangents.try_emplace(v, dv);
    if (!inserted)
      it->second = AddOp::create(b, loc, it->second, dv);
  };
  if (active.contains(loss))
    cotangents[loss] = splat(b, loss.getLoc(), loss.getType(), 1.0);

  SmallVector<Operation *> forward;
  for (Operation &op : body.without_terminator())
    forward.push_back(&op);
  for (Operation *op : llvm::reverse(forward)) {
    if (isa<ParamOp>(op))
      continue;
    if (llvm::none_of(op->getResults(),
                      [&](Value r) { return cotangents.count(r); }))
      continue;
    auto rule = dyn_cast<GradientOpInterface>(op);
    if (!rule)
      return op->emitError() << "no gradient rule for '" << op->getName()
                             << "', which lies between a parameter and the "
                                "loss";
    Location loc = gradLoc(op->getLoc());
    SmallVector<Value> resultGrads;
    for (Value r : op->getResults()) {
      Value dr = cotangents.lookup(r);
      resultGrads.push_back(dr ? dr : splat(b, loc, r.getType(), 0.0));
    }
    SmallVector<Value> operandGrads;
    if (failed(rule.buildGradient(b, loc, resultGrads, operandGrads)))
      return failure();
    if (operandGrads.size() != op->getNumOperands())
      return op->emitError()
             << "gradient rule of '" << op->getName() << "' returned "
             << operandGrads.size() << " cotangents for "
             << op->getNumOperands() << " operands";
    for (auto [operand, dx] : llvm::zip(op->getOperands(), operandGrads))
      if (dx && active.contains(operand))
        accumulate(operand, dx, loc);
  }

  // Return (loss, outputs..., gradients...) with the gradients named.
  SmallVector<Value> results(ret.getOperands());
  for (ParamOp param : params) {
    Value g = cotangents.lookup(param.getResult());
    results.push_back(g ? g : splat(b, param.getLoc(), param.getType(), 0.0));
  }
  unsigned numForward = ret.getNumOperands();
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  grad.setType(FunctionType::get(grad.getContext(), grad.getArgumentTypes(),
                                 ValueRange(results).getTypes()));
  for (auto [i, param] : llvm::enumerate(params))
    grad.setResultAttr(numForward + i, NNDialect::kGradOfAttrName,
                       param.getNameAttr());
  return success();
}

struct NNAutodiffPass : nn::impl::NNAutodiffPassBase<NNAutodiffPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> models;
    for (auto func : module.getOps<func::FuncOp>())
      if (isModel(func))
        models.push_back(func);
    SymbolTable symbols(module);
    for (func::FuncOp model : models) {
      std::string name = (model.getName() + "_grad").str();
      if (symbols.lookup(name))
        continue;
      // The verifier holds models to this; IR built without verifying may
      // not be.
      if (failed(verifyModel(model)))
        return signalPassFailure();
      auto grad = cast<func::FuncOp>(model->clone());
      grad.setName(name);
      grad->removeAttr(NNDialect::kModelAttrName);
      grad->removeAttr(NNDialect::kTrainAttrName);
      grad->setAttr(NNDialect::kGradientOfAttrName,
                    FlatSymbolRefAttr::get(model.getNameAttr()));
      symbols.insert(grad, std::next(Block::iterator(model)));
      if (failed(differentiate(grad)))
        return signalPassFailure();
    }
  }
};

} // namespace
