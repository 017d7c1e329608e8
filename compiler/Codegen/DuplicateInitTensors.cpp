//===- DuplicateInitTensors.cpp - One init tensor per user ----------------===//
//
// Bufferization prefers one destination per writer: a shared tensor.empty
// or zero fill costs a copy for each extra writer and an alias set whose
// analysis is quadratic in its size. Cloning the init for each user costs
// nothing at run time (each clone becomes the buffer that user needed
// anyway) and keeps bufferization linear in the number of layers.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"

#include "mlir/IR/Builders.h"

namespace nnc {
#define GEN_PASS_DEF_DUPLICATEINITTENSORSPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// Whether `op` only initializes a tensor: an empty tensor, or a fill of a
/// scalar into one. Such an op is free to repeat, and its clones compute
/// the same value.
bool isInit(Operation *op) {
  if (isa<tensor::EmptyOp>(op))
    return true;
  auto fill = dyn_cast<linalg::FillOp>(op);
  return fill && fill.hasPureTensorSemantics() &&
         fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
}

/// Clones `init` right before each of its users but the first (in the
/// order of `init`'s block), which keeps the original. The clones' operands
/// (sizes, the fill value, the original empty tensor) dominate the
/// original, hence every user.
void duplicate(Operation *init) {
  Value result = init->getResult(0);
  Block *block = init->getBlock();
  OpOperand *first = nullptr;
  Operation *firstAncestor = nullptr;
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : result.getUses()) {
    uses.push_back(&use);
    Operation *ancestor = block->findAncestorOpInBlock(*use.getOwner());
    if (!first || ancestor->isBeforeInBlock(firstAncestor)) {
      first = &use;
      firstAncestor = ancestor;
    }
  }
  OpBuilder builder(init->getContext());
  for (OpOperand *use : uses) {
    if (use == first)
      continue;
    builder.setInsertionPoint(use->getOwner());
    use->set(builder.clone(*init)->getResult(0));
  }
}

struct DuplicateInitTensorsPass
    : nnc::impl::DuplicateInitTensorsPassBase<DuplicateInitTensorsPass> {
  void runOnOperation() override {
    // Fills first: their clones use the original empty tensor, which the
    // second round then gives each fill of its own.
    SmallVector<Operation *> fills, empties;
    getOperation()->walk([&](Operation *op) {
      if (!isInit(op))
        return;
      (isa<tensor::EmptyOp>(op) ? empties : fills).push_back(op);
    });
    for (Operation *fill : fills)
      duplicate(fill);
    for (Operation *empty : empties)
      duplicate(empty);
  }
};

} // namespace
