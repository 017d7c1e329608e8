//===- Passes.td - nnc code generation passes --------------*- tablegen -*-===//

#ifndef NNC_CODEGEN_PASSES_TD
#define NNC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def CPUTileAndVectorizePass
    : Pass<"nnc-cpu-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tiles linalg ops for registers and caches and vectorizes them";
  let description = [{
    The CPU strategy for bufferized `linalg` ops with static shapes:

    - Matrix products (contractions with one M, N and K dimension) are tiled
      to an `mr x nr` register tile over `scf.for` loops on M and N, with K
      innermost in steps of one, then vectorized to `vector.contract` and
      lowered to outer products, i.e. broadcast-FMA sequences; the
      accumulator tile stays in registers across the K loop once redundant
      transfers are hoisted. With `threads > 1` the outer M (or N) range is
      split across threads with `scf.forall`.
    - Every other op is tiled to rows of its innermost dimension, in chunks
      of up to `chunk` elements, and vectorized.

    `mr` and `nr` are the largest candidates that divide the op's sizes, so
    no remainder loops are needed. Ops that cannot be vectorized stay as
    they are and later become scalar loops.

    Input: `linalg` on memrefs (after one-shot bufferization). Output:
    `scf` loops over `vector` ops, plus any `linalg` op left unvectorized.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "Split large ops across this many threads with scf.forall">,
    Option<"chunk", "chunk", "int64_t", /*default=*/"64",
           "Maximum vector length, in elements, for non-contraction ops">,
    Option<"lowerVectors", "lower-vectors", "bool", /*default=*/"true",
           "Lower vector.contract to FMAs and transfers to loads and stores">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // NNC_CODEGEN_PASSES_TD
