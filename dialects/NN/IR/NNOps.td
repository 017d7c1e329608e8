//===- NNOps.td - nn dialect operations --------------------*- tablegen -*-===//
//
// Operations of the `nn` dialect. Every op works on statically shaped ranked
// tensors with value semantics. Ops whose result type follows from their
// operands implement InferTypeOpInterface; the shape rules live in NNShapes.cpp
// so that the model-language frontend reports the very same conditions.
//
//===----------------------------------------------------------------------===//

#ifndef NN_OPS_TD
#define NN_OPS_TD

include "dialects/NN/IR/NNBase.td"
include "dialects/NN/Interfaces/ActivationOpInterface.td"
include "dialects/NN/Interfaces/GradientFlowOpInterface.td"
include "dialects/NN/Interfaces/GradientOpInterface.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

def NN_FloatTensor : StaticShapeTensorOf<[AnyFloat]>;
def NN_IntTensor : StaticShapeTensorOf<[AnySignlessInteger]>;
def NN_ScalarFloatTensor : 0DTensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def NN_ParamOp : NN_Op<"param", [Pure,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>,
    DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "A trainable parameter.";
  let description = [{
    Declares a trainable parameter: its stable name (used in diagnostics,
    checkpoints and the generated C API), its shape and element type, and the
    distribution its initial value is drawn from. Inside a model the op
    stands for the parameter's current value; `nn-build-train-step` turns each
    one into state that the training step reads and updates.

    Example:

    ```mlir
    %w = nn.param "dense0.weight" init = normal(0.0, 0.05) : tensor<512x784xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, NN_InitAttr:$init);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $name `init` `=` custom<Init>($init) attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def NN_BufferOp : NN_Op<"buffer", [Pure,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>,
    DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Non-trainable state of a model.";
  let description = [{
    Declares state that the training step updates without a gradient, as
    PyTorch's buffers: batch normalization's running statistics. Like
    `nn.param` it has a stable name (used in checkpoints and the C API), a
    shape and an initial value; inside a model the op stands for its current
    value. `nn-build-train-step` turns each one into step state: the train
    step returns the value that the op reading it (`nn.batch_norm`) computes
    as its update, the eval step only reads it.

    Example:

    ```mlir
    %rv = nn.buffer "batch_norm0.running_var" init = constant(1.0) : tensor<32xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, NN_InitAttr:$init);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $name `init` `=` custom<Init>($init) attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

class NN_BinaryOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType,
        DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>])> {
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def NN_AddOp : NN_BinaryOp<"add", [Commutative]> {
  let summary = "Elementwise addition.";
  let description = [{
    `lhs + rhs` elementwise; both operands and the result have one type.
    The model language's `+` and residual connections produce it.

    ```mlir
    %r = nn.add %x, %h : tensor<64x256xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_SubOp : NN_BinaryOp<"sub"> {
  let summary = "Elementwise subtraction.";
  let description = [{
    `lhs - rhs` elementwise.

    ```mlir
    %r = nn.sub %a, %b : tensor<64x256xf32>
    ```
  }];
}

def NN_MulOp : NN_BinaryOp<"mul", [Commutative]> {
  let hasFolder = 1;
  let summary = "Elementwise multiplication.";
  let description = [{
    `lhs * rhs` elementwise (the Hadamard product, not a matrix product).

    ```mlir
    %r = nn.mul %a, %b : tensor<64x256xf32>
    ```
  }];
}

def NN_DivOp : NN_BinaryOp<"div"> {
  let summary = "Elementwise division.";
  let description = [{
    `lhs / rhs` elementwise.

    ```mlir
    %r = nn.div %a, %b : tensor<64x256xf32>
    ```
  }];
}

/// An elementwise activation: its math is its definition in
/// NNActivations.cpp (`getActivation`), from which its gradient and
/// gradient-flow rules follow.
class NN_ActivationOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType,
        DeclareOpInterfaceMethods<NN_ActivationOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface,
                                  ["getGradientBound"]>])> {
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::buildGradient(
        ::mlir::OpBuilder &b, ::mlir::Location loc, ::mlir::ValueRange dy,
        ::llvm::SmallVectorImpl<::mlir::Value> &dx) {
      return ::mlir::nn::buildActivationGradient(*this, getActivation(), b,
                                                 loc, dy, dx);
    }
    void $cppClass::inferFlowMoments(
        ::llvm::ArrayRef<::mlir::nn::FlowMoments> operands,
        ::llvm::SmallVectorImpl<::mlir::nn::FlowMoments> &results) {
      ::mlir::nn::inferActivationFlowMoments(getActivation(), operands,
                                             results);
    }
    void $cppClass::propagateFlowGradient(
        ::llvm::ArrayRef<::mlir::nn::FlowMoments> operands,
        ::llvm::ArrayRef<::mlir::nn::FlowMoments>,
        ::llvm::ArrayRef<::mlir::nn::FlowGradient> dy,
        ::llvm::SmallVectorImpl<::mlir::nn::FlowGradient> &dx) {
      ::mlir::nn::propagateActivationFlowGradient(getActivation(), operands,
                                                  dy, dx);
    }
    std::optional<double> $cppClass::getGradientBound() {
      return getActivation().getGradientBound();
    }
  }];
}

class NN_UnaryOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType,
        DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface,
                                  ["getGradientBound"]>])> {
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def NN_NegOp : NN_UnaryOp<"neg"> {
  let summary = "Elementwise negation.";
  let description = [{
    `-input` elementwise.

    ```mlir
    %r = nn.neg %x : tensor<8xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_ScaleOp : NN_Op<"scale", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Multiplication by a compile-time constant.";
  let description = [{
    `factor * input` elementwise. The model language's `2.0 * x` and `x / 4`
    produce it.

    ```mlir
    %r = nn.scale %x by 5.000000e-01 : tensor<8xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, F64Attr:$factor);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `by` $factor attr-dict `:` type($result)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Activations and other elementwise functions
//===----------------------------------------------------------------------===//

def NN_ReluOp : NN_ActivationOp<"relu"> {
  let summary = "Rectified linear unit.";
  let description = [{
    `max(input, 0)` elementwise.

    ```mlir
    %h = nn.relu %z : tensor<128x512xf32>
    ```
  }];
}

def NN_LeakyReluOp : NN_ActivationOp<"leaky_relu"> {
  let summary = "Leaky rectified linear unit.";
  let description = [{
    `input` where it is positive, `negative_slope * input` elsewhere
    (PyTorch's default slope is 0.01).

    ```mlir
    %h = nn.leaky_relu %z slope 1.000000e-02 : tensor<128x512xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input,
                       DefaultValuedAttr<F64Attr, "0.01">:$negative_slope);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `slope` $negative_slope attr-dict `:` type($result)";
}

def NN_SigmoidOp : NN_ActivationOp<"sigmoid"> {
  let summary = "Logistic sigmoid.";
  let description = [{
    `1 / (1 + exp(-input))` elementwise. Its derivative never exceeds 0.25,
    which is why deep sigmoid stacks lose their gradient.

    ```mlir
    %h = nn.sigmoid %z : tensor<128x256xf32>
    ```
  }];
}

def NN_TanhOp : NN_ActivationOp<"tanh"> {
  let summary = "Hyperbolic tangent.";
  let description = [{
    `tanh(input)` elementwise.

    ```mlir
    %h = nn.tanh %z : tensor<128x256xf32>
    ```
  }];
}

def NN_SiluOp : NN_ActivationOp<"silu"> {
  let summary = "Sigmoid-weighted linear unit (swish).";
  let description = [{
    `input * sigmoid(input)` elementwise.

    ```mlir
    %h = nn.silu %z : tensor<128x256xf32>
    ```
  }];
}

def NN_GeluOp : NN_ActivationOp<"gelu"> {
  let summary = "Gaussian error linear unit.";
  let description = [{
    `input * Phi(input)` with `Phi` the standard normal CDF; with the
    `tanh` attribute, PyTorch's `approximate='tanh'` form
    `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.

    ```mlir
    %h = nn.gelu %z : tensor<128x256xf32>
    %a = nn.gelu %z {tanh} : tensor<128x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, UnitAttr:$tanh);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def NN_SoftplusOp : NN_ActivationOp<"softplus"> {
  let summary = "Smooth approximation of relu.";
  let description = [{
    `log(1 + exp(beta * input)) / beta`, and `input` itself where
    `beta * input > threshold`, exactly as `torch.nn.Softplus` (defaults
    `beta = 1`, `threshold = 20`).

    ```mlir
    %h = nn.softplus %z beta 1.000000e+00 threshold 2.000000e+01 : tensor<8xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input,
                       DefaultValuedAttr<F64Attr, "1.0">:$beta,
                       DefaultValuedAttr<F64Attr, "20.0">:$threshold);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `beta` $beta `threshold` $threshold attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def NN_EluOp : NN_ActivationOp<"elu"> {
  let summary = "Exponential linear unit.";
  let description = [{
    `input` where it is positive, `alpha * (exp(input) - 1)` elsewhere.

    ```mlir
    %h = nn.elu %z alpha 1.000000e+00 : tensor<8xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input,
                       DefaultValuedAttr<F64Attr, "1.0">:$alpha);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `alpha` $alpha attr-dict `:` type($result)";
}

def NN_ExpOp : NN_UnaryOp<"exp"> {
  let summary = "Elementwise exponential.";
  let description = [{
    `exp(input)` elementwise.

    ```mlir
    %e = nn.exp %x : tensor<8xf32>
    ```
  }];
}

def NN_LogOp : NN_UnaryOp<"log"> {
  let summary = "Elementwise natural logarithm.";
  let description = [{
    `log(input)` elementwise.

    ```mlir
    %l = nn.log %x : tensor<8xf32>
    ```
  }];
}

def NN_SqrtOp : NN_UnaryOp<"sqrt"> {
  let summary = "Elementwise square root.";
  let description = [{
    `sqrt(input)` elementwise.

    ```mlir
    %s = nn.sqrt %x : tensor<8xf32>
    ```
  }];
}

class NN_SoftmaxLikeOp<string mnemonic>
    : NN_Op<mnemonic, [Pure, SameOperandsAndResultType, DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$dim);
  let hasVerifier = 1;
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `dim` $dim attr-dict `:` type($result)";
}

def NN_SoftmaxOp : NN_SoftmaxLikeOp<"softmax"> {
  let summary = "Softmax along one dimension.";
  let description = [{
    `exp(x_i) / sum_j exp(x_j)` along `dim`, computed stably.

    ```mlir
    %p = nn.softmax %logits dim 1 : tensor<128x10xf32>
    ```
  }];
}

def NN_LogSoftmaxOp : NN_SoftmaxLikeOp<"log_softmax"> {
  let summary = "Log-softmax along one dimension.";
  let description = [{
    `x_i - log(sum_j exp(x_j))` along `dim`, computed stably.

    ```mlir
    %lp = nn.log_softmax %logits dim 1 : tensor<128x10xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def NN_DenseOp : NN_Op<"dense", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Fully connected layer.";
  let description = [{
    `input @ weight^T + bias`, with PyTorch's `nn.Linear` layout: `input` is
    `[batch, in]`, `weight` is `[out, in]`, the optional `bias` is `[out]` and
    the result is `[batch, out]`.

    ```mlir
    %h = nn.dense %x, %w, %b : tensor<128x784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<128x512xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$weight,
                       Optional<NN_FloatTensor>:$bias);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)? `->` type($result)
  }];
}

def NN_MatmulOp : NN_Op<"matmul", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Matrix product with optional transposed operands.";
  let description = [{
    `op(lhs) @ op(rhs)` for 2-D operands, where `op` transposes the operand
    when `transpose_lhs` / `transpose_rhs` is set. The transposes are part of
    the op so that backward passes need no materialized transposes.

    ```mlir
    %c = nn.matmul %a, %b : tensor<64x32xf32>, tensor<32x16xf32> -> tensor<64x16xf32>
    %g = nn.matmul %dy, %x {transpose_lhs} : tensor<128x512xf32>, tensor<128x784xf32> -> tensor<512x784xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def NN_TransposeOp : NN_Op<"transpose", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Permutes dimensions.";
  let description = [{
    Result dimension `i` is operand dimension `permutation[i]`.

    ```mlir
    %t = nn.transpose %x [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input $permutation attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def NN_ReshapeOp : NN_Op<"reshape", [Pure, DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Reinterprets a tensor with another static shape.";
  let description = [{
    Same elements in row-major order, another shape with the same number of
    elements. The model language's `reshape` and `flatten` produce it.

    ```mlir
    %f = nn.reshape %x : tensor<64x1x28x28xf32> -> tensor<64x784xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_BroadcastOp : NN_Op<"broadcast", [Pure, DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Broadcasts a tensor to a larger shape.";
  let description = [{
    Operand dimension `i` becomes result dimension `dims[i]`; every other
    result dimension is new. An operand dimension must equal its result
    dimension. Autodiff uses it to undo reductions.

    ```mlir
    %b = nn.broadcast %v dims [1] : tensor<10xf32> -> tensor<128x10xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `dims` $dims attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_ConcatOp : NN_Op<"concat", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Concatenates tensors along one dimension.";
  let description = [{
    All inputs have the same rank and agree on every dimension but `dim`.

    ```mlir
    %c = nn.concat %a, %b dim 1 : tensor<8x3xf32>, tensor<8x5xf32> -> tensor<8x8xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$inputs, I64Attr:$dim);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $inputs `dim` $dim attr-dict `:` type($inputs) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

def NN_Conv2dOp : NN_Op<"conv2d", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>,
    DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "2-D convolution over NCHW images.";
  let description = [{
    PyTorch's `nn.Conv2d`: `input` is `[batch, in, height, width]`, `weight`
    is `[out, in / groups, kh, kw]`, the optional `bias` is `[out]`, and the
    result is `[batch, out, oh, ow]` with
    `oh = (height + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0] + 1`
    (likewise `ow`). `stride`, `padding` (zeros on both sides) and `dilation`
    are `[rows, columns]`; `groups` divides both `in` and `out`, and output
    channel `o` sees the input channels of group `o / (out / groups)`.

    ```mlir
    %y = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<128x1x28x28xf32>, tensor<32x1x3x3xf32>, tensor<32xf32> -> tensor<128x32x28x28xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$weight,
                       Optional<NN_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `stride` $stride `padding` $padding
    `dilation` $dilation `groups` $groups attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)? `->` type($result)
  }];
}

class NN_Pool2dOp<string mnemonic> : NN_Op<mnemonic, [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>,
    DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `kernel` $kernel `stride` $stride `padding` $padding attr-dict `:`
    type($input) `->` type($result)
  }];
}

def NN_MaxPool2dOp : NN_Pool2dOp<"max_pool2d"> {
  let summary = "2-D max pooling over NCHW images.";
  let description = [{
    PyTorch's `nn.MaxPool2d`: the maximum of each `kernel` window, windows
    `stride` apart, the input padded by `padding` on both sides (padding
    never wins). `kernel`, `stride` and `padding` are `[rows, columns]`;
    padding is at most half the kernel, so every window holds an input
    element. The result is `[batch, channels, oh, ow]` with
    `oh = (height + 2 * padding[0] - kernel[0]) / stride[0] + 1`.

    ```mlir
    %p = nn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<128x32x28x28xf32> -> tensor<128x32x14x14xf32>
    ```
  }];
}

def NN_AvgPool2dOp : NN_Pool2dOp<"avg_pool2d"> {
  let summary = "2-D average pooling over NCHW images.";
  let description = [{
    PyTorch's `nn.AvgPool2d` with its defaults: the mean of each `kernel`
    window, zero padding included in the count (`count_include_pad`).
    Shapes as `nn.max_pool2d`.

    ```mlir
    %p = nn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<128x32x28x28xf32> -> tensor<128x32x14x14xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Normalization and regularization
//===----------------------------------------------------------------------===//

def NN_BatchNormOp : NN_Op<"batch_norm", [Pure, InferTypeOpAdaptor,
    AllTypesMatch<["weight", "bias", "running_mean", "running_var"]>,
    DeclareOpInterfaceMethods<NN_GradientOpInterface,
                              ["isDifferentiableOperand"]>,
    DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Batch normalization with running statistics.";
  let description = [{
    PyTorch's `nn.BatchNorm1d/2d` (affine, tracking running statistics) over
    `input` `[batch, channels, ...]`, per channel: `weight`, `bias`,
    `running_mean` and `running_var` are `[channels]`.

    With `training`, the statistics are the batch's: `mean` and the biased
    `var` over every dimension but 1, `result = (input - mean) /
    sqrt(var + eps) * weight + bias`; the other two results are the updated
    running statistics, `(1 - momentum) * running + momentum * batch`, with
    the unbiased variance (`var * n / (n - 1)`, `n` elements per channel).
    Without `training` (the eval step), `result` uses `running_mean` and
    `running_var`, which are returned unchanged.

    ```mlir
    %y, %rm2, %rv2 = nn.batch_norm %x, %w, %b, %rm, %rv momentum 1.000000e-01 eps 1.000000e-05 {training} : tensor<128x32x28x28xf32>, tensor<32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$weight,
                       NN_FloatTensor:$bias, NN_FloatTensor:$running_mean,
                       NN_FloatTensor:$running_var, F64Attr:$momentum,
                       F64Attr:$eps, UnitAttr:$training);
  let results = (outs NN_FloatTensor:$result,
                      NN_FloatTensor:$new_running_mean,
                      NN_FloatTensor:$new_running_var);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var
    `momentum` $momentum `eps` $eps attr-dict `:` type($input) `,`
    type($weight)
  }];
}

def NN_LayerNormOp : NN_Op<"layer_norm", [Pure, InferTypeOpAdaptor,
    AllTypesMatch<["weight", "bias"]>,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>,
    DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Layer normalization over trailing dimensions.";
  let description = [{
    PyTorch's `nn.LayerNorm` with elementwise affine: normalizes `input`
    over its trailing dimensions, those of `weight` and `bias`' shape
    (`normalized_shape`): `(input - mean) / sqrt(var + eps) * weight + bias`
    with the biased variance.

    ```mlir
    %y = nn.layer_norm %x, %w, %b eps 1.000000e-05 : tensor<128x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$weight,
                       NN_FloatTensor:$bias, F64Attr:$eps);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `eps` $eps attr-dict `:` type($input) `,`
    type($weight)
  }];
}

def NN_DropoutOp : NN_Op<"dropout", [Pure, AllTypesMatch<["input", "result"]>,
    AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>,
    DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Dropout with a counter-based, per-step mask.";
  let description = [{
    With `training`, zeroes each element with probability `p` and scales
    the others by `1 / (1 - p)`, as `F.dropout`; without it (the eval
    step), the identity. The mask is a hash of (`seed`, `step`, the
    element's row-major index), so it is the same whenever the same step is
    replayed and needs no state: with `k = fmix32(seed + 0x9E3779B9 * step)`
    (32-bit arithmetic, `fmix32` the MurmurHash3 finalizer), an element is
    kept when `(fmix32(index ^ k) >> 8) * 2^-24 >= p`. `step` is the train
    step's step counter (`nn-build-train-step` supplies it); without it the
    step is 0.

    `offset`, if given, is the global index of the batch's first example
    (along dimension 0): the index hashed is then that of the element in
    the global batch, `index + offset * (elements per example)`, so that
    processes that each hold a slice of one global batch draw the masks
    one process would draw for all of it. Without it the offset is 0.

    ```mlir
    %h = nn.dropout %x, %step p 5.000000e-01 seed 0 {training} : tensor<128x512xf32>, tensor<f64>
    %g = nn.dropout %x, %step offset %first : tensor<f64> p 5.000000e-01 seed 0 {training} : tensor<64x512xf32>, tensor<f64>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input,
                       Optional<NN_ScalarFloatTensor>:$step,
                       Optional<NN_ScalarFloatTensor>:$offset, F64Attr:$p,
                       I64Attr:$seed, UnitAttr:$training);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`,` $step^)? (`offset` $offset^ `:` type($offset))? `p` $p
    `seed` $seed attr-dict `:` type($input) (`,` type($step)^)?
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class NN_ReduceOp<string mnemonic>
    : NN_Op<mnemonic, [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$dims,
                       UnitAttr:$keepdim);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `dims` $dims attr-dict `:` type($input) `->` type($result)
  }];
}

def NN_SumOp : NN_ReduceOp<"sum"> {
  let summary = "Sum over dimensions.";
  let description = [{
    Sums over the listed dimensions (all of them when the list is empty);
    with `keepdim` the reduced dimensions stay as size 1.

    ```mlir
    %s = nn.sum %x dims [0] : tensor<128x10xf32> -> tensor<10xf32>
    ```
  }];
}

def NN_MeanOp : NN_ReduceOp<"mean"> {
  let summary = "Mean over dimensions.";
  let description = [{
    Averages over the listed dimensions (all of them when the list is
    empty); with `keepdim` the reduced dimensions stay as size 1.

    ```mlir
    %m = nn.mean %x dims [] : tensor<128x10xf32> -> tensor<f32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def NN_CrossEntropyOp : NN_Op<"cross_entropy", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "Softmax cross-entropy with integer class labels.";
  let description = [{
    `mean_b(-log_softmax(logits)[b, labels[b]])`, as
    `torch.nn.functional.cross_entropy` with its default mean reduction.
    `logits` is `[batch, classes]`, `labels` is `[batch]` of integers in
    `[0, classes)`; the result is a scalar. Labels have no gradient.

    ```mlir
    %l = nn.cross_entropy %logits, %y : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_IntTensor:$labels);
  let results = (outs NN_ScalarFloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels) `->` type($result)
  }];
}

def NN_MseOp : NN_Op<"mse", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>,
    AllTypesMatch<["input", "target"]>]> {
  let summary = "Mean squared error.";
  let description = [{
    `mean((input - target)^2)` over every element, as
    `torch.nn.functional.mse_loss`.

    ```mlir
    %l = nn.mse %pred, %t : tensor<16x1xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$target);
  let results = (outs NN_ScalarFloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $target attr-dict `:` type($input) `->` type($result)
  }];
}

def NN_BceWithLogitsOp : NN_Op<"bce_with_logits", [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<NN_GradientOpInterface>,
        DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>,
    AllTypesMatch<["logits", "target"]>]> {
  let summary = "Binary cross-entropy on logits.";
  let description = [{
    `mean(max(x, 0) - x * t + log(1 + exp(-|x|)))` over every element, as
    `torch.nn.functional.binary_cross_entropy_with_logits`; `target` holds
    probabilities in `[0, 1]`.

    ```mlir
    %l = nn.bce_with_logits %logits, %t : tensor<16x1xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_FloatTensor:$target);
  let results = (outs NN_ScalarFloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $target attr-dict `:` type($logits) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Training-step ops: produced by nn-autodiff and nn-build-train-step
//===----------------------------------------------------------------------===//

def NN_OneHotOp : NN_Op<"one_hot", [Pure,
    DeclareOpInterfaceMethods<NN_GradientFlowOpInterface>]> {
  let summary = "One-hot encoding of integer class labels.";
  let description = [{
    `result[i..., c] = (labels[i...] == c) ? 1 : 0` for `c` in
    `[0, classes)`, where `classes` is the size of the result's last
    dimension. Labels outside that range give an all-zero row.

    ```mlir
    %h = nn.one_hot %y : tensor<128xi32> -> tensor<128x10xf32>
    ```
  }];
  let arguments = (ins NN_IntTensor:$labels);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$labels attr-dict `:` type($labels) `->` type($result)";
  let hasVerifier = 1;
}

def NN_ActivationGradOp : NN_Op<"activation_grad", [Pure,
    AllTypesMatch<["input", "output", "result_grad", "result"]>]> {
  let summary = "Derivative of an activation, applied to a cotangent.";
  let description = [{
    `result = f'(input) * result_grad` for the activation `f` named by
    `kind`, given the forward `input` and the forward `output = f(input)`,
    so that no forward value is recomputed. The parameters are those of the
    forward op: `alpha` is leaky_relu's negative slope or elu's alpha;
    `beta` and `threshold` are softplus's.

    ```mlir
    %dx = nn.activation_grad sigmoid %x, %y, %dy : tensor<128x256xf32>
    ```
  }];
  let arguments = (ins NN_ActivationKind:$kind, NN_FloatTensor:$input,
                       NN_FloatTensor:$output, NN_FloatTensor:$result_grad,
                       DefaultValuedAttr<F64Attr, "0.0">:$alpha,
                       DefaultValuedAttr<F64Attr, "1.0">:$beta,
                       DefaultValuedAttr<F64Attr, "20.0">:$threshold);
  let results = (outs NN_FloatTensor:$result);
  let extraClassDeclaration = [{
    /// The activation whose derivative this is, with its parameters.
    ::mlir::nn::Activation getActivation();
  }];
  let assemblyFormat = [{
    $kind $input `,` $output `,` $result_grad attr-dict `:` type($result)
  }];
}

def NN_Conv2dGradInputOp : NN_Op<"conv2d_grad_input", [Pure]> {
  let summary = "Cotangent of a convolution's input.";
  let description = [{
    The vector-Jacobian product of `nn.conv2d` with respect to its input:
    given the cotangent `result_grad` of the convolution's result and its
    `weight`, the cotangent of the input, whose type is the result type. The
    attributes are the forward convolution's.

    ```mlir
    %dx = nn.conv2d_grad_input %dy, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<128x64x14x14xf32>, tensor<64x32x3x3xf32> -> tensor<128x32x14x14xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$result_grad, NN_FloatTensor:$weight,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $result_grad `,` $weight `stride` $stride `padding` $padding `dilation`
    $dilation `groups` $groups attr-dict `:` type($result_grad) `,`
    type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_Conv2dGradWeightOp : NN_Op<"conv2d_grad_weight", [Pure]> {
  let summary = "Cotangent of a convolution's weight.";
  let description = [{
    The vector-Jacobian product of `nn.conv2d` with respect to its weight:
    given the cotangent `result_grad` of the convolution's result and its
    `input`, the cotangent of the weight, whose type is the result type. The
    attributes are the forward convolution's.

    ```mlir
    %dw = nn.conv2d_grad_weight %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<128x64x14x14xf32>, tensor<128x32x14x14xf32> -> tensor<64x32x3x3xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$result_grad, NN_FloatTensor:$input,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $result_grad `,` $input `stride` $stride `padding` $padding `dilation`
    $dilation `groups` $groups attr-dict `:` type($result_grad) `,`
    type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_MaxPool2dGradOp : NN_Op<"max_pool2d_grad", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "Cotangent of a max pooling's input.";
  let description = [{
    Routes each element of `result_grad` to the first maximum (in row-major
    window order, as PyTorch) of its window of the forward `input`; windows
    that overlap add up. The attributes are the forward pooling's.

    ```mlir
    %dx = nn.max_pool2d_grad %x, %dy kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<128x32x28x28xf32>, tensor<128x32x14x14xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$result_grad,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $result_grad `kernel` $kernel `stride` $stride `padding`
    $padding attr-dict `:` type($input) `,` type($result_grad)
  }];
  let hasVerifier = 1;
}

def NN_AvgPool2dGradOp : NN_Op<"avg_pool2d_grad", [Pure]> {
  let summary = "Cotangent of an average pooling's input.";
  let description = [{
    Spreads each element of `result_grad`, divided by the window size, over
    its window; the result has the forward input's type. The attributes are
    the forward pooling's.

    ```mlir
    %dx = nn.avg_pool2d_grad %dy kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<128x32x14x14xf32> -> tensor<128x32x28x28xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$result_grad, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $result_grad `kernel` $kernel `stride` $stride `padding` $padding
    attr-dict `:` type($result_grad) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_BatchNormGradOp : NN_Op<"batch_norm_grad", [Pure,
    AllTypesMatch<["input", "result_grad", "input_grad"]>,
    AllTypesMatch<["weight", "weight_grad", "bias_grad"]>]> {
  let summary = "Cotangents of a training-mode batch normalization.";
  let description = [{
    The vector-Jacobian product of `nn.batch_norm {training}` with respect
    to its input, weight and bias, given the forward `input`, `weight` and
    `eps` and the cotangent `result_grad` (`dy`) of its first result. With
    the batch statistics recomputed from `input` (`xhat = (input - mean) *
    invstd`, reductions over every dimension but 1, `n` elements each):
    `input_grad = weight * invstd * (dy - sum(dy) / n - xhat * sum(dy *
    xhat) / n)`, `weight_grad = sum(dy * xhat)`, `bias_grad = sum(dy)`. One
    op, so that the lowering needs two passes over the input besides the
    statistics, which it shares with the forward op.

    ```mlir
    %dx, %dw, %db = nn.batch_norm_grad %x, %w, %dy eps 1.000000e-05 : tensor<128x32x28x28xf32>, tensor<32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$weight,
                       NN_FloatTensor:$result_grad, F64Attr:$eps);
  let results = (outs NN_FloatTensor:$input_grad, NN_FloatTensor:$weight_grad,
                      NN_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $input `,` $weight `,` $result_grad `eps` $eps attr-dict `:` type($input)
    `,` type($weight)
  }];
  let hasVerifier = 1;
}

def NN_ClipGradNormOp : NN_Op<"clip_grad_norm", [Pure, InferTypeOpAdaptor]> {
  let summary = "Scales gradients down to a maximum global norm.";
  let description = [{
    As `torch.nn.utils.clip_grad_norm_`: with `n` the L2 norm of all
    gradients taken together, every gradient is multiplied by
    `min(1, max_norm / (n + 1e-6))`. Also returns `n`, the norm before
    clipping.

    ```mlir
    %g:3 = nn.clip_grad_norm %g0, %g1 max_norm 1.000000e+00 : tensor<10x784xf32>, tensor<10xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$gradients, F64Attr:$max_norm);
  let results = (outs Variadic<NN_FloatTensor>:$clipped,
                      NN_ScalarFloatTensor:$norm);
  let assemblyFormat = [{
    $gradients `max_norm` $max_norm attr-dict `:` type($gradients)
  }];
}

def NN_GradientRmsOp : NN_Op<"gradient_rms", [Pure]> {
  let summary = "Root mean square of each gradient, for instrumentation.";
  let description = [{
    `result[i] = sqrt(mean(gradients[i]^2))`, accumulated in f64: squares
    of f32 values cannot overflow there, so an entry is NaN or infinite
    exactly when its gradient has a NaN or infinite element.
    `nn-build-train-step` adds it with `grad-stats`, so that a training step
    reports its gradients' sizes (`<model>_grad_rms` in the C API).

    ```mlir
    %r = nn.gradient_rms %g0, %g1 : tensor<512x784xf32>, tensor<512xf32> -> tensor<2xf64>
    ```
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$gradients);
  let results = (outs 1DTensorOf<[F64]>:$result);
  let assemblyFormat = [{
    $gradients attr-dict `:` type($gradients) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_SgdUpdateOp : NN_Op<"sgd_update", [Pure,
    AllTypesMatch<["param", "grad", "momentum_buffer", "new_param",
                   "new_momentum_buffer"]>, AllTypesMatch<["lr", "step"]>]> {
  let summary = "One SGD step on one parameter, as torch.optim.SGD.";
  let description = [{
    With `g = grad + weight_decay * param`: without momentum,
    `new_param = param - lr * g`. With momentum, `b = momentum * buffer +
    (1 - dampening) * g` (just `g` on the first step, `step == 1`), then
    `new_param = param - lr * (nesterov ? g + momentum * b : b)`. `lr` and
    `step` are runtime scalars so that schedules need no recompilation.

    ```mlir
    %p2, %b2 = nn.sgd_update %p, %g, %b, %lr, %step {momentum = 9.000000e-01 : f64} : tensor<10xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       NN_FloatTensor:$momentum_buffer,
                       NN_ScalarFloatTensor:$lr, NN_ScalarFloatTensor:$step,
                       DefaultValuedAttr<F64Attr, "0.0">:$momentum,
                       DefaultValuedAttr<F64Attr, "0.0">:$dampening,
                       UnitAttr:$nesterov,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_decay);
  let results = (outs NN_FloatTensor:$new_param,
                      NN_FloatTensor:$new_momentum_buffer);
  let assemblyFormat = [{
    $param `,` $grad `,` $momentum_buffer `,` $lr `,` $step attr-dict `:`
    type($param) `,` type($lr)
  }];
}

def NN_AdamUpdateOp : NN_Op<"adam_update", [Pure,
    AllTypesMatch<["param", "grad", "exp_avg", "exp_avg_sq", "new_param",
                   "new_exp_avg", "new_exp_avg_sq"]>,
    AllTypesMatch<["lr", "step"]>]> {
  let summary = "One Adam or AdamW step on one parameter, as torch.optim.";
  let description = [{
    `m = beta1 * m + (1 - beta1) * g`, `v = beta2 * v + (1 - beta2) * g^2`,
    `param -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) +
    eps)`. Weight decay adds `weight_decay * param` to `g` (Adam), or with
    `decoupled` (AdamW) first multiplies `param` by `1 - lr * weight_decay`.
    `step` counts from 1.

    ```mlir
    %p2, %m2, %v2 = nn.adam_update %p, %g, %m, %v, %lr, %step : tensor<10xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       NN_FloatTensor:$exp_avg, NN_FloatTensor:$exp_avg_sq,
                       NN_ScalarFloatTensor:$lr, NN_ScalarFloatTensor:$step,
                       DefaultValuedAttr<F64Attr, "0.9">:$beta1,
                       DefaultValuedAttr<F64Attr, "0.999">:$beta2,
                       DefaultValuedAttr<F64Attr, "1e-8">:$eps,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_decay,
                       UnitAttr:$decoupled);
  let results = (outs NN_FloatTensor:$new_param, NN_FloatTensor:$new_exp_avg,
                      NN_FloatTensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $lr `,` $step attr-dict
    `:` type($param) `,` type($lr)
  }];
}

#endif // NN_OPS_TD
