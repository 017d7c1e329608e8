//===- DedupKernels.cpp - One kernel per distinct body --------------------===//
//
// A network repeats its layers, and the training and evaluation steps run
// the same forward kernels: after outlining, most kernels are copies (947
// for the ResNet's two steps). Keeping one of each makes the image, its
// compile time (NVPTX, ptxas) and its load time proportional to the distinct
// layers, not to the model's depth.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"
#include "compiler/Codegen/Utils.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/OperationSupport.h"

namespace nnc {
#define GEN_PASS_DEF_GPUDEDUPKERNELSPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// A hash of the kernel's type, attributes (but its name) and body, without
/// locations or SSA values: equal for equivalent kernels.
llvm::hash_code hashKernel(gpu::GPUFuncOp kernel) {
  llvm::hash_code hash = hash_value(kernel.getFunctionType());
  for (NamedAttribute attr : kernel->getAttrs())
    if (attr.getName() != SymbolTable::getSymbolAttrName())
      hash = llvm::hash_combine(hash, attr.getName(), attr.getValue());
  return llvm::hash_combine(hash, nnc::hashRegionOps(kernel.getBody()));
}

bool sameAttributes(gpu::GPUFuncOp a, gpu::GPUFuncOp b) {
  auto named = [](gpu::GPUFuncOp f) {
    SmallVector<NamedAttribute> attrs;
    for (NamedAttribute attr : f->getAttrs())
      if (attr.getName() != SymbolTable::getSymbolAttrName())
        attrs.push_back(attr);
    return attrs;
  };
  return named(a) == named(b);
}

struct GPUDedupKernelsPass
    : nnc::impl::GPUDedupKernelsPassBase<GPUDedupKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Duplicate -> the kernel that stays, per module.
    llvm::DenseMap<SymbolRefAttr, SymbolRefAttr> replacement;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
      llvm::DenseMap<llvm::hash_code, SmallVector<gpu::GPUFuncOp>> buckets;
      for (auto kernel :
           llvm::make_early_inc_range(gpuModule.getOps<gpu::GPUFuncOp>())) {
        if (!kernel.isKernel())
          continue;
        SmallVector<gpu::GPUFuncOp> &bucket = buckets[hashKernel(kernel)];
        gpu::GPUFuncOp kept;
        for (gpu::GPUFuncOp candidate : bucket)
          if (candidate.getFunctionType() == kernel.getFunctionType() &&
              sameAttributes(candidate, kernel) &&
              OperationEquivalence::isRegionEquivalentTo(
                  &candidate.getBody(), &kernel.getBody(),
                  OperationEquivalence::IgnoreLocations)) {
            kept = candidate;
            break;
          }
        if (!kept) {
          bucket.push_back(kernel);
          continue;
        }
        auto ref = [&](gpu::GPUFuncOp f) {
          return SymbolRefAttr::get(gpuModule.getSymNameAttr(),
                                    {FlatSymbolRefAttr::get(f.getNameAttr())});
        };
        replacement[ref(kernel)] = ref(kept);
        kernel.erase();
      }
    }
    if (replacement.empty())
      return;
    module.walk([&](gpu::LaunchFuncOp launch) {
      if (SymbolRefAttr kept = replacement.lookup(launch.getKernel()))
        launch.setKernelAttr(kept);
    });
  }
};

} // namespace
