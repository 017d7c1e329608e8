//===- TileAndVectorize.cpp - CPU tiling and vectorization ----------------===//
//
// Register-tiled matrix products and vectorized elementwise ops, built from
// upstream tiling (TilingInterface) and linalg vectorization.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_CPUTILEANDVECTORIZEPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// The largest of `candidates` that divides `size`, or `size` itself when
/// it is smaller than all of them.
int64_t pickTile(int64_t size, ArrayRef<int64_t> candidates) {
  for (int64_t c : candidates)
    if (c <= size && size % c == 0)
      return c;
  return size < candidates.back() ? size : 1;
}

/// Tiles `op` with `sizes` (0 = untiled) using `loopType`; returns the tiled
/// op, or null if tiling did not apply.
Operation *tile(RewriterBase &rewriter, TilingInterface op,
                ArrayRef<int64_t> sizes,
                scf::SCFTilingOptions::LoopType loopType) {
  if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
    return op;
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  options.setLoopType(loopType);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, op, options);
  if (failed(result) || result->tiledOps.empty())
    return nullptr;
  rewriter.eraseOp(op);
  return result->tiledOps.front();
}

struct CPUTileAndVectorizePass
    : nnc::impl::CPUTileAndVectorizePassBase<CPUTileAndVectorizePass> {
  using CPUTileAndVectorizePassBase::CPUTileAndVectorizePassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() &&
          !ShapedType::isDynamicShape(op.getStaticLoopRanges()))
        ops.push_back(op);
    });
    SmallVector<Operation *> toVectorize;
    for (linalg::LinalgOp op : ops) {
      Operation *tiled = isa<linalg::ContractionOpInterface>(op.getOperation()) ||
                                 linalg::isaContractionOpInterface(op)
                             ? tileContraction(rewriter, op)
                             : tileGeneric(rewriter, op);
      if (tiled)
        toVectorize.push_back(tiled);
    }
    for (Operation *op : toVectorize) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> result =
          linalg::vectorize(rewriter, op);
      if (succeeded(result))
        rewriter.eraseOp(op);
    }
    lowerVectors(func);
  }

  /// M and N to the register tile, K one step at a time.
  Operation *tileContraction(RewriterBase &rewriter, linalg::LinalgOp op) {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
        dims->k.size() != 1 || !dims->batch.empty())
      return tileGeneric(rewriter, op);
    SmallVector<int64_t> bounds = op.getStaticLoopRanges();
    unsigned m = dims->m[0], n = dims->n[0], k = dims->k[0];
    Operation *current = op;
    // Split the larger of M and N across threads.
    if (threads > 1) {
      unsigned split = bounds[m] >= bounds[n] ? m : n;
      if (bounds[split] % threads == 0 && bounds[split] / threads >= 8) {
        SmallVector<int64_t> sizes(bounds.size(), 0);
        sizes[split] = bounds[split] / threads;
        current = tile(rewriter, cast<TilingInterface>(current), sizes,
                       scf::SCFTilingOptions::LoopType::ForallOp);
        if (!current)
          return nullptr;
      }
    }
    SmallVector<int64_t> sizes(bounds.size(), 0);
    sizes[m] = pickTile(bounds[m], {6, 4, 3, 2, 1});
    sizes[n] = pickTile(bounds[n], {16, 8});
    sizes[k] = 1;
    return tile(rewriter, cast<TilingInterface>(current), sizes,
                scf::SCFTilingOptions::LoopType::ForOp);
  }

  /// Rows of the innermost dimension, in vector-sized chunks.
  Operation *tileGeneric(RewriterBase &rewriter, linalg::LinalgOp op) {
    SmallVector<int64_t> bounds = op.getStaticLoopRanges();
    if (bounds.empty())
      return op;
    Operation *current = op;
    int64_t total = 1;
    for (int64_t b : bounds)
      total *= b;
    // Large ops: split the outermost parallel dimension across threads.
    SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
    if (threads > 1 && total >= 16384 && bounds.size() > 1 &&
        iters[0] == utils::IteratorType::parallel &&
        bounds[0] % threads == 0) {
      SmallVector<int64_t> sizes(bounds.size(), 0);
      sizes[0] = bounds[0] / threads;
      current = tile(rewriter, cast<TilingInterface>(current), sizes,
                     scf::SCFTilingOptions::LoopType::ForallOp);
      if (!current)
        return nullptr;
    }
    SmallVector<int64_t> sizes(bounds.size(), 1);
    sizes.back() = pickTile(bounds.back(), {chunk, 64, 32, 16, 8});
    if (bounds.back() <= chunk)
      sizes.back() = 0;
    return tile(rewriter, cast<TilingInterface>(current), sizes,
                scf::SCFTilingOptions::LoopType::ForOp);
  }

  void lowerVectors(func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorReductionToContractPatterns(patterns);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerParallel);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vector::VectorTransposeLowering::EltWise);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      // Unit dimensions left by tiling would otherwise force transfers
      // through memory; drop them so transfers become plain vector loads.
      vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
      vector::populateVectorTransferDropUnitDimsPatterns(patterns);
      vector::populateVectorTransferLoweringPatterns(patterns,
                                                     /*maxTransferRank=*/1);
      vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
      vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
      (void)applyPatternsGreedily(func, std::move(patterns));
    }
    linalg::hoistRedundantVectorTransfers(func, /*verifyNonZeroTrip=*/true);
  }
};

} // namespace
