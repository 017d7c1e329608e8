//===- PoolingAlgorithms.cpp - CPU algorithm for pooling ------------------===//
//
// A pooling window is small (2x2, 3x3): reading the kh * kw strided views
// of the input and combining them elementwise costs one pass over the
// output per offset, in vectors along the output's columns, with no
// reduction loop for the tiling pass to handle.
//
//===----------------------------------------------------------------------===//

#include "compiler/Codegen/CPU/PoolingAlgorithms.h"

#include "compiler/Conversion/NNToLinalg/Windows.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

/// Whether `init` is a fill of `value`.
bool isFillOf(Value init, double value) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  FloatAttr constant;
  return fill && matchPattern(fill.getInputs()[0], m_Constant(&constant)) &&
         constant.getValueAsDouble() == value;
}

} // namespace

Value nnc::cpu::buildPoolWindows(OpBuilder &b, linalg::LinalgOp pool) {
  bool isMax = isa<linalg::PoolingNchwMaxOp>(pool);
  if ((!isMax && !isa<linalg::PoolingNchwSumOp>(pool)) ||
      !pool.hasPureTensorSemantics() || pool.hasDynamicShape())
    return Value();
  Value padded = pool.getDpsInputs()[0], init = pool.getDpsInits()[0];
  auto windowType = cast<ShapedType>(pool.getDpsInputs()[1].getType());
  auto type = cast<RankedTensorType>(pool->getResult(0).getType());
  auto attr = [&](StringRef name) {
    return SmallVector<int64_t, 2>(
        pool->getAttrOfType<DenseIntElementsAttr>(name).getValues<int64_t>());
  };
  Window w{{windowType.getDimSize(0), windowType.getDimSize(1)},
           attr("strides"),
           {0, 0},
           attr("dilations")};
  Location loc = pool.getLoc();
  SmallVector<Value> inputs;
  if (!isFillOf(init, isMax ? -INFINITY : 0.0))
    inputs.push_back(init);
  for (int64_t i = 0; i < w.kernel[0]; ++i)
    for (int64_t j = 0; j < w.kernel[1]; ++j)
      inputs.push_back(windowView(b, loc, padded, w, i, j, type.getDimSize(2),
                                  type.getDimSize(3)));
  SmallVector<AffineMap> maps(
      inputs.size(), AffineMap::getMultiDimIdentityMap(4, b.getContext()));
  return mapOver(b, loc, type, inputs, maps,
                 [&](OpBuilder &nb, Location nloc, ValueRange v) {
                   Value acc = v[0];
                   for (Value next : v.drop_front())
                     acc = isMax ? maxf(nb, nloc, acc, next)
                                 : addf(nb, nloc, acc, next);
                   return acc;
                 });
}
