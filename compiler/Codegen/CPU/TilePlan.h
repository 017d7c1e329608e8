//===- TilePlan.h - How the CPU tiles a product ------------------*- C++
//-*-===//
//
// The register tile, cache block and thread split of each product, planned
// by nnc-cpu-strategy (recorded as `nnc.cpu.tiles`) and built by
// nnc-cpu-tile-and-vectorize. Both recognize the products with the same
// matcher, so the forms the strategy writes and the forms the tiling
// builds cannot drift apart.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_CODEGEN_CPU_TILEPLAN_H
#define NNC_COMPILER_CODEGEN_CPU_TILEPLAN_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace nnc::cpu {

/// The attribute that records an op's plan.
inline constexpr llvm::StringLiteral kTilesAttr = "nnc.cpu.tiles";

/// The register-tiled products.
enum class ProductForm {
  /// `out[m, n] += lhs[m, k] * rhs[k, n]`, operands in any order of their
  /// dimensions (a contraction with one M, N and K loop).
  MatrixProduct,
  /// The direct convolution: `out[p..., o] += wT[i, j, c, o] * flat[row(p)
  /// + a * i + b * j + s, c]`, loops `(p..., o, i, j, c)`, over one or more
  /// position loops `p` (one `q` over the whole flat grid, or `(n, y, x)`
  /// over the valid output positions only). M = the innermost position
  /// loop, N = o, K = (i, j, c).
  Window,
  /// Its weight gradient: `dW[i, j, c, o] += flat[row(p) + a * i + b * j +
  /// s, c] * dy[p..., o]`, loops `(i, j, c, o, p...)`. M = c, N = o, K =
  /// the positions, once per kernel offset.
  WindowWeightGradient,
};

/// The shifted row `row(p) + a * i + b * j + s` of a window form's flat
/// input, where `row(p)` is the sum of `strides[k] * p_k` over the position
/// loops (the innermost's stride is 1: consecutive positions are
/// consecutive rows).
struct ShiftedIndex {
  int64_t a = 0, b = 0, s = 0;
  llvm::SmallVector<int64_t, 3> strides;
};

/// A product as the plan sees it.
struct ProductShape {
  ProductForm form;
  /// Extents of M, N and K. For the window forms, K is the kernel-offset-
  /// independent extent: channels for Window; for the weight gradient, the
  /// positions over one loop, or else the lines of positions (the points of
  /// all position loops but the innermost), which its K blocks divide. M of
  /// Window is the innermost position loop, the one its register tile runs
  /// along.
  int64_t m, n, k;
  /// Matrix products: the loop of each of M, N and K.
  unsigned mLoop = 0, nLoop = 0, kLoop = 0;
  /// Window forms: the flat input's row, and the extents of the position
  /// loops, outermost first.
  ShiftedIndex row = {};
  llvm::SmallVector<int64_t, 3> positions = {};
  /// Matrix products whose right operand is read `[k, n]`: the distance
  /// between two of its rows in memory, in bytes (0 when unknown, or when
  /// it is read `[n, k]`).
  int64_t rhsRowBytes = 0;
};

/// The input of `op` indexed `[d<row>, d<column>]` by loops `row` and
/// `column` (a matrix product's right operand: `[k, n]`, or `[n, k]` when
/// it still needs packing), or null.
mlir::OpOperand *inputIndexedBy(mlir::linalg::LinalgOp op, unsigned row,
                                unsigned column);

/// `op` as one of the products, or none. Works on tensors and on buffers;
/// shapes must be static.
std::optional<ProductShape> matchProduct(mlir::linalg::LinalgOp op);

/// Which dimension the threads split.
enum class ThreadSplit { None, M, N };

/// How a product is tiled.
struct ProductTiles {
  /// The register tile: `mr` rows of M times `nr` columns of N, kept in
  /// registers across K.
  int64_t mr = 1, nr = 1;
  /// Matrix products: the rows of M (of each thread's slice) past the last
  /// whole `mr` tile, computed by one tile of that many rows (0: `mr`
  /// divides M).
  int64_t tail = 0;
  /// The K block that keeps a `[kc, nr]` panel in L1 (0: K not blocked),
  /// in units of K (for a weight gradient over several position loops:
  /// lines of positions, see lineBlocks).
  int64_t kc = 0;
  /// Matrix products: copy each `[kc, nr]` panel of the right operand into
  /// a contiguous buffer before the M loop sweeps it (BLIS's packed B), so
  /// that its rows are one after another in memory instead of a row of the
  /// operand apart.
  bool packPanels = false;
  /// The dimension split into `threads` equal slices, if any.
  ThreadSplit split = ThreadSplit::None;
  /// The threads the plan is for.
  int64_t threads = 1;
};

/// The vector registers a plan is made for.
struct VectorShape {
  /// Bits of one vector register: 128 (SSE, NEON), 256 (AVX2), 512
  /// (AVX-512).
  int64_t bits = 256;
  /// Vector registers the ISA has: 16 (SSE, AVX2), 32 (AVX-512, NEON).
  int64_t registers = 16;
};

/// Whether a direct convolution with `outChannels` output channels and
/// output rows of `rowWidth` positions is computed over its valid output
/// positions only (loops `(n, y, x, ...)`, register tiles within a row)
/// rather than over the whole flat grid (gap positions computed and
/// dropped): where a row tile that divides the row holds at least three
/// quarters of the accumulators of the grid's tile.
bool windowOverValidPositions(int64_t outChannels, int64_t rowWidth,
                              const VectorShape &vector);

/// How a K block of `lines` lines of positions divides the line loops (all
/// position loops but the innermost) of `positions`: the block's extent in
/// each, whole extents inside, a divisor of one, ones outside. None if
/// `lines` does not divide them so.
std::optional<llvm::SmallVector<int64_t, 3>>
lineBlocks(llvm::ArrayRef<int64_t> positions, int64_t lines);

/// The plan for `shape` on `threads` threads with `vector` registers.
ProductTiles planProduct(const ProductShape &shape, int64_t threads,
                         const VectorShape &vector = {});

/// `tiles` as `{register = array<i64: mr, nr>, tail = rows, k_block = kc,
/// pack_panels, split = "m", threads = t}` (tail, k_block, pack_panels and
/// split only when used).
mlir::DictionaryAttr tilesAttr(mlir::MLIRContext *ctx,
                               const ProductTiles &tiles);

/// The plan recorded on `op`, if any; an error on `op` if the record is
/// malformed or does not divide `shape`.
mlir::FailureOr<std::optional<ProductTiles>>
recordedTiles(mlir::Operation *op, const ProductShape &shape);

} // namespace nnc::cpu

#endif // NNC_COMPILER_CODEGEN_CPU_TILEPLAN_H
