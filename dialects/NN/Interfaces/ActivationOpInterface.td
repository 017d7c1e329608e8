//===- ActivationOpInterface.td - Elementwise activations --*- tablegen -*-===//
//
// An activation's math is stated once: its scalar function, its derivative,
// their numeric evaluation, its gradient bound and where it saturates. The
// lowering, the gradient rule and the gradient-flow rule all ask this
// interface instead of knowing the op.
//
//===----------------------------------------------------------------------===//

#ifndef NN_ACTIVATION_OP_INTERFACE_TD
#define NN_ACTIVATION_OP_INTERFACE_TD

include "mlir/IR/OpBase.td"

def NN_ActivationOpInterface : OpInterface<"ActivationOpInterface"> {
  let cppNamespace = "::mlir::nn";
  let description = [{
    An elementwise activation `result = f(input)`. The op names its
    definition and parameters (`getActivation`); the definition, written
    once in `dialects/NN/IR/NNActivations.cpp` over a scalar algebra, gives
    `f` and `f'` both as `arith`/`math` ops on scalars (for the lowering to
    `linalg` and for `nn.activation_grad`) and as functions of a `double`
    (for the gradient-flow analysis), plus the bound of `|f'|` and the
    region of inputs where `f'` is small.
  }];
  let methods = [
    InterfaceMethod<[{
        The activation this op computes, with the parameters its attributes
        give.
      }],
      "::mlir::nn::Activation", "getActivation", (ins)>
  ];
}

#endif // NN_ACTIVATION_OP_INTERFACE_TD
