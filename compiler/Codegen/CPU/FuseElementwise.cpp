//===- FuseElementwise.cpp - Elementwise fusion that spares products ------===//

#include "compiler/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {
/// The most tensors a consumer may read after fusing a producer that stays
/// materialized for other users.
constexpr int64_t kMaxRecomputedReads = 4;

struct FuseElementwisePass
    : nnc::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::ControlFusionFn control = [](OpOperand *operand) {
      auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
      if (!consumer)
        return true;
      // Window contractions (direct convolutions) read an input through a
      // shifted map; they are tiled like products, so keep them whole too.
      bool windowed =
          llvm::any_of(consumer.getIndexingMapsArray(), [](AffineMap map) {
            return !map.isProjectedPermutation();
          });
      if (windowed || linalg::isaContractionOpInterface(consumer))
        return false;
      // A producer read through a broadcast (a per-channel statistic in an
      // image-sized consumer) would be recomputed for every element it is
      // broadcast to; computed once, it is a small tensor.
      if (!consumer.getMatchingIndexingMap(operand).isPermutation())
        return false;
      // A producer with other users stays materialized for them, so fusing
      // it recomputes it in the consumer; along a chain of residual blocks
      // that snowballs into ops rereading many earlier tensors. Recompute
      // only what reads little.
      auto producer = operand->get().getDefiningOp<linalg::LinalgOp>();
      if (!producer || operand->get().hasOneUse())
        return true;
      int64_t reads =
          producer.getNumDpsInputs() + consumer.getNumDpsInputs() - 1;
      return reads <= kMaxRecomputedReads;
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
