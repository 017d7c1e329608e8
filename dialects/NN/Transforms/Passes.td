//===- Passes.td - nn dialect passes -----------------------*- tablegen -*-===//

#ifndef NN_PASSES_TD
#define NN_PASSES_TD

include "mlir/Pass/PassBase.td"

#endif // NN_PASSES_TD
