//===- CheckHostAccess.cpp - No host access to device buffers -------------===//
//
// On the GPU every buffer of a step is device memory: a load, store or
// allocation left in host code would dereference a device pointer (or
// allocate on every step). This pass turns that into a compile-time error
// naming the op, instead of a crash at run time.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace nnc {
#define GEN_PASS_DEF_GPUCHECKHOSTACCESSPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// What `op`, running on the host, would do to memory, or null if nothing.
const char *hostEffect(Operation *op) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects) {
    if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
        op->hasTrait<OpTrait::IsTerminator>())
      return nullptr;
    return "has unknown memory effects";
  }
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  for (const MemoryEffects::EffectInstance &effect : instances) {
    if (isa<MemoryEffects::Read>(effect.getEffect()))
      return "reads memory";
    if (isa<MemoryEffects::Write>(effect.getEffect()))
      return "writes memory";
    if (isa<MemoryEffects::Allocate>(effect.getEffect()) ||
        isa<MemoryEffects::Free>(effect.getEffect()))
      return "allocates or frees memory";
  }
  return nullptr;
}

struct GPUCheckHostAccessPass
    : nnc::impl::GPUCheckHostAccessPassBase<GPUCheckHostAccessPass> {
  void runOnOperation() override {
    bool failed = false;
    func::FuncOp func = getOperation();
    func.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (op == func)
        return WalkResult::advance();
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (const char *effect = hostEffect(op)) {
        op->emitOpError() << effect
                          << " on the host, where every buffer of a "
                             "GPU step is device memory; it must run in a "
                             "kernel";
        failed = true;
      }
      return WalkResult::advance();
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
