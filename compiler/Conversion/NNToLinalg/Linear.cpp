//===- Linear.cpp - Products: dense and matmul ----------------------------===//
//
// `nn.dense` and `nn.matmul` as contractions whose accumulator starts from
// the bias (or zeros).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/NNToLinalg/Utils.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

NNC_LOWERING(DenseLowering, nn::DenseOp) {
  auto type = cast<RankedTensorType>(op.getType());
  Value init;
  if (Value bias = a.getBias()) {
    // Start the accumulation from the bias, broadcast over the batch.
    init = linalg::BroadcastOp::create(b, loc, bias, empty(b, loc, type),
                                       ArrayRef<int64_t>{0})
               .getResult()[0];
  } else {
    init = filled(b, loc, type, 0.0);
  }
  return SmallVector<Value>{
      contraction(b, loc, a.getInput(), a.getWeight(), init, false, true)};
}

NNC_LOWERING(MatmulLowering, nn::MatmulOp) {
  auto type = cast<RankedTensorType>(op.getType());
  return SmallVector<Value>{
      contraction(b, loc, a.getLhs(), a.getRhs(), filled(b, loc, type, 0.0),
                  op.getTransposeLhs(), op.getTransposeRhs())};
}

} // namespace

void nnc::populateNNToLinalgLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<DenseLowering, MatmulLowering>(patterns.getContext());
}
