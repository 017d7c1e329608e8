//===- SinkHostScalars.cpp - Scalar host code into the kernels ------------===//
//
// After distribution, a step's scalar arithmetic (the clipping scale from a
// gradient norm, Adam's bias corrections from the step count) is still host
// code reading 0-d buffers, which live on the device. Each kernel that uses
// such a scalar gets its own copy of the computation, reads included: a
// few instructions per thread instead of a host round trip per step.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"
#include "compiler/Codegen/Utils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace nnc {
#define GEN_PASS_DEF_GPUSINKHOSTSCALARSPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// Whether `op` (or an op nested in it) may write the buffer `root`.
bool mayWrite(Operation *op, Value root) {
  WalkResult result = op->walk([&](Operation *nested) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effects) {
      if (nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
          nested->hasTrait<OpTrait::IsTerminator>())
        return WalkResult::advance();
      return WalkResult::interrupt();
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances) {
      if (!isa<MemoryEffects::Write>(effect.getEffect()))
        continue;
      Value written = effect.getValue();
      if (!written || nnc::viewRoot(written) == root)
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

struct GPUSinkHostScalarsPass
    : nnc::impl::GPUSinkHostScalarsPassBase<GPUSinkHostScalarsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<gpu::LaunchOp> launches;
    func.walk<WalkOrder::PreOrder>([&](gpu::LaunchOp launch) {
      launches.push_back(launch);
      return WalkResult::skip();
    });
    llvm::SetVector<Operation *> sunk;
    for (gpu::LaunchOp launch : launches) {
      if (failed(sinkInto(launch, sunk)))
        return signalPassFailure();
      // Constants too: in the kernel they fold into its instructions (a
      // delinearization by a constant is a multiply, by a parameter a
      // division), instead of arriving as parameters.
      (void)sinkOperationsIntoLaunchOp(launch, [](Operation *op) {
        return op->hasTrait<OpTrait::ConstantLike>();
      });
    }
    // The host copies are dead once every kernel has its own.
    SmallVector<Operation *> dead(sunk.begin(), sunk.end());
    bool erased = true;
    while (erased) {
      erased = false;
      for (Operation *&op : dead)
        if (op && op->use_empty()) {
          op->erase();
          op = nullptr;
          erased = true;
        }
    }
  }

  /// Host ops whose results `value` depends on, in block order, or failure
  /// (with a diagnostic) if some cannot run in a kernel.
  FailureOr<SmallVector<Operation *>> hostSlice(Value value,
                                                gpu::LaunchOp launch) {
    llvm::SetVector<Operation *> slice;
    SmallVector<Value> worklist = {value};
    bool readsMemory = false;
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      Operation *def = v.getDefiningOp();
      // Buffers are passed to kernels as they are; block arguments are
      // captured.
      if (!def || isa<MemRefType>(v.getType()) || slice.contains(def))
        continue;
      if (def->getBlock() != launch->getBlock()) {
        launch.emitOpError("is in a nested host region and uses a value that "
                           "the host computes from buffer contents outside it");
        return failure();
      }
      if (auto load = dyn_cast<memref::LoadOp>(def)) {
        readsMemory = true;
      } else if (def->getNumRegions() || !isMemoryEffectFree(def)) {
        InFlightDiagnostic diag =
            def->emitOpError("computes a value that a kernel uses, on the host "
                             "with memory effects; it cannot move into the "
                             "kernel");
        diag.attachNote(launch.getLoc()) << "used by this kernel";
        return failure();
      }
      slice.insert(def);
      llvm::append_range(worklist, def->getOperands());
    }
    if (!readsMemory)
      return SmallVector<Operation *>();
    SmallVector<Operation *> ordered(slice.begin(), slice.end());
    llvm::sort(ordered, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    return ordered;
  }

  LogicalResult sinkInto(gpu::LaunchOp launch,
                         llvm::SetVector<Operation *> &sunk) {
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(launch.getBody(), captured);
    OpBuilder builder = OpBuilder::atBlockBegin(&launch.getBody().front());
    IRMapping mapping;
    for (Value value : captured) {
      if (isa<MemRefType>(value.getType()))
        continue;
      FailureOr<SmallVector<Operation *>> slice = hostSlice(value, launch);
      if (failed(slice))
        return failure();
      for (Operation *op : *slice) {
        if (mapping.contains(op->getResult(0)))
          continue;
        // A read moves later, to the kernel: nothing in between may write
        // what it reads.
        if (auto load = dyn_cast<memref::LoadOp>(op)) {
          Value root = nnc::viewRoot(load.getMemRef());
          for (Operation *between = load->getNextNode(); between != launch;
               between = between->getNextNode()) {
            if (!mayWrite(between, root))
              continue;
            InFlightDiagnostic diag = load.emitOpError(
                "reads on the host a buffer that is written before the "
                "kernel using the value");
            diag.attachNote(between->getLoc()) << "written here";
            diag.attachNote(launch.getLoc()) << "used by this kernel";
            return failure();
          }
        }
        builder.clone(*op, mapping);
        sunk.insert(op);
      }
      if (!slice->empty())
        replaceAllUsesInRegionWith(value, mapping.lookup(value),
                                   launch.getBody());
    }
    return success();
  }
};

} // namespace
