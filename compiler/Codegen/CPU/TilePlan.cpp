//===- TilePlan.cpp - How the CPU tiles a product -------------------------===//
//
// The register tile is `mr` rows times two vectors (`nr` = 2 * lanes), with
// the `mr x 2` accumulators in three quarters of the vector registers and
// the rest for the two loads and a broadcast, and at most 16: 6 x 16 on
// AVX2 (the AVX2 sgemm kernel's twelve accumulators), 8 x 32 on AVX-512
// (16 zmm). Fewer
// accumulators leave the FMA units waiting on their latency: on an AMD EPYC
// with AVX-512, the 6 x 16 plan ran the mlp_sgd step in 4.5 ms and the wide
// one in 389 ms, 8 x 32 in 3.0 and 145 ms; 16 x 32 (spilling) 4.1 ms,
// 4 x 64 3.6 ms. Column tiles are the largest candidates that divide N; the
// row tile is the fullest that fits, and the rows left over (a batch of 128
// or 256 is no multiple of 6) get one tile of their own, split off by the
// tiling pass: with AVX2 tiles the wide step went from 260 ms (4 x 16, the
// largest divisor) to 192-206 ms.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/TilePlan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace nnc::cpu;

namespace {

/// The largest of `candidates` that divides `size`, or `size` itself when
/// it is smaller than all of them.
int64_t pickTile(int64_t size, ArrayRef<int64_t> candidates) {
  if (size <= candidates.front())
    return size;
  for (int64_t c : candidates)
    if (size % c == 0)
      return c;
  return 1;
}

/// `expr` as `sum of strides[k] * d_positions[k] + a * d_i + b * d_j + s`
/// (no other dimension), the innermost position's stride 1, or none.
std::optional<ShiftedIndex> shiftedIndex(AffineExpr expr,
                                         ArrayRef<unsigned> positions,
                                         unsigned i, unsigned j) {
  if (!expr.isPureAffine())
    return std::nullopt;
  MLIRContext *ctx = expr.getContext();
  unsigned rank = std::max(i, j) + 1;
  for (unsigned p : positions)
    rank = std::max(rank, p + 1);
  expr.walk([&](AffineExpr e) {
    if (auto dim = dyn_cast<AffineDimExpr>(e))
      rank = std::max(rank, dim.getPosition() + 1);
  });
  // The affine expression at a point with one dimension set.
  auto at = [&](int64_t dim) -> std::optional<int64_t> {
    SmallVector<AffineExpr> point(rank, getAffineConstantExpr(0, ctx));
    if (dim >= 0)
      point[dim] = getAffineConstantExpr(1, ctx);
    auto value =
        dyn_cast<AffineConstantExpr>(expr.replaceDimsAndSymbols(point, {}));
    if (!value)
      return std::nullopt;
    return value.getValue();
  };
  std::optional<int64_t> s = at(-1);
  if (!s)
    return std::nullopt;
  ShiftedIndex index{0, 0, *s, {}};
  index.strides.assign(positions.size(), 0);
  for (unsigned d = 0; d < rank; ++d) {
    std::optional<int64_t> v = at(d);
    if (!v)
      return std::nullopt;
    int64_t coefficient = *v - *s;
    const unsigned *position = llvm::find(positions, d);
    if (position != positions.end())
      index.strides[position - positions.begin()] = coefficient;
    else if (d == i)
      index.a = coefficient;
    else if (d == j)
      index.b = coefficient;
    else if (coefficient != 0)
      return std::nullopt;
  }
  if (index.strides.back() != 1 ||
      llvm::any_of(index.strides, [](int64_t v) { return v < 0; }))
    return std::nullopt;
  return index;
}

/// Whether `body` is `yield(out + a * b)` (or `a * b + out`) on its three
/// arguments.
bool isMulAddBody(Block &body) {
  if (body.getNumArguments() != 3 || body.getOperations().size() != 3)
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield && yield.getNumOperands() == 1
                 ? yield.getOperand(0).getDefiningOp<arith::AddFOp>()
                 : nullptr;
  if (!add)
    return false;
  Value out = body.getArgument(2);
  Value other = add.getLhs() == out   ? add.getRhs()
                : add.getRhs() == out ? add.getLhs()
                                      : Value();
  auto mul = other ? other.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return false;
  Value x = body.getArgument(0), y = body.getArgument(1);
  return (mul.getLhs() == x && mul.getRhs() == y) ||
         (mul.getLhs() == y && mul.getRhs() == x);
}

/// The distance between two rows of the matrix `v` in memory, in elements,
/// or 0 if unknown. A buffer says; a tensor is taken to be stored as the
/// buffer it is written into: the slice of a larger tensor (a padded
/// packing buffer, see nnc-cpu-strategy) has that tensor's rows, anything
/// else its own.
int64_t rowStride(Value v) {
  if (auto memref = dyn_cast<MemRefType>(v.getType())) {
    SmallVector<int64_t> strides;
    int64_t offset;
    if (memref.getRank() != 2 ||
        failed(memref.getStridesAndOffset(strides, offset)) ||
        ShapedType::isDynamic(strides[0]))
      return 0;
    return strides[0];
  }
  auto tensor = dyn_cast<RankedTensorType>(v.getType());
  if (!tensor || tensor.getRank() != 2)
    return 0;
  if (auto result = dyn_cast<OpResult>(v))
    if (auto dps = dyn_cast<DestinationStyleOpInterface>(result.getOwner()))
      if (auto slice = dps.getDpsInitOperand(result.getResultNumber())
                           ->get()
                           .getDefiningOp<tensor::ExtractSliceOp>())
        if (slice.getSourceType().getRank() == 2 &&
            !slice.getSourceType().isDynamicDim(1))
          return slice.getSourceType().getDimSize(1);
  return tensor.isDynamicDim(1) ? 0 : tensor.getDimSize(1);
}

/// The window forms: a generic with two inputs and one output, all static,
/// four loops and one or more position loops, a multiply-add body, and the
/// maps of the form.
std::optional<ProductShape> matchWindow(linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() < 5 || !isMulAddBody(generic.getRegion().front()) ||
      !llvm::all_of(op->getOperandTypes(), [](Type type) {
        auto shaped = dyn_cast<ShapedType>(type);
        return shaped && shaped.hasStaticShape();
      }))
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  unsigned loops = op.getNumLoops(), numPositions = loops - 4;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto map = [&](ArrayRef<AffineExpr> results) {
    return AffineMap::get(loops, 0, results, ctx);
  };
  auto shape = [&](unsigned operand) {
    return cast<ShapedType>(op->getOperand(operand).getType()).getShape();
  };
  // The position loops `first, first + 1, ...` and, after them, `last`.
  auto positionsAnd = [&](unsigned first, std::optional<unsigned> last) {
    SmallVector<AffineExpr> results;
    for (unsigned p = 0; p < numPositions; ++p)
      results.push_back(d(first + p));
    if (last)
      results.push_back(d(*last));
    return results;
  };
  SmallVector<unsigned> positionLoops;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  // out[p..., o] += wT[i, j, c, o] * flat[row, c], loops (p..., o, i, j, c).
  unsigned o = numPositions, i = o + 1, j = o + 2, c = o + 3;
  if (maps[0] == map({d(i), d(j), d(c), d(o)}) &&
      maps[2] == map(positionsAnd(0, o)) && maps[1].getNumResults() == 2 &&
      maps[1].getResult(1) == d(c)) {
    for (unsigned p = 0; p < numPositions; ++p)
      positionLoops.push_back(p);
    std::optional<ShiftedIndex> row =
        shiftedIndex(maps[1].getResult(0), positionLoops, i, j);
    if (!row)
      return std::nullopt;
    ProductShape product{ProductForm::Window, bounds[numPositions - 1],
                         shape(0)[3], shape(0)[2]};
    product.row = *row;
    product.positions.assign(bounds.begin(), bounds.begin() + numPositions);
    return product;
  }
  // dW[i, j, c, o] += flat[row, c] * dy[p..., o], loops (i, j, c, o, p...).
  if (maps[1] == map(positionsAnd(4, 3)) &&
      maps[2] == map({d(0), d(1), d(2), d(3)}) &&
      maps[0].getNumResults() == 2 && maps[0].getResult(1) == d(2)) {
    for (unsigned p = 0; p < numPositions; ++p)
      positionLoops.push_back(4 + p);
    std::optional<ShiftedIndex> row =
        shiftedIndex(maps[0].getResult(0), positionLoops, /*i=*/0, /*j=*/1);
    if (!row)
      return std::nullopt;
    int64_t k = bounds[4];
    if (numPositions > 1)
      for (unsigned p = 5; p + 1 < loops; ++p)
        k *= bounds[p];
    ProductShape product{ProductForm::WindowWeightGradient, shape(2)[2],
                         shape(2)[3], k};
    product.row = *row;
    product.positions.assign(bounds.begin() + 4, bounds.end());
    return product;
  }
  return std::nullopt;
}

int64_t sliceOf(int64_t extent, ThreadSplit split, ThreadSplit dim,
                int64_t threads) {
  return split == dim ? extent / threads : extent;
}

/// f32 lanes of one vector register.
int64_t lanesOf(const VectorShape &vector) {
  return std::max<int64_t>(vector.bits / 32, 1);
}

/// Register-tile column candidates: two vectors, one, half of one, 4.
SmallVector<int64_t> columnTiles(const VectorShape &vector) {
  int64_t lanes = lanesOf(vector);
  SmallVector<int64_t> tiles;
  for (int64_t c : {2 * lanes, lanes, lanes / 2, int64_t(4)})
    if (c >= 4 && (tiles.empty() || c < tiles.back()))
      tiles.push_back(c);
  return tiles;
}

/// Register-tile row candidates for `nr` columns: as many rows as three
/// quarters of the registers, and at most 16 of them, hold accumulators for
/// (`mr * ceil(nr / lanes)` of them), at most 12 rows. `withThree` keeps 3
/// among them. Sixteen: on an AMD EPYC with AVX-512, 12 x 32 tiles (24 zmm
/// accumulators, with an 8-row tail tile for a batch of 128 or 256) ran
/// the mlp_sgd step in 3.0-3.1 ms and the wide one in 148-183 ms, against
/// 2.96 and 138-146 ms with 8 x 32.
/// The most rows a register tile of `nr` columns may have: as many as three
/// quarters of the registers, and at most 16 of them, hold accumulators
/// for (`mr * ceil(nr / lanes)` of them).
int64_t mostRows(const VectorShape &vector, int64_t nr) {
  int64_t lanes = lanesOf(vector);
  int64_t vectors = std::max<int64_t>((nr + lanes - 1) / lanes, 1);
  return std::max<int64_t>(
      std::min<int64_t>(vector.registers * 3 / 4, 16) / vectors, 1);
}

SmallVector<int64_t> rowTiles(const VectorShape &vector, int64_t nr,
                              bool withThree = true) {
  int64_t most = mostRows(vector, nr);
  SmallVector<int64_t> tiles;
  for (int64_t r : {12, 8, 6, 4, 3, 2, 1})
    if (r <= most && (withThree || r != 3))
      tiles.push_back(r);
  return tiles;
}

/// The largest divisor of `extent` that is at most `most`.
int64_t largestDivisor(int64_t extent, int64_t most) {
  for (int64_t d = std::min(extent, most); d > 1; --d)
    if (extent % d == 0)
      return d;
  return 1;
}

} // namespace

std::optional<ProductShape> nnc::cpu::matchProduct(linalg::LinalgOp op) {
  if (std::optional<ProductShape> window = matchWindow(op))
    return window;
  if (!isa<linalg::ContractionOpInterface>(op.getOperation()) &&
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || !dims->batch.empty() ||
      ShapedType::isDynamicShape(bounds))
    return std::nullopt;
  ProductShape product{ProductForm::MatrixProduct, bounds[dims->m[0]],
                       bounds[dims->n[0]], bounds[dims->k[0]]};
  product.mLoop = dims->m[0];
  product.nLoop = dims->n[0];
  product.kLoop = dims->k[0];
  if (OpOperand *rhs = inputIndexedBy(op, product.kLoop, product.nLoop))
    if (Type element = getElementTypeOrSelf(rhs->get().getType());
        element.isIntOrFloat())
      product.rhsRowBytes =
          rowStride(rhs->get()) * (element.getIntOrFloatBitWidth() / 8);
  return product;
}

OpOperand *nnc::cpu::inputIndexedBy(linalg::LinalgOp op, unsigned row,
                                    unsigned column) {
  MLIRContext *ctx = op.getContext();
  AffineMap map = AffineMap::get(
      op.getNumLoops(), 0,
      {getAffineDimExpr(row, ctx), getAffineDimExpr(column, ctx)}, ctx);
  for (OpOperand *input : op.getDpsInputOperands())
    if (op.getMatchingIndexingMap(input) == map)
      return input;
  return nullptr;
}

/// Multiply-adds below which a matrix product runs on one thread.
static constexpr int64_t kMinThreadedProduct = int64_t(1) << 18;

ProductTiles nnc::cpu::planProduct(const ProductShape &shape, int64_t threads,
                                   const VectorShape &vector) {
  ProductTiles tiles;
  tiles.threads = threads;
  switch (shape.form) {
  case ProductForm::MatrixProduct: {
    // Split the larger of M and N, if each thread still gets 8 or more and
    // the product is worth a fork and a join (a few microseconds each):
    // splitting the narrow model's products, 10 to 64 thousand multiply-adds
    // each, made its two-thread step 0.037 ms against 0.011 ms on one.
    ThreadSplit larger = shape.m >= shape.n ? ThreadSplit::M : ThreadSplit::N;
    int64_t extent = larger == ThreadSplit::M ? shape.m : shape.n;
    if (threads > 1 && extent % threads == 0 && extent / threads >= 8 &&
        shape.m * shape.n * shape.k >= kMinThreadedProduct)
      tiles.split = larger;
    // Splitting N must not narrow the column tile: the MLP's first weight
    // gradient has 784 columns, which take 16-wide tiles, but a thread's
    // 392 only 8-wide ones. Split M instead where it can be: the MLP's
    // two-thread step went from 2.44 to 2.12 ms, mlp_sgd's from 1.95 to
    // 1.63 ms (bench/run.py, AMD EPYC, 7 alternating runs).
    if (tiles.split == ThreadSplit::N && shape.m % threads == 0 &&
        shape.m / threads >= 8 &&
        pickTile(shape.n / threads, columnTiles(vector)) <
            pickTile(shape.n, columnTiles(vector)))
      tiles.split = ThreadSplit::M;
    tiles.nr =
        pickTile(sliceOf(shape.n, tiles.split, ThreadSplit::N, tiles.threads),
                 columnTiles(vector));
    // K blocked so that a [kc, nr] panel of the right operand stays in
    // cache while the M loop sweeps over it; every K block reads and writes
    // the whole output once more. With 32-column tiles (AVX-512), blocks of
    // 256 ran the 2048^3 product at 79-82% of OpenBLAS, 512 at 90-91%, 1024
    // at 95-97% and no blocking at 93% (bench/kernel.py, AMD EPYC, one
    // thread), and the wide MLP's step took 0.98x (0.93x on two threads),
    // the other models unchanged. With 16-column tiles (AVX2, same machine)
    // 1024 took the kernel from 59% to 79% of OpenBLAS's Haswell kernel but
    // the wide MLP from 176 to 191 ms: those keep 256.
    int64_t maxBlock = tiles.nr >= 32 ? 1024 : 256;
    if (shape.k > maxBlock) {
      SmallVector<int64_t> blocks;
      for (int64_t c : {1024, 768, 512, 384, 256, 196, 128, 112, 64})
        if (c <= maxBlock)
          blocks.push_back(c);
      int64_t kc = pickTile(shape.k, blocks);
      if (kc > 1 && kc < shape.k)
        tiles.kc = kc;
    }
    // The fullest row tile that fits, and one tile for the rows left over:
    // a batch of 128 or 256 is no multiple of 6 or 12, and the largest
    // divisor (4 or 8 rows) would leave the FMA units idle.
    int64_t rows = sliceOf(shape.m, tiles.split, ThreadSplit::M, tiles.threads);
    SmallVector<int64_t> candidates = rowTiles(vector, tiles.nr);
    tiles.mr = rows;
    if (rows > candidates.front())
      tiles.mr =
          *llvm::find_if(candidates, [&](int64_t r) { return r <= rows; });
    tiles.tail = rows % tiles.mr;
    // Rows of the right operand a multiple of 4 KiB apart fall into a few
    // sets of L1 and L2 alike, so that a `[kc, nr]` panel no longer stays
    // in either while the M loop sweeps it (with 8 KiB rows, 256 rows of
    // a panel map to 16 of the 2048 sets of a 1 MiB 8-way L2): copy each
    // panel into a contiguous buffer first, where the sweep reuses it
    // often enough to pay for the copy. The wide bench step (rows of 1024
    // and 2048 floats) ran in 139 ms against 148 ms without; the MLPs'
    // products, with rows of 2 KiB and less, ran 5% slower with the copy
    // (one core, AMD EPYC, 2026-12-07).
    int64_t rowBytes = shape.rhsRowBytes;
    tiles.packPanels = rowBytes && rowBytes % 4096 == 0 && rows / tiles.mr >= 4;
    return tiles;
  }
  case ProductForm::Window:
    // Positions are broadcast from the flat input (a few cache lines
    // apart); output channels are vectors of the weight.
    tiles.nr = pickTile(shape.n, columnTiles(vector));
    if (shape.positions.size() > 1) {
      // Over the valid positions only, a tile stays within an output row:
      // as many positions as fit that divide the row (7 of a 28-, 14- or
      // 7-pixel row). The threads split the images.
      tiles.mr = largestDivisor(shape.m, mostRows(vector, tiles.nr));
      if (threads > 1 && shape.positions.front() % threads == 0)
        tiles.split = ThreadSplit::M;
      return tiles;
    }
    tiles.mr = pickTile(shape.m, rowTiles(vector, tiles.nr, false));
    if (threads > 1 && shape.m % (threads * tiles.mr) == 0)
      tiles.split = ThreadSplit::M;
    return tiles;
  case ProductForm::WindowWeightGradient: {
    tiles.nr = pickTile(shape.n, columnTiles(vector));
    tiles.mr = pickTile(shape.m, rowTiles(vector, tiles.nr));
    // K blocks of about 256 positions, so that their `[kc, nr]` panel of
    // `dy` stays in L1: over the whole grid, 256 of them; over the valid
    // positions, as many lines (7 rows of a 28-pixel image, one 14-pixel
    // image, four 7-pixel ones) as hold at most 256 (at least one line).
    if (shape.positions.size() > 1) {
      int64_t lines = 256 / shape.positions.back();
      while (lines > 1 && !lineBlocks(shape.positions, lines))
        --lines;
      lines = std::max<int64_t>(lines, 1);
      tiles.kc = lines < shape.k ? lines : 0;
    } else {
      tiles.kc = pickTile(shape.k, {256, 196, 128, 112, 64});
    }
    // Threads split the output channels, or else the input channels.
    if (threads > 1 && shape.n % (threads * tiles.nr) == 0)
      tiles.split = ThreadSplit::N;
    else if (threads > 1 && shape.m % (threads * tiles.mr) == 0)
      tiles.split = ThreadSplit::M;
    return tiles;
  }
  }
  llvm_unreachable("unknown product form");
}

bool nnc::cpu::windowOverValidPositions(int64_t outChannels, int64_t rowWidth,
                                        const VectorShape &vector) {
  int64_t nr = pickTile(outChannels, columnTiles(vector));
  int64_t gridRows = rowTiles(vector, nr, false).front();
  int64_t validRows = largestDivisor(rowWidth, mostRows(vector, nr));
  return 4 * validRows >= 3 * gridRows;
}

std::optional<SmallVector<int64_t, 3>>
nnc::cpu::lineBlocks(ArrayRef<int64_t> positions, int64_t lines) {
  if (positions.size() < 2 || lines < 1)
    return std::nullopt;
  SmallVector<int64_t, 3> blocks(positions.size() - 1, 1);
  int64_t rest = lines;
  for (int64_t d = blocks.size() - 1; d >= 0 && rest > 1; --d) {
    if (rest % positions[d] == 0) {
      blocks[d] = positions[d];
      rest /= positions[d];
    } else if (positions[d] % rest == 0) {
      blocks[d] = rest;
      rest = 1;
    } else {
      return std::nullopt;
    }
  }
  if (rest != 1)
    return std::nullopt;
  return blocks;
}

DictionaryAttr nnc::cpu::tilesAttr(MLIRContext *ctx,
                                   const ProductTiles &tiles) {
  Builder b(ctx);
  SmallVector<NamedAttribute> entries = {
      b.getNamedAttr("register", b.getDenseI64ArrayAttr({tiles.mr, tiles.nr}))};
  if (tiles.tail)
    entries.push_back(b.getNamedAttr("tail", b.getI64IntegerAttr(tiles.tail)));
  if (tiles.kc)
    entries.push_back(b.getNamedAttr("k_block", b.getI64IntegerAttr(tiles.kc)));
  if (tiles.packPanels)
    entries.push_back(b.getNamedAttr("pack_panels", b.getUnitAttr()));
  if (tiles.split != ThreadSplit::None)
    entries.push_back(b.getNamedAttr(
        "split", b.getStringAttr(tiles.split == ThreadSplit::M ? "m" : "n")));
  entries.push_back(
      b.getNamedAttr("threads", b.getI64IntegerAttr(tiles.threads)));
  return b.getDictionaryAttr(entries);
}

FailureOr<std::optional<ProductTiles>>
nnc::cpu::recordedTiles(Operation *op, const ProductShape &shape) {
  Attribute attr = op->getAttr(kTilesAttr);
  if (!attr)
    return std::optional<ProductTiles>();
  auto fail = [&](const Twine &why) {
    return op->emitError() << "expects '" << kTilesAttr << "' " << why
                           << ", got " << attr;
  };
  auto dict = dyn_cast<DictionaryAttr>(attr);
  auto reg = dict ? dict.getAs<DenseI64ArrayAttr>("register") : nullptr;
  if (!reg || reg.size() != 2 || reg[0] < 1 || reg[1] < 1)
    return fail("to hold a register tile `register = array<i64: mr, nr>` of "
                "positive sizes");
  ProductTiles tiles;
  tiles.mr = reg[0];
  tiles.nr = reg[1];
  if (Attribute kc = dict.get("k_block")) {
    auto value = dyn_cast<IntegerAttr>(kc);
    if (!value || value.getInt() < 1 || shape.form == ProductForm::Window ||
        shape.k % value.getInt() != 0 ||
        (shape.positions.size() > 1 &&
         !lineBlocks(shape.positions, value.getInt())))
      return fail("'k_block' to be a positive divisor of K (" + Twine(shape.k) +
                  ") that blocks whole inner position loops, and absent for "
                  "direct convolutions");
    tiles.kc = value.getInt();
  }
  if (Attribute pack = dict.get("pack_panels")) {
    if (!isa<UnitAttr>(pack) || shape.form != ProductForm::MatrixProduct)
      return fail("'pack_panels' to be a unit attribute, on matrix products "
                  "only");
    tiles.packPanels = true;
  }
  auto threads = dict.getAs<IntegerAttr>("threads");
  if (!threads || threads.getInt() < 1)
    return fail("to say the positive number of 'threads' it is for");
  tiles.threads = threads.getInt();
  if (Attribute split = dict.get("split")) {
    auto name = dyn_cast<StringAttr>(split);
    if (!name || (name.getValue() != "m" && name.getValue() != "n"))
      return fail("'split' to be \"m\" or \"n\"");
    tiles.split = name.getValue() == "m" ? ThreadSplit::M : ThreadSplit::N;
  }
  if (Attribute tail = dict.get("tail")) {
    auto value = dyn_cast<IntegerAttr>(tail);
    if (!value || value.getInt() < 1 ||
        shape.form != ProductForm::MatrixProduct)
      return fail("'tail' to be a positive number of rows, on matrix "
                  "products only");
    tiles.tail = value.getInt();
  }
  // A window contraction over several position loops splits the outermost
  // (the images) across threads, and tiles the innermost whole.
  bool splitsImages =
      shape.form == ProductForm::Window && shape.positions.size() > 1;
  int64_t mSplit = splitsImages ? shape.positions.front() : shape.m;
  int64_t m = splitsImages ? shape.m
                           : sliceOf(shape.m, tiles.split, ThreadSplit::M,
                                     tiles.threads),
          n = sliceOf(shape.n, tiles.split, ThreadSplit::N, tiles.threads);
  if ((tiles.split == ThreadSplit::M && mSplit % tiles.threads) ||
      (tiles.split == ThreadSplit::N && shape.n % tiles.threads) ||
      m % tiles.mr != tiles.tail || n % tiles.nr)
    return fail("to divide the product (M = " + Twine(shape.m) +
                ", N = " + Twine(shape.n) +
                ") into equal thread slices and register tiles, with "
                "'tail' the rows left over");
  return std::optional<ProductTiles>(tiles);
}
