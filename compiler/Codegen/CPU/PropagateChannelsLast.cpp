//===- PropagateChannelsLast.cpp - Keep images channels-last --------------===//
//
// Direct convolutions read and write images channels-last ([n, h, w, c]),
// while the nn ops between them (batch norm, relu, residual sums and their
// gradients) are lowered on [n, c, h, w]. Every convolution then costs a
// transpose on each side. This pass moves the elementwise and per-channel
// ops between convolutions to channels-last, so that those transposes meet
// and cancel.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/PatternMatch.h"

namespace nnc {
#define GEN_PASS_DEF_PROPAGATECHANNELSLASTPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// `[n, c, h, w]` to `[n, h, w, c]`, as a `linalg.transpose` permutation.
constexpr int64_t kToChannelsLast[] = {0, 2, 3, 1};
/// `[n, h, w, c]` to `[n, c, h, w]`.
constexpr int64_t kToChannelsFirst[] = {0, 3, 1, 2};

/// The transpose of `v` by `permutation`, or null.
linalg::TransposeOp transposeOf(Value v, ArrayRef<int64_t> permutation) {
  auto transpose = v.getDefiningOp<linalg::TransposeOp>();
  if (!transpose || transpose.getPermutation() != permutation)
    return nullptr;
  return transpose;
}

/// Whether `use` is the input of a transpose to channels-last.
bool feedsChannelsLast(OpOperand &use) {
  auto transpose = dyn_cast<linalg::TransposeOp>(use.getOwner());
  return transpose && transpose.getPermutation() == ArrayRef(kToChannelsLast) &&
         use.getOperandNumber() == 0;
}

RankedTensorType rank4(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getRank() == 4 && tensor.hasStaticShape() ? tensor
                                                                    : nullptr;
}

RankedTensorType channelsLastType(RankedTensorType type) {
  ArrayRef<int64_t> s = type.getShape();
  return RankedTensorType::get({s[0], s[2], s[3], s[1]}, type.getElementType());
}

/// Whether the output `operand` of `op` is only written: its init value
/// does not matter.
bool initUnused(linalg::GenericOp op, OpOperand &operand) {
  return !op.payloadUsesValueFromOperand(&operand);
}

/// Whether `op` can run channels-last: a `linalg.generic` on tensors with
/// four loops, every 4-D operand read or written through the identity map
/// (an image in the loops' `[n, c, h, w]` order), other operands through
/// projected permutations (per-channel or per-image values), and no
/// `linalg.index` in its body (which would see the loop order change).
bool isCandidate(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() != 4)
    return false;
  if (!op.getBody()->getOps<linalg::IndexOp>().empty())
    return false;
  bool anyImage = false;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!map.isProjectedPermutation())
      return false;
    if (!rank4(operand.get().getType()))
      continue;
    if (!map.isIdentity())
      return false;
    anyImage = true;
  }
  return anyImage;
}

/// Whether moving `op` to channels-last removes more transposes than it
/// adds. An image input that is a transpose from channels-last, or an image
/// result that feeds one, saves a transpose; any other image input, or a
/// result with users that need it channels-first, costs one. Users that
/// are candidates themselves may follow, so they are neutral. With
/// `allowTies`, a move that only trades transposes is taken too (when it
/// removes at least one), since it may unblock its neighbours.
bool isProfitable(linalg::GenericOp op, bool allowTies) {
  int64_t benefit = 0, cost = 0;
  llvm::SmallPtrSet<Value, 4> seen;
  auto countInput = [&](Value v) {
    if (!rank4(v.getType()) || !seen.insert(v).second ||
        v.getDefiningOp<tensor::EmptyOp>())
      return;
    if (transposeOf(v, kToChannelsFirst))
      ++benefit;
    else
      ++cost;
  };
  for (OpOperand *input : op.getDpsInputOperands())
    countInput(input->get());
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!initUnused(op, init))
      countInput(init.get());
  for (OpResult result : op->getResults()) {
    if (!rank4(result.getType()))
      continue;
    bool saves = false, costs = false;
    for (OpOperand &use : result.getUses()) {
      auto user = dyn_cast<linalg::GenericOp>(use.getOwner());
      if (feedsChannelsLast(use))
        saves = true;
      else if (!user || !isCandidate(user))
        costs = true;
    }
    benefit += saves;
    cost += costs;
  }
  return benefit > cost || (allowTies && benefit > 0 && benefit == cost);
}

/// `v` (`[n, c, h, w]`) channels-last: the source of a transpose from
/// channels-last, or a new transpose.
Value toChannelsLast(RewriterBase &rewriter, Location loc, Value v) {
  if (linalg::TransposeOp transpose = transposeOf(v, kToChannelsFirst))
    return transpose.getInput();
  auto type = channelsLastType(rank4(v.getType()));
  Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                       type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, v, init, kToChannelsLast)
      .getResult()[0];
}

/// Rebuilds `op` with loops `(n, h, w, c)` on channels-last images, and
/// transposes its image results back for the old users (transposes that
/// the next step of the pass folds away where users follow).
linalg::GenericOp moveToChannelsLast(RewriterBase &rewriter,
                                     linalg::GenericOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  rewriter.setInsertionPoint(op);
  // Old loop d1 (channels) becomes the innermost new loop; d2 and d3 move up.
  SmallVector<AffineExpr> renamed = {
      getAffineDimExpr(0, ctx), getAffineDimExpr(3, ctx),
      getAffineDimExpr(1, ctx), getAffineDimExpr(2, ctx)};
  AffineMap identity = AffineMap::getMultiDimIdentityMap(4, ctx);
  SmallVector<AffineMap> maps;
  SmallVector<Value> inputs, inits;
  SmallVector<Type> resultTypes;
  for (OpOperand *input : op.getDpsInputOperands()) {
    Value v = input->get();
    if (rank4(v.getType())) {
      inputs.push_back(toChannelsLast(rewriter, loc, v));
      maps.push_back(identity);
    } else {
      inputs.push_back(v);
      maps.push_back(op.getMatchingIndexingMap(input).replaceDimsAndSymbols(
          renamed, {}, 4, 0));
    }
  }
  for (OpOperand &init : op.getDpsInitsMutable()) {
    Value v = init.get();
    if (auto type = rank4(v.getType())) {
      auto last = channelsLastType(type);
      inits.push_back(initUnused(op, init) ? tensor::EmptyOp::create(
                                                 rewriter, loc, last.getShape(),
                                                 last.getElementType())
                                                 .getResult()
                                           : toChannelsLast(rewriter, loc, v));
      maps.push_back(identity);
      resultTypes.push_back(last);
    } else {
      inits.push_back(v);
      maps.push_back(op.getMatchingIndexingMap(&init).replaceDimsAndSymbols(
          renamed, {}, 4, 0));
      resultTypes.push_back(v.getType());
    }
  }
  SmallVector<utils::IteratorType> oldIters = op.getIteratorTypesArray();
  SmallVector<utils::IteratorType> iters = {oldIters[0], oldIters[2],
                                            oldIters[3], oldIters[1]};
  auto moved = linalg::GenericOp::create(rewriter, loc, resultTypes, inputs,
                                         inits, maps, iters);
  rewriter.inlineRegionBefore(op.getRegion(), moved.getRegion(),
                              moved.getRegion().end());
  SmallVector<Value> replacements;
  for (OpResult result : moved->getResults()) {
    if (!rank4(result.getType())) {
      replacements.push_back(result);
      continue;
    }
    auto first = cast<RankedTensorType>(
        op->getResult(result.getResultNumber()).getType());
    Value init = tensor::EmptyOp::create(rewriter, loc, first.getShape(),
                                         first.getElementType());
    replacements.push_back(linalg::TransposeOp::create(rewriter, loc, result,
                                                       init, kToChannelsFirst)
                               .getResult()[0]);
  }
  rewriter.replaceOp(op, replacements);
  return moved;
}

/// Folds `transpose(transpose(x))` back to `x` where the two undo each
/// other, and erases transposes left without users (and their empty
/// destinations).
void foldTransposePairs(RewriterBase &rewriter, Operation *root) {
  SmallVector<linalg::TransposeOp> transposes;
  root->walk([&](linalg::TransposeOp op) { transposes.push_back(op); });
  for (linalg::TransposeOp op : transposes) {
    if (!op.hasPureTensorSemantics())
      continue;
    auto producer = op.getInput().getDefiningOp<linalg::TransposeOp>();
    if (!producer || !producer.hasPureTensorSemantics())
      continue;
    ArrayRef<int64_t> outer = op.getPermutation(),
                      inner = producer.getPermutation();
    bool undoes = outer.size() == inner.size();
    for (size_t i = 0; undoes && i < outer.size(); ++i)
      undoes = inner[outer[i]] == int64_t(i);
    if (undoes)
      rewriter.replaceAllUsesWith(op.getResult()[0], producer.getInput());
  }
  // Users first: a chain of dead transposes goes in one sweep.
  for (linalg::TransposeOp op : llvm::reverse(transposes)) {
    if (!op->use_empty())
      continue;
    auto init = op.getInit().getDefiningOp<tensor::EmptyOp>();
    rewriter.eraseOp(op);
    if (init && init->use_empty())
      rewriter.eraseOp(init);
  }
}

/// Marks an op already moved, so that it is never moved back.
constexpr llvm::StringLiteral kMoved = "nnc.channels_last";

/// The first op of `root` (in walk order) not yet moved, not in `skip`,
/// that is a candidate and profitable to move, and its index among the
/// `linalg.generic` ops of `root`; null if there is none.
std::pair<linalg::GenericOp, int64_t>
findMovable(Operation *root, bool allowTies,
            const llvm::SmallPtrSetImpl<Operation *> &skip) {
  linalg::GenericOp found;
  int64_t index = 0;
  root->walk([&](linalg::GenericOp op) {
    if (!op->hasAttr(kMoved) && !skip.contains(op) && isCandidate(op) &&
        isProfitable(op, allowTies)) {
      found = op;
      return WalkResult::interrupt();
    }
    ++index;
    return WalkResult::advance();
  });
  return {found, index};
}

/// Moves `op` of `root` to channels-last, marks it, and folds the
/// transposes that meet.
void move(RewriterBase &rewriter, Operation *root, linalg::GenericOp op) {
  linalg::GenericOp moved = moveToChannelsLast(rewriter, op);
  moved->setAttr(kMoved, rewriter.getUnitAttr());
  foldTransposePairs(rewriter, root);
}

/// Moves strictly profitable ops until none is left. Each op moved turns
/// its users' inputs into transposes from channels-last, which may make
/// them profitable in turn.
void moveWhileProfitable(RewriterBase &rewriter, Operation *root) {
  llvm::SmallPtrSet<Operation *, 1> none;
  while (linalg::GenericOp op =
             findMovable(root, /*allowTies=*/false, none).first)
    move(rewriter, root, op);
}

/// The elements that the image transposes of `root` move: the cost that
/// the pass minimizes.
int64_t transposedElements(Operation *root) {
  int64_t total = 0;
  root->walk([&](linalg::TransposeOp op) {
    if (auto type = rank4(op.getInit().getType()))
      total += type.getNumElements();
  });
  return total;
}

/// The `index`-th `linalg.generic` of `root` in walk order.
linalg::GenericOp genericAt(Operation *root, int64_t index) {
  linalg::GenericOp found;
  int64_t i = 0;
  root->walk([&](linalg::GenericOp op) {
    if (i++ == index) {
      found = op;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

struct PropagateChannelsLastPass
    : nnc::impl::PropagateChannelsLastPassBase<PropagateChannelsLastPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    moveWhileProfitable(rewriter, module);
    // Two neighbours may each wait for the other to move: each alone is a
    // tie (as many transposes added as removed). Try every tie on a copy,
    // with the moves it unblocks, and keep the copy if that moves fewer
    // elements through transposes; a tie whose users never follow would
    // otherwise only trade transposes, or add some.
    llvm::SmallPtrSet<Operation *, 16> rejected;
    for (int64_t cost = transposedElements(module);;) {
      auto [tie, index] = findMovable(module, /*allowTies=*/true, rejected);
      if (!tie)
        break;
      OwningOpRef<ModuleOp> trial = module.clone();
      move(rewriter, *trial, genericAt(*trial, index));
      moveWhileProfitable(rewriter, *trial);
      int64_t trialCost = transposedElements(*trial);
      if (trialCost < cost) {
        module.getBodyRegion().takeBody(trial->getBodyRegion());
        cost = trialCost;
        rejected.clear();
      } else {
        rejected.insert(tie);
      }
    }
    module->walk([](linalg::GenericOp op) { op->removeAttr(kMoved); });
  }
};

} // namespace
