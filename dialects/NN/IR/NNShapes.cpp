//===- NNShapes.cpp - Shape rules of nn ops -------------------------------===//

#include "dialects/NN/IR/NNShapes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::nn;

std::string mlir::nn::spellMLIRType(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

static LogicalResult checkSameElementType(const ShapeDiag &diag,
                                          RankedTensorType a,
                                          RankedTensorType b) {
  if (a.getElementType() == b.getElementType())
    return success();
  return diag.emitError() << "expects operands of one element type, got "
                          << diag.spell(a) << " and " << diag.spell(b);
}

FailureOr<RankedTensorType> mlir::nn::inferDenseType(const ShapeDiag &diag,
                                                     RankedTensorType input,
                                                     RankedTensorType weight,
                                                     RankedTensorType bias) {
  if (input.getRank() != 2)
    return diag.emitError() << "expects 2-D input, got " << diag.spell(input);
  if (weight.getRank() != 2)
    return diag.emitError()
           << "expects 2-D weight [out, in], got " << diag.spell(weight);
  if (failed(checkSameElementType(diag, input, weight)))
    return failure();
  int64_t in = input.getDimSize(1), out = weight.getDimSize(0);
  if (weight.getDimSize(1) != in)
    return diag.emitError() << "expects weight [out, in] with in = " << in
                            << " to match the input " << diag.spell(input)
                            << ", got " << diag.spell(weight);
  if (bias) {
    if (bias.getRank() != 1 || bias.getDimSize(0) != out)
      return diag.emitError() << "expects bias of shape [" << out << "], got "
                              << diag.spell(bias);
    if (failed(checkSameElementType(diag, input, bias)))
      return failure();
  }
  return RankedTensorType::get({input.getDimSize(0), out},
                               input.getElementType());
}

FailureOr<RankedTensorType> mlir::nn::inferMatmulType(const ShapeDiag &diag,
                                                      RankedTensorType lhs,
                                                      RankedTensorType rhs,
                                                      bool transposeLhs,
                                                      bool transposeRhs) {
  if (lhs.getRank() != 2)
    return diag.emitError()
           << "expects 2-D left operand, got " << diag.spell(lhs);
  if (rhs.getRank() != 2)
    return diag.emitError()
           << "expects 2-D right operand, got " << diag.spell(rhs);
  if (failed(checkSameElementType(diag, lhs, rhs)))
    return failure();
  int64_t m = lhs.getDimSize(transposeLhs ? 1 : 0);
  int64_t kl = lhs.getDimSize(transposeLhs ? 0 : 1);
  int64_t kr = rhs.getDimSize(transposeRhs ? 1 : 0);
  int64_t n = rhs.getDimSize(transposeRhs ? 0 : 1);
  if (kl != kr)
    return diag.emitError()
           << "expects contracted dimensions to agree, got " << diag.spell(lhs)
           << " and " << diag.spell(rhs) << " (" << kl << " vs " << kr << ")";
  return RankedTensorType::get({m, n}, lhs.getElementType());
}

FailureOr<RankedTensorType>
mlir::nn::inferElementwiseType(const ShapeDiag &diag, RankedTensorType lhs,
                               RankedTensorType rhs) {
  if (failed(checkSameElementType(diag, lhs, rhs)))
    return failure();
  if (lhs != rhs)
    return diag.emitError() << "expects operands of the same shape, got "
                            << diag.spell(lhs) << " and " << diag.spell(rhs);
  return lhs;
}

FailureOr<int64_t> mlir::nn::checkDim(const ShapeDiag &diag,
                                      RankedTensorType type, int64_t dim) {
  int64_t rank = type.getRank();
  if (dim < -rank || dim >= rank || rank == 0)
    return diag.emitError()
           << "expects a dimension in [" << -rank << ", " << rank << ") for "
           << diag.spell(type) << ", got " << dim;
  return dim < 0 ? dim + rank : dim;
}

FailureOr<RankedTensorType>
mlir::nn::inferTransposeType(const ShapeDiag &diag, RankedTensorType input,
                             ArrayRef<int64_t> permutation) {
  int64_t rank = input.getRank();
  SmallVector<bool> seen(rank, false);
  bool valid = static_cast<int64_t>(permutation.size()) == rank;
  for (int64_t p : permutation) {
    if (!valid || p < 0 || p >= rank || seen[p]) {
      valid = false;
      break;
    }
    seen[p] = true;
  }
  if (!valid)
    return diag.emitError() << "expects a permutation of [0, " << rank
                            << ") for " << diag.spell(input);
  SmallVector<int64_t> shape;
  for (int64_t p : permutation)
    shape.push_back(input.getDimSize(p));
  return RankedTensorType::get(shape, input.getElementType());
}

FailureOr<RankedTensorType>
mlir::nn::inferConcatType(const ShapeDiag &diag,
                          ArrayRef<RankedTensorType> inputs, int64_t dim) {
  if (inputs.empty())
    return diag.emitError() << "expects at least one input";
  RankedTensorType first = inputs.front();
  FailureOr<int64_t> axis = checkDim(diag, first, dim);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (RankedTensorType t : inputs.drop_front()) {
    if (failed(checkSameElementType(diag, first, t)))
      return failure();
    bool agree = t.getRank() == first.getRank();
    for (int64_t i = 0; agree && i < first.getRank(); ++i)
      agree = i == *axis || t.getDimSize(i) == first.getDimSize(i);
    if (!agree)
      return diag.emitError()
             << "expects inputs that agree on every dimension but " << *axis
             << ", got " << diag.spell(first) << " and " << diag.spell(t);
    shape[*axis] += t.getDimSize(*axis);
  }
  return RankedTensorType::get(shape, first.getElementType());
}

FailureOr<RankedTensorType> mlir::nn::inferReduceType(const ShapeDiag &diag,
                                                      RankedTensorType input,
                                                      ArrayRef<int64_t> dims,
                                                      bool keepdim) {
  int64_t rank = input.getRank();
  SmallVector<bool> reduced(rank, dims.empty());
  for (int64_t d : dims) {
    FailureOr<int64_t> axis = checkDim(diag, input, d);
    if (failed(axis))
      return failure();
    if (reduced[*axis])
      return diag.emitError()
             << "expects each dimension at most once, got " << d << " twice";
    reduced[*axis] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      shape.push_back(input.getDimSize(i));
    else if (keepdim)
      shape.push_back(1);
  }
  return RankedTensorType::get(shape, input.getElementType());
}

FailureOr<RankedTensorType>
mlir::nn::inferReshapeType(const ShapeDiag &diag, RankedTensorType input,
                           ArrayRef<int64_t> shape) {
  int64_t known = 1, inferred = -1;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (d == -1 && inferred < 0) {
      inferred = i;
      continue;
    }
    if (d <= 0)
      return diag.emitError()
             << "expects positive sizes and at most one -1, got " << d
             << " at position " << i;
    if (llvm::MulOverflow(known, d, known) || known > (int64_t(1) << 40))
      return diag.emitError() << "expects a shape of at most 2^40 elements";
  }
  int64_t count = input.getNumElements();
  SmallVector<int64_t> result(shape);
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return diag.emitError()
             << "cannot reshape " << diag.spell(input) << " (" << count
             << " elements) with " << known << " elements per -1";
    result[inferred] = count / known;
  } else if (known != count) {
    return diag.emitError()
           << "expects the same number of elements, got " << diag.spell(input)
           << " (" << count << ") and a shape of " << known;
  }
  return RankedTensorType::get(result, input.getElementType());
}

FailureOr<RankedTensorType>
mlir::nn::inferCrossEntropyType(const ShapeDiag &diag, RankedTensorType logits,
                                RankedTensorType labels) {
  if (logits.getRank() != 2)
    return diag.emitError()
           << "expects 2-D logits [batch, classes], got " << diag.spell(logits);
  if (!isa<FloatType>(logits.getElementType()))
    return diag.emitError()
           << "expects floating-point logits, got " << diag.spell(logits);
  if (!labels.getElementType().isSignlessInteger())
    return diag.emitError()
           << "expects integer class labels, got " << diag.spell(labels);
  if (labels.getRank() != 1 || labels.getDimSize(0) != logits.getDimSize(0))
    return diag.emitError()
           << "expects labels of shape [" << logits.getDimSize(0)
           << "] to match logits " << diag.spell(logits) << ", got "
           << diag.spell(labels);
  return RankedTensorType::get({}, logits.getElementType());
}

FailureOr<RankedTensorType>
mlir::nn::inferPairwiseLossType(const ShapeDiag &diag, RankedTensorType input,
                                RankedTensorType target) {
  if (failed(checkSameElementType(diag, input, target)))
    return failure();
  if (input != target)
    return diag.emitError()
           << "expects prediction and target of the same shape, got "
           << diag.spell(input) << " and " << diag.spell(target);
  return RankedTensorType::get({}, input.getElementType());
}

/// Checks that each of `names` is a pair of integers of at least `min`.
static LogicalResult
checkPairs(const ShapeDiag &diag,
           ArrayRef<std::pair<StringRef, ArrayRef<int64_t>>> pairs) {
  for (auto [name, values] : pairs) {
    int64_t min = name == "padding" ? 0 : 1;
    if (values.size() != 2)
      return diag.emitError()
             << "expects " << name << " as [rows, columns], got "
             << values.size() << (values.size() == 1 ? " value" : " values");
    for (int64_t v : values)
      if (v < min || v > (int64_t(1) << 20))
        return diag.emitError()
               << "expects " << name << " in [" << min << ", 2^20], got " << v;
  }
  return success();
}

/// The number of window positions along one dimension, or failure when the
/// (dilated) window does not fit into the padded input.
static FailureOr<int64_t> windowCount(const ShapeDiag &diag,
                                      RankedTensorType input, int64_t dim,
                                      int64_t kernel, int64_t stride,
                                      int64_t padding, int64_t dilation) {
  int64_t size = input.getDimSize(dim) + 2 * padding;
  int64_t extent = dilation * (kernel - 1) + 1;
  if (extent > size)
    return diag.emitError()
           << "expects a window of " << extent << " to fit into "
           << (dim == 2 ? "height" : "width") << " " << input.getDimSize(dim)
           << " with padding " << padding << " of " << diag.spell(input);
  return (size - extent) / stride + 1;
}

FailureOr<RankedTensorType>
mlir::nn::inferConv2dType(const ShapeDiag &diag, RankedTensorType input,
                          RankedTensorType weight, RankedTensorType bias,
                          ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                          ArrayRef<int64_t> dilation, int64_t groups) {
  if (input.getRank() != 4)
    return diag.emitError() << "expects 4-D input [batch, channels, height, "
                               "width], got "
                            << diag.spell(input);
  if (weight.getRank() != 4)
    return diag.emitError()
           << "expects 4-D weight [out, in / groups, kh, kw], got "
           << diag.spell(weight);
  if (failed(checkSameElementType(diag, input, weight)))
    return failure();
  if (failed(checkPairs(
          diag,
          {{"stride", stride}, {"padding", padding}, {"dilation", dilation}})))
    return failure();
  int64_t in = input.getDimSize(1), out = weight.getDimSize(0);
  if (groups < 1 || in % groups != 0 || out % groups != 0)
    return diag.emitError()
           << "expects groups dividing both " << in << " input and " << out
           << " output channels, got " << groups;
  if (weight.getDimSize(1) != in / groups)
    return diag.emitError()
           << "expects weight [out, in / groups, kh, kw] with in / groups = "
           << in / groups << " to match the input " << diag.spell(input)
           << ", got " << diag.spell(weight);
  if (bias) {
    if (bias.getRank() != 1 || bias.getDimSize(0) != out)
      return diag.emitError() << "expects bias of shape [" << out << "], got "
                              << diag.spell(bias);
    if (failed(checkSameElementType(diag, input, bias)))
      return failure();
  }
  FailureOr<int64_t> oh = windowCount(diag, input, 2, weight.getDimSize(2),
                                      stride[0], padding[0], dilation[0]);
  if (failed(oh))
    return failure();
  FailureOr<int64_t> ow = windowCount(diag, input, 3, weight.getDimSize(3),
                                      stride[1], padding[1], dilation[1]);
  if (failed(ow))
    return failure();
  return RankedTensorType::get({input.getDimSize(0), out, *oh, *ow},
                               input.getElementType());
}

FailureOr<RankedTensorType>
mlir::nn::inferPool2dType(const ShapeDiag &diag, RankedTensorType input,
                          ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                          ArrayRef<int64_t> padding) {
  if (input.getRank() != 4)
    return diag.emitError() << "expects 4-D input [batch, channels, height, "
                               "width], got "
                            << diag.spell(input);
  if (failed(checkPairs(
          diag,
          {{"kernel", kernel}, {"stride", stride}, {"padding", padding}})))
    return failure();
  SmallVector<int64_t> shape(input.getShape().take_front(2));
  for (int64_t i = 0; i < 2; ++i) {
    // As PyTorch: a window made of padding alone would have no input.
    if (2 * padding[i] > kernel[i])
      return diag.emitError() << "expects padding at most half the kernel, got "
                              << padding[i] << " for a kernel of " << kernel[i];
    FailureOr<int64_t> count =
        windowCount(diag, input, 2 + i, kernel[i], stride[i], padding[i], 1);
    if (failed(count))
      return failure();
    shape.push_back(*count);
  }
  return RankedTensorType::get(shape, input.getElementType());
}

FailureOr<RankedTensorType>
mlir::nn::inferBatchNormType(const ShapeDiag &diag, RankedTensorType input,
                             ArrayRef<RankedTensorType> perChannel,
                             double momentum, double eps) {
  if (input.getRank() < 2)
    return diag.emitError()
           << "expects input [batch, channels, ...] of rank at least 2, got "
           << diag.spell(input);
  int64_t channels = input.getDimSize(1);
  for (RankedTensorType t : perChannel) {
    if (t.getRank() != 1 || t.getDimSize(0) != channels)
      return diag.emitError()
             << "expects weight, bias and running statistics of shape ["
             << channels << "] for " << diag.spell(input) << ", got "
             << diag.spell(t);
    if (failed(checkSameElementType(diag, input, t)))
      return failure();
  }
  if (!(eps > 0))
    return diag.emitError() << "expects a positive eps, got " << eps;
  if (!(momentum >= 0 && momentum <= 1))
    return diag.emitError() << "expects a momentum in [0, 1], got " << momentum;
  return input;
}

FailureOr<RankedTensorType>
mlir::nn::inferLayerNormType(const ShapeDiag &diag, RankedTensorType input,
                             RankedTensorType weight, RankedTensorType bias,
                             double eps) {
  int64_t rank = weight.getRank();
  if (rank == 0 || rank > input.getRank() ||
      input.getShape().take_back(rank) != weight.getShape())
    return diag.emitError()
           << "expects a weight of the input's trailing dimensions, got "
           << diag.spell(weight) << " for " << diag.spell(input);
  if (bias.getShape() != weight.getShape())
    return diag.emitError()
           << "expects a bias of the weight's shape " << diag.spell(weight)
           << ", got " << diag.spell(bias);
  for (RankedTensorType t : {weight, bias})
    if (failed(checkSameElementType(diag, input, t)))
      return failure();
  if (!(eps > 0))
    return diag.emitError() << "expects a positive eps, got " << eps;
  return input;
}
