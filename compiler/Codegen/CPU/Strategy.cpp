//===- Strategy.cpp - The CPU's algorithm for each named op ---------------===//
//
// convert-nn-to-linalg writes named ops in the model's layout and decides
// nothing; this pass decides, per op, how the CPU computes it, records the
// decision on the op (`nnc.cpu.strategy`) and rewrites the op into the
// linalg forms the CPU backend tiles (compiler/Codegen/CPU/
// ConvolutionAlgorithms.cpp, nnc-cpu-tile-and-vectorize).
//
// A convolution is recognized as one of the three forms the conversion
// writes (docs/codegen.md, section 4.1): its padding, stride and dilation,
// and for the gradients the forward convolution's, are read back from the
// ops around it. Any other `linalg.conv_2d_nchw_fchw` is computed as it
// stands, as a forward convolution of its (already padded) input: correct,
// only without the form's faster algorithm.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/Passes.h"

#include "compiler/Codegen/CPU/ConvolutionAlgorithms.h"
#include "compiler/Codegen/CPU/PoolingAlgorithms.h"
#include "compiler/Codegen/CPU/TilePlan.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace nnc {
#define GEN_PASS_DEF_CPUSTRATEGYPASS
#include "compiler/Codegen/Passes.h.inc"
} // namespace nnc

using namespace mlir;
using namespace nnc::nn_to_linalg;
using namespace nnc::cpu;

namespace {

constexpr llvm::StringLiteral kStrategyAttr = "nnc.cpu.strategy";

/// Whether `v` is zeros: a zero fill, or a slice of one.
bool isZeroFill(Value v) {
  while (auto slice = v.getDefiningOp<tensor::ExtractSliceOp>())
    v = slice.getSource();
  auto fill = v.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

/// `v` as a zero padding of `source` (`[a, b, h, w]`), rows spread
/// `stride` apart: `source` itself when `v` is not one.
struct Spread {
  Value source;
  SmallVector<int64_t, 2> low = {0, 0}, high = {0, 0}, stride = {1, 1};
};

Spread peelSpread(Value v) {
  Spread plain{v};
  auto insert = v.getDefiningOp<tensor::InsertSliceOp>();
  if (!insert || !isZeroFill(insert.getDest()))
    return plain;
  RankedTensorType src = insert.getSourceType(), dst = insert.getResultType();
  if (src.getRank() != 4 || !src.hasStaticShape() ||
      ShapedType::isDynamicShape(insert.getStaticOffsets()) ||
      ShapedType::isDynamicShape(insert.getStaticStrides()) ||
      ArrayRef<int64_t>(insert.getStaticSizes()) != src.getShape())
    return plain;
  ArrayRef<int64_t> offsets = insert.getStaticOffsets();
  ArrayRef<int64_t> strides = insert.getStaticStrides();
  if (offsets[0] || offsets[1] || strides[0] != 1 || strides[1] != 1 ||
      src.getDimSize(0) != dst.getDimSize(0) ||
      src.getDimSize(1) != dst.getDimSize(1))
    return plain;
  Spread spread{insert.getSource()};
  for (int64_t k = 0; k < 2; ++k) {
    spread.low[k] = offsets[2 + k];
    spread.stride[k] = strides[2 + k];
    spread.high[k] = dst.getDimSize(2 + k) - offsets[2 + k] -
                     (src.getDimSize(2 + k) - 1) * strides[2 + k] - 1;
  }
  return spread;
}

/// The source of a `[a, b, ...]` to `[b, a, ...]` transpose, or null.
Value peelSwapLeading(Value v) {
  auto t = v.getDefiningOp<linalg::TransposeOp>();
  if (!t || t.getPermutation() != ArrayRef<int64_t>{1, 0, 2, 3})
    return Value();
  return t.getInput();
}

/// `w` where `filter` is `w` (`[o, c, kh, kw]`) with both kernel
/// dimensions reversed, then transposed to `[c, o, kh, kw]`: a gather
/// `flipped[o, c, i, j] = w[o, c, kh - 1 - i, kw - 1 - j]`. Null otherwise.
Value peelFlippedKernel(Value filter) {
  Value flipped = peelSwapLeading(filter);
  auto generic = flipped ? flipped.getDefiningOp<linalg::GenericOp>() : nullptr;
  if (!generic || generic.getNumDpsInputs() != 0 ||
      generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !generic.getIndexingMapsArray()[0].isIdentity())
    return Value();
  Block &body = generic.getRegion().front();
  auto extract = cast<linalg::YieldOp>(body.getTerminator())
                     .getOperand(0)
                     .getDefiningOp<tensor::ExtractOp>();
  auto type = cast<RankedTensorType>(flipped.getType());
  if (!extract || extract->getBlock() != &body ||
      extract.getTensor().getType() != type)
    return Value();
  auto isIndex = [](Value v, int64_t dim) {
    auto index = v.getDefiningOp<linalg::IndexOp>();
    return index && static_cast<int64_t>(index.getDim()) == dim;
  };
  for (auto [d, index] : llvm::enumerate(extract.getIndices())) {
    if (d < 2) {
      if (!isIndex(index, d))
        return Value();
      continue;
    }
    auto sub = index.getDefiningOp<arith::SubIOp>();
    if (!sub || !isIndex(sub.getRhs(), d) ||
        getConstantIntValue(sub.getLhs()) != type.getDimSize(d) - 1)
      return Value();
  }
  return extract.getTensor();
}

/// A convolution as the strategy sees it: its form, the operands and
/// geometry of that form, and the value it replaces.
struct ConvPlan {
  ConvForm form = ConvForm::Forward;
  /// Forward: x and the weight; input gradient: dy and the weight; weight
  /// gradient: x and dy.
  Value lhs, rhs;
  /// Forward only: the bias (null: none) and, when the accumulator is
  /// neither the bias nor zeros, the accumulator to add.
  Value bias, addend;
  Window window;
  Value root;
  RankedTensorType type;
};

SmallVector<int64_t, 2> pair(DenseIntElementsAttr attr) {
  return SmallVector<int64_t, 2>(attr.getValues<int64_t>());
}

/// The weight gradient `transpose(cut(conv(transpose(pad(x)),
/// transpose(dy))))`, read back into the forward convolution's geometry.
std::optional<ConvPlan> matchGradWeight(linalg::Conv2DNchwFchwOp conv) {
  Value xT = peelSwapLeading(conv.getInputs()[0]);
  Value dy = peelSwapLeading(conv.getInputs()[1]);
  if (!xT || !dy || !isZeroFill(conv.getOutputs()[0]) ||
      !conv->getResult(0).hasOneUse())
    return std::nullopt;
  // The output, cut to the kernel, then transposed back.
  Value v = conv->getResult(0);
  while (v.hasOneUse()) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(*v.getUsers().begin());
    if (!slice || !slice.hasZeroOffset() || !slice.hasUnitStride())
      break;
    v = slice.getResult();
  }
  if (!v.hasOneUse())
    return std::nullopt;
  auto back = dyn_cast<linalg::TransposeOp>(*v.getUsers().begin());
  if (!back || back.getPermutation() != ArrayRef<int64_t>{1, 0, 2, 3})
    return std::nullopt;
  Spread x = peelSpread(xT);
  auto type = cast<RankedTensorType>(back->getResult(0).getType());
  auto xType = cast<RankedTensorType>(x.source.getType());
  auto dyType = cast<RankedTensorType>(dy.getType());
  ConvPlan plan;
  plan.form = ConvForm::GradWeight;
  plan.lhs = x.source;
  plan.rhs = dy;
  plan.window = Window{{type.getDimSize(2), type.getDimSize(3)},
                       pair(conv.getDilations()),
                       x.low,
                       pair(conv.getStrides())};
  for (int64_t k = 0; k < 2; ++k)
    if (x.stride[k] != 1 || x.high[k] != x.low[k] ||
        windowCount(xType.getDimSize(2 + k), plan.window.kernel[k],
                    plan.window.stride[k], plan.window.padding[k],
                    plan.window.dilation[k]) != dyType.getDimSize(2 + k))
      return std::nullopt;
  plan.root = back->getResult(0);
  plan.type = type;
  return plan;
}

/// The input gradient `conv(spread(dy), flip(w))`, read back into the
/// forward convolution's geometry.
std::optional<ConvPlan> matchGradInput(linalg::Conv2DNchwFchwOp conv) {
  Value weight = peelFlippedKernel(conv.getInputs()[1]);
  if (!weight || !isZeroFill(conv.getOutputs()[0]) ||
      pair(conv.getStrides()) != SmallVector<int64_t, 2>{1, 1})
    return std::nullopt;
  Spread dy = peelSpread(conv.getInputs()[0]);
  auto type = cast<RankedTensorType>(conv->getResult(0).getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  auto dyType = cast<RankedTensorType>(dy.source.getType());
  ConvPlan plan;
  plan.form = ConvForm::GradInput;
  plan.lhs = dy.source;
  plan.rhs = weight;
  SmallVector<int64_t, 2> dilation = pair(conv.getDilations()), padding(2);
  for (int64_t k = 0; k < 2; ++k) {
    int64_t reach = (wType.getDimSize(2 + k) - 1) * dilation[k];
    padding[k] = reach - dy.low[k];
    // The spread the conversion writes for this geometry: the forward
    // convolution's output size, and no rows computed to be dropped.
    int64_t h = type.getDimSize(2 + k);
    if (padding[k] < 0 ||
        windowCount(h, wType.getDimSize(2 + k), dy.stride[k], padding[k],
                    dilation[k]) != dyType.getDimSize(2 + k) ||
        dy.low[k] + (dyType.getDimSize(2 + k) - 1) * dy.stride[k] + 1 +
                dy.high[k] !=
            h + reach)
      return std::nullopt;
  }
  plan.window = Window{
      {wType.getDimSize(2), wType.getDimSize(3)}, dy.stride, padding, dilation};
  plan.root = conv->getResult(0);
  plan.type = type;
  return plan;
}

/// Any other convolution, as a forward one: `conv(pad(x), w) + init`.
ConvPlan matchForward(linalg::Conv2DNchwFchwOp conv) {
  Spread x = peelSpread(conv.getInputs()[0]);
  // A zero padding within the forward convolution's rows is folded into
  // the algorithm; anything else is computed on the padded input.
  bool folded = x.stride == SmallVector<int64_t, 2>{1, 1} &&
                x.high[0] <= x.low[0] && x.high[1] <= x.low[1];
  ConvPlan plan;
  plan.lhs = folded ? x.source : conv.getInputs()[0];
  plan.rhs = conv.getInputs()[1];
  auto wType = cast<RankedTensorType>(plan.rhs.getType());
  plan.window = Window{{wType.getDimSize(2), wType.getDimSize(3)},
                       pair(conv.getStrides()),
                       folded ? x.low : SmallVector<int64_t, 2>{0, 0},
                       pair(conv.getDilations())};
  Value init = conv.getOutputs()[0];
  auto broadcast = init.getDefiningOp<linalg::BroadcastOp>();
  if (broadcast && broadcast.getDimensions() == ArrayRef<int64_t>{0, 2, 3})
    plan.bias = broadcast.getInput();
  else if (!isZeroFill(init))
    plan.addend = init;
  plan.root = conv->getResult(0);
  plan.type = cast<RankedTensorType>(plan.root.getType());
  return plan;
}

ConvPlan planConvolution(linalg::Conv2DNchwFchwOp conv) {
  if (std::optional<ConvPlan> plan = matchGradWeight(conv))
    return *plan;
  if (std::optional<ConvPlan> plan = matchGradInput(conv))
    return *plan;
  return matchForward(conv);
}

const char *stringifyForm(ConvForm form) {
  switch (form) {
  case ConvForm::Forward:
    return "forward";
  case ConvForm::GradInput:
    return "grad-input";
  case ConvForm::GradWeight:
    return "grad-weight";
  }
  llvm_unreachable("unknown convolution form");
}

struct CPUStrategyPass : nnc::impl::CPUStrategyPassBase<CPUStrategyPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads < 1) {
      getOperation()->emitError()
          << "expects a positive thread count, got " << int64_t(threads);
      return signalPassFailure();
    }
    if (vectorBits < 128 || vectorBits % 32 || vectorRegisters < 8) {
      getOperation()->emitError()
          << "expects vector-bits a multiple of 32 of at least 128 and "
             "vector-registers at least 8, got "
          << int64_t(vectorBits) << " and " << int64_t(vectorRegisters);
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<linalg::Conv2DNchwFchwOp, linalg::MatmulOp, linalg::ReduceOp,
              linalg::PoolingNchwMaxOp, linalg::PoolingNchwSumOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      LogicalResult result = success();
      if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op))
        result = convolution(conv);
      else if (auto matmulOp = dyn_cast<linalg::MatmulOp>(op))
        result = matmul(matmulOp);
      else if (auto reduceOp = dyn_cast<linalg::ReduceOp>(op))
        result = reduction(reduceOp);
      else
        result = pooling(cast<linalg::LinalgOp>(op));
      if (failed(result))
        return signalPassFailure();
    }
    if (!annotateOnly)
      eraseDeadOps();
    planTiles();
  }

  /// Records the tiling plan of every product that has none: after the
  /// algorithms are applied, the matrix products and window contractions
  /// that nnc-cpu-tile-and-vectorize builds from the plan.
  void planTiles() {
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (!op.hasPureTensorSemantics() || op->hasAttr(kTilesAttr))
        return;
      if (std::optional<ProductShape> shape = matchProduct(op))
        op->setAttr(kTilesAttr,
                    tilesAttr(op.getContext(),
                              planProduct(*shape, threads,
                                          {vectorBits, vectorRegisters})));
    });
  }

  void eraseDeadOps() {
    // The forms' padding, spreading, flipping and transposes that only the
    // replaced ops read.
    // Last use first, so that an op whose users die goes too; nested ops
    // go with their parent.
    getOperation()->walk([](Block *block) {
      for (Operation &op :
           llvm::make_early_inc_range(llvm::reverse(block->getOperations())))
        if (isOpTriviallyDead(&op))
          op.erase();
    });
  }

  /// The algorithm recorded on `op`, if any; an error if it names none.
  FailureOr<std::optional<ConvAlgorithm>> recorded(Operation *op) {
    auto dict = op->getAttrOfType<DictionaryAttr>(kStrategyAttr);
    if (!dict)
      return std::optional<ConvAlgorithm>();
    auto name = dict.getAs<StringAttr>("algorithm");
    std::optional<ConvAlgorithm> algorithm =
        name ? symbolizeConvAlgorithm(name.getValue()) : std::nullopt;
    if (!algorithm)
      return op->emitError() << "expects '" << kStrategyAttr
                             << "' to name an algorithm (direct, "
                                "space-to-depth or im2col), got "
                             << dict;
    return std::optional<ConvAlgorithm>(algorithm);
  }

  LogicalResult convolution(linalg::Conv2DNchwFchwOp conv) {
    if (!conv.hasPureTensorSemantics())
      return success();
    ConvPlan plan = planConvolution(conv);
    FailureOr<std::optional<ConvAlgorithm>> chosen = recorded(conv);
    if (failed(chosen))
      return failure();
    ConvAlgorithm algorithm =
        chosen->has_value()
            ? **chosen
            : chooseConvAlgorithm(plan.form, plan.window, 1,
                                  plan.form == ConvForm::GradWeight
                                      ? plan.type.getDimSize(1)
                                      : 0);
    if (!supportsConvAlgorithm(algorithm, plan.window, 1))
      return conv.emitError()
             << "expects an algorithm that computes this convolution ("
             << stringifyForm(plan.form) << ", stride " << plan.window.stride[0]
             << "x" << plan.window.stride[1] << "), got "
             << stringifyConvAlgorithm(algorithm);
    OpBuilder b(conv);
    conv->setAttr(
        kStrategyAttr,
        b.getDictionaryAttr(
            {b.getNamedAttr("form", b.getStringAttr(stringifyForm(plan.form))),
             b.getNamedAttr("algorithm", b.getStringAttr(stringifyConvAlgorithm(
                                             algorithm)))}));
    if (annotateOnly)
      return success();
    b.setInsertionPointAfterValue(plan.root);
    Location loc = conv.getLoc();
    Value result;
    switch (plan.form) {
    case ConvForm::Forward:
      result =
          buildConv2d(b, loc, algorithm, plan.lhs, plan.rhs, plan.bias,
                      plan.window, 1, plan.type, {vectorBits, vectorRegisters});
      if (plan.addend)
        result = elementwise(
            b, loc, plan.type, {result, plan.addend},
            [](OpBuilder &nb, Location nloc, ValueRange v) {
              return arith::AddFOp::create(nb, nloc, v[0], v[1]).getResult();
            });
      break;
    case ConvForm::GradInput:
      result = buildConv2dGradInput(b, loc, algorithm, plan.lhs, plan.rhs,
                                    plan.window, 1, plan.type,
                                    {vectorBits, vectorRegisters});
      break;
    case ConvForm::GradWeight:
      result = buildConv2dGradWeight(b, loc, algorithm, plan.lhs, plan.rhs,
                                     plan.window, 1, plan.type);
      break;
    }
    // The form's ops, from the value it replaced back to the convolution.
    SmallVector<Operation *> dead;
    for (Operation *op = plan.root.getDefiningOp(); op != conv;
         op = op->getOperand(0).getDefiningOp())
      dead.push_back(op);
    dead.push_back(conv);
    plan.root.replaceAllUsesWith(result);
    for (Operation *op : dead)
      if (op->use_empty())
        op->erase();
    return success();
  }

  /// Records `algorithm` as the choice for `op`.
  void record(Operation *op, StringRef algorithm) {
    Builder b(op->getContext());
    op->setAttr(kStrategyAttr, b.getDictionaryAttr({b.getNamedAttr(
                                   "algorithm", b.getStringAttr(algorithm))}));
  }

  /// A reduction becomes the equivalent generic, so that elementwise
  /// fusion can move its producers into its body (the CPU reads the
  /// reduced tensor once) and nnc-split-reductions can split it across
  /// threads; both work on generics.
  LogicalResult reduction(linalg::ReduceOp op) {
    if (!op.hasPureTensorSemantics())
      return success();
    record(op, "fused-generic");
    if (annotateOnly)
      return success();
    IRRewriter rewriter(op);
    op->removeAttr(kStrategyAttr);
    if (failed(linalg::generalizeNamedOp(rewriter, op)))
      return op.emitError() << "expects a reduction that linalg can "
                               "generalize";
    return success();
  }

  /// Pooling: one elementwise combination of the window's strided views.
  LogicalResult pooling(linalg::LinalgOp op) {
    if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
      return success();
    record(op, "window-views");
    if (annotateOnly)
      return success();
    OpBuilder b(op);
    Value result = buildPoolWindows(b, op);
    if (!result)
      return op.emitError() << "expects a pooling op with static shapes";
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
    return success();
  }

  /// `[N, K]` `rhs` transposed to `[K, N]`, in a buffer whose rows are
  /// one cache line longer than N when N is a multiple of a cache line:
  /// the register tile reads a `[kc, nr]` panel of it, rows apart, and at a
  /// power-of-two stride every row of the panel maps to the same L1 set.
  /// The wide bench step (N = 2048): 137.5 ms against 138-145 ms unpadded
  /// (one core, AMD EPYC, 2026-12-07).
  static Value packRows(OpBuilder &b, Location loc, Value rhs) {
    auto type = cast<RankedTensorType>(rhs.getType());
    int64_t n = type.getDimSize(0), k = type.getDimSize(1);
    int64_t line =
        64 * 8 /
        std::max<int64_t>(type.getElementType().getIntOrFloatBitWidth(), 8);
    if (ShapedType::isDynamic(n) || ShapedType::isDynamic(k) || n % line)
      return transpose(b, loc, rhs, {1, 0});
    auto padded = RankedTensorType::get({k, n + line}, type.getElementType());
    Value buffer = empty(b, loc, padded);
    Value view = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({k, n}, type.getElementType()), buffer,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(k), b.getIndexAttr(n)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    return linalg::TransposeOp::create(b, loc, rhs, view,
                                       ArrayRef<int64_t>{1, 0})
        .getResult()[0];
  }

  LogicalResult matmul(linalg::MatmulOp op) {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2)
      return success();
    MLIRContext *ctx = op.getContext();
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    auto is = [&](AffineMap map, AffineExpr r, AffineExpr c) {
      return map == AffineMap::get(3, 0, {r, c}, ctx);
    };
    bool lhsT = is(maps[0], k, m), rhsT = is(maps[1], n, k);
    if ((!lhsT && !is(maps[0], m, k)) || (!rhsT && !is(maps[1], k, n)) ||
        !is(maps[2], m, n))
      return success();
    OpBuilder b(op);
    // A product reads rows of its right operand along N; a transposed right
    // operand would be read down its columns. Transposing it once up front
    // (packing) is far cheaper than strided reads in the inner loop.
    op->setAttr(
        kStrategyAttr,
        b.getDictionaryAttr({b.getNamedAttr(
            "algorithm", b.getStringAttr(rhsT ? "pack-rhs" : "contraction"))}));
    if (annotateOnly)
      return success();
    Value rhs = op.getInputs()[1];
    if (rhsT)
      rhs = packRows(b, op.getLoc(), rhs);
    Value result =
        contraction(b, op.getLoc(), op.getInputs()[0], rhs, op.getOutputs()[0],
                    lhsT, /*transposeRhs=*/false);
    // A plan recorded on the product (by hand) stays with it.
    if (Attribute tiles = op->getAttr(kTilesAttr))
      result.getDefiningOp()->setAttr(kTilesAttr, tiles);
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
    return success();
  }
};

} // namespace
