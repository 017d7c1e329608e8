//===- NNBase.td - The nn dialect definition ---------------*- tablegen -*-===//
//
// The `nn` dialect: neural-network layers, losses and parameters on
// statically shaped, value-semantic tensors.
//
//===----------------------------------------------------------------------===//

#ifndef NN_BASE_TD
#define NN_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::mlir::nn";
  let summary = "Neural-network layers, losses and parameters on tensors.";
  let description = [{
    The `nn` dialect describes a model the way its author wrote it: layers
    (`nn.dense`), activations (`nn.relu`), losses (`nn.cross_entropy`) and
    trainable parameters (`nn.param`) on statically shaped ranked tensors with
    value semantics. A model is a `func.func` carrying the `nn.model` unit
    attribute; its arguments are the inputs and labels, its first result is
    the scalar loss and the remaining results are the model's outputs.

    Every op keeps the location of the model-file expression it came from, so
    analyses and code generation can point back at the source.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    // The attributes of nnc's IR contract, all verified by the dialect
    // (NNContract.cpp): what the frontend, the step builder and code
    // generation write and read on functions and their arguments.

    /// `func.func` is a model: unit attribute (one block ending in
    /// `func.return`, a scalar float loss first).
    static constexpr ::llvm::StringLiteral kModelAttrName = "nn.model";
    /// The model's `train` section: a dictionary.
    static constexpr ::llvm::StringLiteral kTrainAttrName = "nn.train";
    /// An argument's or result's name: a string.
    static constexpr ::llvm::StringLiteral kArgNameAttrName = "nn.name";
    static constexpr ::llvm::StringLiteral kResultNameAttrName = "nn.name";
    /// The argument is a label: unit attribute.
    static constexpr ::llvm::StringLiteral kLabelAttrName = "nn.label";
    /// An input's calibrated statistics (`--calibrate`): a dictionary.
    static constexpr ::llvm::StringLiteral kInputStatsAttrName =
        "nn.input_stats";
    /// A gradient function's model: a symbol reference.
    static constexpr ::llvm::StringLiteral kGradientOfAttrName =
        "nn.gradient_of";
    /// A gradient function's result, or a gradient or update step's
    /// gradient result or argument: the parameter it is the gradient of.
    static constexpr ::llvm::StringLiteral kGradOfAttrName = "nn.grad_of";
    /// A step function: "train", "eval", or the training step's halves,
    /// "grad" and "update".
    static constexpr ::llvm::StringLiteral kStepAttrName = "nn.step";
    /// A step function's model: a string.
    static constexpr ::llvm::StringLiteral kModelNameAttrName =
        "nn.model_name";
    /// A step argument holding a parameter, buffer or optimizer state
    /// tensor: its name, a string.
    static constexpr ::llvm::StringLiteral kParamAttrName = "nn.param";
    static constexpr ::llvm::StringLiteral kBufferAttrName = "nn.buffer";
    static constexpr ::llvm::StringLiteral kStateAttrName = "nn.state";
    /// A parameter's or buffer's initializer: `#nn.init<...>`.
    static constexpr ::llvm::StringLiteral kInitAttrName = "nn.init";
    /// A step argument the step writes its result into: unit attribute.
    static constexpr ::llvm::StringLiteral kResultAttrName = "nn.result";
    /// The step argument that is its workspace: unit attribute.
    static constexpr ::llvm::StringLiteral kWorkspaceAttrName = "nn.workspace";
    /// A step's workspace in bytes: a non-negative integer.
    static constexpr ::llvm::StringLiteral kWorkspaceSizeAttrName =
        "nn.workspace_size";
  }];
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def NN_InitKind : I32EnumAttr<"InitKind", "parameter initialization distribution", [
    I32EnumAttrCase<"Normal", 0, "normal">,
    I32EnumAttrCase<"Uniform", 1, "uniform">,
    I32EnumAttrCase<"TruncatedNormal", 2, "truncated_normal">,
    I32EnumAttrCase<"Constant", 3, "constant">]> {
  let cppNamespace = "::mlir::nn";
  let genSpecializedAttr = 0;
}

def NN_ActivationKind : I32EnumAttr<"ActivationKind",
    "activation whose derivative nn.activation_grad computes", [
    I32EnumAttrCase<"Relu", 0, "relu">,
    I32EnumAttrCase<"LeakyRelu", 1, "leaky_relu">,
    I32EnumAttrCase<"Sigmoid", 2, "sigmoid">,
    I32EnumAttrCase<"Tanh", 3, "tanh">,
    I32EnumAttrCase<"Silu", 4, "silu">,
    I32EnumAttrCase<"Gelu", 5, "gelu">,
    I32EnumAttrCase<"GeluTanh", 6, "gelu_tanh">,
    I32EnumAttrCase<"Softplus", 7, "softplus">,
    I32EnumAttrCase<"Elu", 8, "elu">]> {
  let cppNamespace = "::mlir::nn";
}

def NN_InitAttr : AttrDef<NN_Dialect, "Init"> {
  let mnemonic = "init";
  let summary = "A resolved parameter initializer.";
  let description = [{
    The distribution a parameter's initial values are drawn from, with every
    fan-dependent quantity already computed by the frontend:

    - `normal(mean, std)`: Gaussian;
    - `uniform(low, high)`: uniform on `[low, high)`;
    - `truncated_normal(mean, std)`: Gaussian truncated to two standard
      deviations, as Keras and `torch.nn.init.trunc_normal_` do;
    - `constant(value)`: every element equals `value`.

    Example: `#nn.init<uniform(-0.0357, 0.0357)>`.
  }];
  let parameters = (ins "InitKind":$kind, "::llvm::APFloat":$a,
                        "::llvm::APFloat":$b);
  let builders = [
    AttrBuilder<(ins "InitKind":$kind, "double":$a, "double":$b), [{
      return $_get($_ctxt, kind, ::llvm::APFloat(a), ::llvm::APFloat(b));
    }]>
  ];
  let skipDefaultBuilders = 1;
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The variance of the distribution: what gradient-flow analysis needs.
    double getVariance() const;
    /// The mean of the distribution.
    double getMean() const;
  }];
}

#endif // NN_BASE_TD
