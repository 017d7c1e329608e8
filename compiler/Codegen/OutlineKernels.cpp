//===- OutlineKernels.cpp - One function per distinct kernel --------------===//
//
// A network repeats its layers: the ResNet's residual blocks of one stage
// have the same shapes, so after tiling their loop nests are the same code
// on other buffers. Outlined into functions and compared structurally
// (OperationEquivalence, ignoring locations), each distinct nest is lowered
// and compiled once, and every layer calls it.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"
#include "compiler/Codegen/Utils.h"
#include "dialects/NN/IR/NNDialect.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

namespace nnc {
#define GEN_PASS_DEF_OUTLINEKERNELSPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// Whether `op` is a kernel: an op with regions (a loop nest, a linalg op)
/// whose results, if any, are scalars or vectors, which a call can return.
bool isKernel(Operation *op) {
  if (op->getNumRegions() == 0 || op->hasTrait<OpTrait::IsTerminator>())
    return false;
  return llvm::all_of(op->getResultTypes(), [](Type type) {
    return type.isIntOrIndexOrFloat() || isa<VectorType>(type);
  });
}

/// A hash of `kernel`'s type and of every op in its body, without
/// locations or SSA values: equal for equivalent kernels.
llvm::hash_code hashKernel(func::FuncOp kernel) {
  return llvm::hash_combine(hash_value(kernel.getFunctionType()),
                            nnc::hashRegionOps(kernel.getBody()));
}

/// Kernels by hash; equal hashes are told apart by comparing bodies.
using KernelTable = llvm::DenseMap<llvm::hash_code, SmallVector<func::FuncOp>>;

/// Whether `value` is a constant that the kernel should hold itself (so that
/// it folds into the kernel's code) rather than receive.
bool isClonedConstant(Value value) {
  Operation *def = value.getDefiningOp();
  return def && def->getNumRegions() == 0 && def->getNumOperands() == 0 &&
         def->hasTrait<OpTrait::ConstantLike>();
}

/// For each of a kernel call's `arguments`, whether the kernel may take it
/// `noalias`: a memref whose buffer (viewRoot) is an allocation or an
/// argument of the step (the C API forbids a step's buffers to overlap),
/// and that no other argument views. Then LLVM may keep what the kernel
/// reads of it in registers across writes to the others, and hoist loads
/// of loop-invariant values (a channel's statistics in an image-sized
/// loop) out of the loops.
SmallVector<bool> distinctBuffers(ArrayRef<Value> arguments, Block *entry) {
  SmallVector<Value> roots;
  for (Value v : arguments)
    roots.push_back(isa<MemRefType>(v.getType()) ? nnc::viewRoot(v) : Value());
  SmallVector<bool> distinct;
  for (Value root : roots) {
    auto argument = dyn_cast_or_null<BlockArgument>(root);
    bool buffer = root && (root.getDefiningOp<memref::AllocOp>() ||
                           (argument && argument.getOwner() == entry));
    distinct.push_back(buffer && llvm::count(roots, root) == 1);
  }
  return distinct;
}

struct OutlineKernelsPass
    : nnc::impl::OutlineKernelsPassBase<OutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    KernelTable kernels;
    unsigned count = 0;
    SmallVector<func::FuncOp> steps;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(nn::NNDialect::kStepAttrName) && !func.isExternal())
        steps.push_back(func);
    for (func::FuncOp step : steps) {
      SmallVector<Operation *> candidates;
      for (Operation &op : step.getBody().front())
        if (isKernel(&op))
          candidates.push_back(&op);
      for (Operation *op : candidates)
        outline(op, symbols, kernels, count);
    }
  }

  /// Moves `op` into a kernel function, or calls an existing equivalent
  /// kernel, and replaces it by the call.
  void outline(Operation *op, SymbolTable &symbols, KernelTable &kernels,
               unsigned &count) {
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(op->getRegions(), captured);
    // Operands of the op itself, in order, then what its regions use.
    llvm::SetVector<Value> inputs;
    for (Value v : op->getOperands())
      inputs.insert(v);
    inputs.insert(captured.begin(), captured.end());
    SmallVector<Value> arguments;
    SmallVector<Operation *> constants;
    for (Value v : inputs) {
      if (isClonedConstant(v))
        constants.push_back(v.getDefiningOp());
      else
        arguments.push_back(v);
    }

    MLIRContext *ctx = op->getContext();
    OpBuilder b(ctx);
    SmallVector<Type> argTypes;
    SmallVector<Location> argLocs;
    for (Value v : arguments) {
      argTypes.push_back(v.getType());
      argLocs.push_back(v.getLoc());
    }
    auto type = FunctionType::get(ctx, argTypes, op->getResultTypes());
    auto kernel = func::FuncOp::create(op->getLoc(), "kernel", type);
    Block *body = kernel.addEntryBlock();
    IRMapping mapping;
    for (auto [v, arg] : llvm::zip(arguments, body->getArguments()))
      mapping.map(v, arg);
    b.setInsertionPointToStart(body);
    for (Operation *constant : constants)
      b.clone(*constant, mapping);
    Operation *clone = b.clone(*op, mapping);
    func::ReturnOp::create(b, op->getLoc(), clone->getResults());

    // The body without locations is the kernel's identity: the same loops,
    // constants and buffer types give the same code. (Keyed by its printed
    // text instead, outlining took 0.12 s of deep48's compile time.)
    SmallVector<func::FuncOp> &bucket = kernels[hashKernel(kernel)];
    func::FuncOp existing;
    for (func::FuncOp candidate : bucket)
      if (candidate.getFunctionType() == kernel.getFunctionType() &&
          OperationEquivalence::isRegionEquivalentTo(
              &candidate.getBody(), &kernel.getBody(),
              OperationEquivalence::IgnoreLocations)) {
        existing = candidate;
        break;
      }
    SmallVector<bool> distinct = distinctBuffers(
        arguments, &op->getParentOfType<func::FuncOp>().getBody().front());
    if (existing) {
      kernel.erase();
      // Each call must keep the promise.
      for (auto [index, ok] : llvm::enumerate(distinct))
        if (!ok)
          existing.removeArgAttr(index,
                                 LLVM::LLVMDialect::getNoAliasAttrName());
    } else {
      for (auto [index, ok] : llvm::enumerate(distinct))
        if (ok)
          kernel.setArgAttr(index, LLVM::LLVMDialect::getNoAliasAttrName(),
                            b.getUnitAttr());
      kernel.setSymName(("nnc_kernel_" + llvm::Twine(count++)).str());
      kernel.setPrivate();
      // Each kernel is compiled once; LLVM must not copy it back into its
      // callers.
      kernel->setAttr("passthrough",
                      b.getArrayAttr({b.getStringAttr("noinline")}));
      kernel->setAttr("llvm.linkage",
                      LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
      symbols.insert(kernel);
      bucket.push_back(kernel);
      existing = kernel;
    }
    b.setInsertionPoint(op);
    auto call = func::CallOp::create(b, op->getLoc(), existing, arguments);
    op->replaceAllUsesWith(call.getResults());
    op->erase();
    // Constants that only the kernel used now live in it alone.
    for (Operation *constant : constants)
      if (constant->use_empty())
        constant->erase();
  }
};

} // namespace
