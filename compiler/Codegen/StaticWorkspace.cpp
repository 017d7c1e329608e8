//===- StaticWorkspace.cpp - One planned buffer for all temporaries -------===//
//
// A training step must not allocate: every temporary lives at a fixed
// offset of one workspace, allocated once by the library's create().
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"
#include "dialects/NN/IR/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace nnc {
#define GEN_PASS_DEF_STATICWORKSPACEPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// One buffer to place: its allocation, size and lifetime in entry-block
/// positions.
struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes;
  unsigned first, last;
  int64_t offset = -1;
};

constexpr int64_t kAlignment = 64;

int64_t alignUp(int64_t n) {
  return (n + kAlignment - 1) / kAlignment * kAlignment;
}

/// Position in `block` of the ancestor of `op` that lies in `block`.
unsigned positionIn(Block &block, Operation *op,
                    const llvm::DenseMap<Operation *, unsigned> &positions) {
  Operation *ancestor = block.findAncestorOpInBlock(*op);
  return positions.lookup(ancestor);
}

/// Extends `last` to cover every use of `value` and of views of it.
void extendLifetime(Value value, Block &block,
                    const llvm::DenseMap<Operation *, unsigned> &positions,
                    unsigned &last, llvm::SetVector<Operation *> &deallocs) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (isa<memref::DeallocOp>(user)) {
      deallocs.insert(user);
      continue;
    }
    last = std::max(last, positionIn(block, user, positions));
    if (isa<ViewLikeOpInterface>(user))
      for (Value result : user->getResults())
        extendLifetime(result, block, positions, last, deallocs);
  }
}

struct StaticWorkspacePass
    : nnc::impl::StaticWorkspacePassBase<StaticWorkspacePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func->hasAttr(nn::NNDialect::kStepAttrName) || func.isExternal())
      return;
    Block &entry = func.getBody().front();
    llvm::DenseMap<Operation *, unsigned> positions;
    for (auto [i, op] : llvm::enumerate(entry))
      positions[&op] = i;

    SmallVector<Buffer> buffers;
    llvm::SetVector<Operation *> deallocs;
    DataLayout layout = DataLayout::closest(func);
    WalkResult walk = func.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (alloc->getBlock() != &entry || !type.hasStaticShape() ||
          !type.getLayout().isIdentity()) {
        alloc.emitError() << "expects static allocations in the step's entry "
                             "block, got "
                          << type << "; it would allocate on every step";
        return WalkResult::interrupt();
      }
      Buffer buffer;
      buffer.alloc = alloc;
      buffer.bytes = alignUp(
          type.getNumElements() *
          static_cast<int64_t>(layout.getTypeSize(type.getElementType())));
      buffer.first = buffer.last = positions.lookup(alloc);
      extendLifetime(alloc.getResult(), entry, positions, buffer.last,
                     deallocs);
      buffers.push_back(buffer);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    // Largest first, each at the lowest offset free for its lifetime.
    SmallVector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    llvm::stable_sort(order,
                      [](Buffer *a, Buffer *b) { return a->bytes > b->bytes; });
    int64_t total = 0;
    SmallVector<Buffer *> placed;
    for (Buffer *b : order) {
      SmallVector<std::pair<int64_t, int64_t>> busy;
      for (Buffer *p : placed)
        if (p->first <= b->last && b->first <= p->last)
          busy.emplace_back(p->offset, p->offset + p->bytes);
      llvm::sort(busy);
      int64_t offset = 0;
      for (auto [begin, end] : busy) {
        if (offset + b->bytes <= begin)
          break;
        offset = std::max(offset, end);
      }
      b->offset = offset;
      total = std::max(total, offset + b->bytes);
      placed.push_back(b);
    }

    // The workspace is a new trailing argument.
    OpBuilder builder(func.getContext());
    auto workspaceType = MemRefType::get({std::max<int64_t>(total, kAlignment)},
                                         builder.getI8Type());
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(
            index, workspaceType,
            builder.getDictionaryAttr(builder.getNamedAttr(
                nn::NNDialect::kWorkspaceAttrName, builder.getUnitAttr())),
            func.getLoc())))
      return signalPassFailure();
    Value workspace = func.getArgument(index);
    for (Buffer &b : buffers) {
      builder.setInsertionPoint(b.alloc);
      Value offset =
          arith::ConstantIndexOp::create(builder, b.alloc.getLoc(), b.offset);
      Value view =
          memref::ViewOp::create(builder, b.alloc.getLoc(), b.alloc.getType(),
                                 workspace, offset, ValueRange{});
      b.alloc.replaceAllUsesWith(view);
      b.alloc.erase();
    }
    for (Operation *dealloc : deallocs)
      dealloc->erase();
    func->setAttr(nn::NNDialect::kWorkspaceSizeAttrName,
                  builder.getI64IntegerAttr(total));
  }
};

} // namespace
