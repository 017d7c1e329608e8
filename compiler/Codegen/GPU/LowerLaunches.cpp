//===- LowerLaunches.cpp - Kernel launches as nnc runtime calls -----------===//
//
// Upstream's lowering of `gpu.launch_func` loads each kernel module in a
// global constructor, creates a stream per launch and waits for it. A
// generated library must do no CUDA work when it is loaded and should wait
// once per step, so nnc controls loading: the kernels' image becomes a
// plain constant that the library's create() loads into its own context,
// and each launch becomes a call to the runtime's `nnc_gpu_launch` on that
// context's stream, which the step receives as its last argument.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace nnc {
#define GEN_PASS_DEF_GPULOWERLAUNCHESPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

constexpr StringLiteral kLaunchFn = "nnc_gpu_launch";

struct GPULowerLaunchesPass
    : nnc::impl::GPULowerLaunchesPassBase<GPULowerLaunchesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
    SmallVector<gpu::GPUModuleOp> unserialized(
        module.getOps<gpu::GPUModuleOp>());
    if (!unserialized.empty()) {
      unserialized.front().emitOpError(
          "expects kernels serialized by gpu-module-to-binary");
      return signalPassFailure();
    }
    if (binaries.size() > 1) {
      binaries[1].emitOpError("expects one kernel binary per module");
      return signalPassFailure();
    }

    OpBuilder builder(ctx);
    builder.setInsertionPointToEnd(module.getBody());
    Location loc = module.getLoc();
    if (!binaries.empty()) {
      gpu::BinaryOp binary = binaries.front();
      auto objects = binary.getObjects();
      if (objects.size() != 1) {
        binary.emitOpError("expects exactly one object (one GPU target)");
        return signalPassFailure();
      }
      auto object = cast<gpu::ObjectAttr>(objects[0]);
      std::string bytes = object.getObject().str();
      // PTX is text: the driver reads it up to a NUL.
      bytes.push_back('\0');
      auto type =
          LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), bytes.size());
      LLVM::GlobalOp::create(builder, loc, type, /*isConstant=*/true,
                             LLVM::Linkage::External, symbolPrefix + "_image",
                             builder.getStringAttr(bytes), /*alignment=*/16);
      module->setAttr("nnc.gpu.image_bytes",
                      builder.getI64IntegerAttr(bytes.size()));
      binary.erase();
    }

    // Kernel indices in order of first launch.
    llvm::StringMap<int32_t> indices;
    SmallVector<Attribute> names;
    SmallVector<gpu::LaunchFuncOp> launches;
    module.walk([&](gpu::LaunchFuncOp launch) {
      launches.push_back(launch);
      StringRef name = launch.getKernelName().getValue();
      if (indices.try_emplace(name, names.size()).second)
        names.push_back(builder.getStringAttr(name));
    });
    module->setAttr("nnc.gpu.kernels", builder.getArrayAttr(names));
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
    if (launches.empty())
      return;

    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32), i64 = IntegerType::get(ctx, 64);
    auto launchFn = module.lookupSymbol<LLVM::LLVMFuncOp>(kLaunchFn);
    if (!launchFn)
      launchFn = LLVM::LLVMFuncOp::create(
          builder, loc, kLaunchFn,
          LLVM::LLVMFunctionType::get(
              LLVM::LLVMVoidType::get(ctx),
              {ptr, i32, i64, i64, i64, i64, i64, i64, i32, ptr}));

    // The context is a new last argument of every function that launches.
    llvm::MapVector<LLVM::LLVMFuncOp, Value> contexts;
    for (gpu::LaunchFuncOp launch : launches) {
      auto func = launch->getParentOfType<LLVM::LLVMFuncOp>();
      if (!func) {
        launch.emitOpError("expects to be in an llvm.func (run gpu-to-llvm)");
        return signalPassFailure();
      }
      if (contexts.count(func))
        continue;
      if (!SymbolTable::symbolKnownUseEmpty(func, module)) {
        func.emitOpError("launches kernels and is called within the module; "
                         "only entry points may launch");
        return signalPassFailure();
      }
      LLVM::LLVMFunctionType type = func.getFunctionType();
      SmallVector<Type> params(type.getParams());
      params.push_back(ptr);
      func.setFunctionType(LLVM::LLVMFunctionType::get(
          type.getReturnType(), params, type.isVarArg()));
      if (ArrayAttr attrs = func.getArgAttrsAttr()) {
        SmallVector<Attribute> extended(attrs.begin(), attrs.end());
        extended.push_back(DictionaryAttr::get(ctx));
        func.setArgAttrsAttr(ArrayAttr::get(ctx, extended));
      }
      contexts[func] = func.getBody().front().addArgument(ptr, loc);
    }

    for (gpu::LaunchFuncOp launch : launches)
      if (failed(lower(launch, launchFn, contexts,
                       indices[launch.getKernelName().getValue()])))
        return signalPassFailure();
  }

  LogicalResult lower(gpu::LaunchFuncOp launch, LLVM::LLVMFuncOp launchFn,
                      llvm::MapVector<LLVM::LLVMFuncOp, Value> &contexts,
                      int32_t index) {
    if (!launch.getAsyncDependencies().empty() || launch.getAsyncToken() ||
        launch.hasClusterSize() || launch.getAsyncObject())
      return launch.emitOpError(
          "expects a synchronous launch without clusters: nnc orders "
          "kernels on its one stream");
    auto func = launch->getParentOfType<LLVM::LLVMFuncOp>();
    MLIRContext *ctx = launch.getContext();
    Location loc = launch.getLoc();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32), i64 = IntegerType::get(ctx, 64);
    Value sizes[] = {launch.getGridSizeX(),  launch.getGridSizeY(),
                     launch.getGridSizeZ(),  launch.getBlockSizeX(),
                     launch.getBlockSizeY(), launch.getBlockSizeZ()};
    for (Value size : sizes)
      if (size.getType() != i64)
        return launch.emitOpError("expects i64 launch sizes (run gpu-to-llvm)");
    for (Value operand : launch.getKernelOperands())
      if (!LLVM::isCompatibleType(operand.getType()))
        return launch.emitOpError("expects LLVM-typed kernel operands (run "
                                  "gpu-to-llvm), got ")
               << operand.getType();

    // One stack slot per argument, in the entry block so that the stack
    // does not grow with the step; the driver copies the values at launch.
    OpBuilder builder(ctx);
    builder.setInsertionPointToStart(&func.getBody().front());
    Value one = LLVM::ConstantOp::create(builder, loc, i64, 1);
    ValueRange operands = launch.getKernelOperands();
    auto arrayType =
        LLVM::LLVMArrayType::get(ptr, std::max<size_t>(operands.size(), 1));
    Value params = LLVM::AllocaOp::create(builder, loc, ptr, arrayType, one);
    SmallVector<Value> slots;
    for (Value operand : operands)
      slots.push_back(
          LLVM::AllocaOp::create(builder, loc, ptr, operand.getType(), one));

    builder.setInsertionPoint(launch);
    for (auto [i, operand] : llvm::enumerate(operands)) {
      LLVM::StoreOp::create(builder, loc, operand, slots[i]);
      Value field = LLVM::GEPOp::create(
          builder, loc, ptr, arrayType, params,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      LLVM::StoreOp::create(builder, loc, slots[i], field);
    }
    Value shared = launch.getDynamicSharedMemorySize();
    if (!shared)
      shared = LLVM::ConstantOp::create(builder, loc, i32, 0);
    SmallVector<Value> args = {
        contexts[func], LLVM::ConstantOp::create(builder, loc, i32, index)};
    llvm::append_range(args, sizes);
    args.push_back(shared);
    args.push_back(params);
    LLVM::CallOp::create(builder, loc, launchFn, args);
    launch.erase();
    return success();
  }
};

} // namespace
