//===- Shape.cpp - Transposes, reshapes, broadcasts, concatenation --------===//
//
// Ops that only move data.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/NNToLinalg/Utils.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

NNC_LOWERING(TransposeLowering, nn::TransposeOp) {
  auto type = cast<RankedTensorType>(op.getType());
  return SmallVector<Value>{linalg::TransposeOp::create(b, loc, a.getInput(),
                                                        empty(b, loc, type),
                                                        op.getPermutation())
                                .getResult()[0]};
}

NNC_LOWERING(ReshapeLowering, nn::ReshapeOp) {
  return SmallVector<Value>{
      reshape(b, loc, a.getInput(), cast<RankedTensorType>(op.getType()))};
}

NNC_LOWERING(BroadcastLowering, nn::BroadcastOp) {
  auto type = cast<RankedTensorType>(op.getType());
  SmallVector<int64_t> created;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (!llvm::is_contained(op.getDims(), i))
      created.push_back(i);
  return SmallVector<Value>{linalg::BroadcastOp::create(b, loc, a.getInput(),
                                                        empty(b, loc, type),
                                                        created)
                                .getResult()[0]};
}

NNC_LOWERING(ConcatLowering, nn::ConcatOp) {
  auto type = cast<RankedTensorType>(op.getType());
  Value result = empty(b, loc, type);
  int64_t offset = 0, dim = op.getDim();
  for (Value input : a.getInputs()) {
    RankedTensorType inType = tensorType(input);
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0)), sizes,
        strides(type.getRank(), b.getIndexAttr(1));
    for (int64_t d : inType.getShape())
      sizes.push_back(b.getIndexAttr(d));
    offsets[dim] = b.getIndexAttr(offset);
    offset += inType.getDimSize(dim);
    result = tensor::InsertSliceOp::create(b, loc, input, result, offsets,
                                           sizes, strides);
  }
  return SmallVector<Value>{result};
}

} // namespace

void nnc::populateNNToLinalgShapePatterns(RewritePatternSet &patterns) {
  patterns.add<TransposeLowering, ReshapeLowering, BroadcastLowering,
               ConcatLowering>(patterns.getContext());
}
