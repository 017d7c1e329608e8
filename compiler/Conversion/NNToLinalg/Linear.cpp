//===- Linear.cpp - Products: dense and matmul ----------------------------===//
//
// `nn.dense` and `nn.matmul` as `linalg.matmul`, transposed operands read
// through its indexing maps, the accumulator starting from the bias (or
// zeros). Whether to pack an operand is the target's decision.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NNToLinalg/NNToLinalg.h"

#include "compiler/Conversion/NNToLinalg/Utils.h"

using namespace mlir;
using namespace nnc::nn_to_linalg;

namespace {

/// `init + lhs * rhs`, either operand read transposed.
Value matmul(OpBuilder &b, Location loc, Value lhs, Value rhs, Value init,
             bool transposeLhs, bool transposeRhs) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  auto map = [&](AffineExpr r, AffineExpr c) {
    return AffineMapAttr::get(AffineMap::get(3, 0, {r, c}, ctx));
  };
  ArrayAttr maps =
      b.getArrayAttr({transposeLhs ? map(k, m) : map(m, k),
                      transposeRhs ? map(n, k) : map(k, n), map(m, n)});
  return linalg::MatmulOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs},
             ValueRange{init},
             ArrayRef<NamedAttribute>{b.getNamedAttr("indexing_maps", maps)})
      .getResult(0);
}

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
      matmul(b, loc, a.getInput(), a.getWeight(), init, false, true)};
}

NNC_LOWERING(MatmulLowering, nn::MatmulOp) {
  auto type = cast<RankedTensorType>(op.getType());
  return SmallVector<Value>{matmul(b, loc, a.getLhs(), a.getRhs(),
                                   filled(b, loc, type, 0.0),
                                   op.getTransposeLhs(), op.getTransposeRhs())};
}

} // namespace

void nnc::populateNNToLinalgLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<DenseLowering, MatmulLowering>(patterns.getContext());
}
