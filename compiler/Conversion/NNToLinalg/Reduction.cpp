//===- Reduction.cpp - Sums and means -------------------------------------===//
//
// `nn.sum` and `nn.mean` as reduction generics into zero fills.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/NNToLinalg/Utils.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

template <typename OpTy>
Value lowerReduction(OpTy op, Value input, OpBuilder &b, Location loc) {
  RankedTensorType type = tensorType(input);
  SmallVector<bool> reduced(type.getRank(), op.getDims().empty());
  double count = 1;
  for (int64_t d : op.getDims())
    reduced[d] = true;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (reduced[i])
      count *= type.getDimSize(i);
  Value sum = reduce(b, loc, input, reduced, 0.0, addf);
  if (std::is_same_v<OpTy, nn::MeanOp>) {
    RankedTensorType sumType = tensorType(sum);
    sum = elementwise(b, loc, sumType, sum,
                      [&](OpBuilder &nb, Location nloc, ValueRange args) {
                        Scalar s{nb, nloc, sumType.getElementType()};
                        return s.mul(args[0], s.c(1 / count));
                      });
  }
  return reshape(b, loc, sum, cast<RankedTensorType>(op.getType()));
}

NNC_LOWERING(SumLowering, nn::SumOp) {
  return SmallVector<Value>{lowerReduction(op, a.getInput(), b, loc)};
}

NNC_LOWERING(MeanLowering, nn::MeanOp) {
  return SmallVector<Value>{lowerReduction(op, a.getInput(), b, loc)};
}

} // namespace

void nnc::populateNNToLinalgReductionPatterns(RewritePatternSet &patterns) {
  patterns.add<SumLowering, MeanLowering>(patterns.getContext());
}
