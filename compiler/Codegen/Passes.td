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
      to an `mr x nr` register tile over `scf.for` loops on N (outer) and M,
      with K innermost in steps of one, so that the M loop sweeps one
      `[K, nr]` panel of the right operand while it is in cache; K longer
      than 256 is first blocked so that the panel fits in L1. A right
      operand stored `[N, K]` is first packed into a `[K, nr]`-readable
      copy. The tile is vectorized (a broadcast multiply and a reduction,
      folded into `vector.contract`) and lowered to outer products, i.e.
      broadcast-FMA sequences; the accumulator tile stays in registers
      across the K loop, read before it and written after it. With
      `threads > 1` the larger of the M and N ranges is first split across
      threads with `scf.forall`, and the register tile is chosen to divide
      each thread's slice. With the plan's `pack_panels`, the N loop first
      copies its `[kc, nr]` panel of the right operand into a contiguous
      buffer (one per thread, allocated next to the product) that the M
      loop reads instead. Where K is not blocked, a fill or bias broadcast
      that only initializes the product's output moves into each tile,
      right before its K loop, instead of making a pass of its own.
    - Window contractions, the direct convolutions that
      `convert-nn-to-linalg` writes (`out[q, o] += wT[i, j, c, o] *
      flat[q + a * i + b * j + s, c]`, loops `(q, o, i, j, c)`), get a
      register tile of `mr` positions (broadcasts from `flat`, whose
      channels are innermost) times `nr` output channels (vectors of
      `wT`), 6 x 16 where the sizes allow: loops over `q` tiles (outer,
      split across threads with `threads > 1`) and `o` tiles, then `i`,
      `j` and `c` as one long K loop that reads `flat` at the shifted row.
      The accumulator tile stays in registers for the whole window, and a
      fill or bias broadcast that only initializes it moves into the tile.
      Over the valid output positions only (loops `(n, y, x, o, i, j, c)`,
      output `[n, oh, ow, out]`, `flat` read at `A * n + B * y + x +
      shift`), the position loops are `n`, `y` and `x` tiles of `mr`, a
      divisor of the row (threads split `n`), so no tile covers a gap.
      The weight-gradient form (`dW[i, j, c, o] += flat[row + shift, c] *
      dy[p..., o]`, loops `(i, j, c, o, p...)` over `q` or `(n, y, x)`) is
      tiled like one product over all kernel offsets: the positions
      blocked (`q`, or whole lines of `(n, y)`), then `o` tiles, the
      offsets and `c` tiles (threads split `o`, or else `c`), the
      positions innermost.
    - Transposes that move the innermost dimension are tiled to
      one square block of the two dimensions that trade places (the others
      one at a time), a vector transpose each.
    - Every other op is tiled to rows of its innermost dimension, in chunks
      of up to `chunk` elements, and vectorized. Rows of at most half a
      chunk (channels-last images with few channels) go several at a time,
      as many rows of the next (parallel) dimension as fit in a chunk and
      divide it.
    - With `threads > 1`, transposes and those other ops, when large (at
      least 16384 elements) and with a parallel outermost dimension that
      the threads divide, have that dimension split across threads first.

    `mr` and `nr` are the largest candidates that divide the op's sizes, so
    no remainder loops are needed. For the three product forms, register
    tile, K block and thread split are the plan `nnc-cpu-strategy` recorded
    on the op (`nnc.cpu.tiles`); an op without one gets the same plan
    (compiler/Codegen/CPU/TilePlan.cpp) computed here, and a plan that does
    not divide the op is an error. Ops that cannot be vectorized stay as
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
           "Lower vector.contract to FMAs and transfers to loads and stores">,
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"256",
           "Bits of one vector register, for products without a plan">,
    Option<"vectorRegisters", "vector-registers", "int64_t",
           /*default=*/"16", "Vector registers, for products without a plan">
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def FuseElementwisePass : Pass<"nnc-fuse-elementwise", "::mlir::ModuleOp"> {
  let summary = "Fuses elementwise producers into their consumers, except "
                "into matrix products";
  let description = [{
    Upstream elementwise fusion on tensors, with one rule: a producer is not
    fused into a contraction (a `linalg` op whose body is a multiply-add
    reduction). Fusing, say, a relu into a matrix product would put the
    relu in the innermost loop of the product and hide the product from
    the register-tiling strategy; the relu stays a separate, vectorized
    pass over its tensor instead. Window contractions (direct
    convolutions, whose input map is shifted rather than a projected
    permutation) are spared for the same reason. Two more rules keep fusion
    from recomputing work: a producer read through a broadcast (a
    per-channel statistic in an image-sized consumer) is not fused, and a
    producer that other users keep materialized is fused only while the
    fused op reads at most four tensors (otherwise, along a chain of
    residual blocks, consumers snowball into ops that reread many earlier
    tensors).

    Input and output: `linalg` on tensors.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def PropagateChannelsLastPass
    : Pass<"nnc-propagate-channels-last", "::mlir::ModuleOp"> {
  let summary = "Moves the image ops between direct convolutions to "
                "channels-last, so that their transposes cancel";
  let description = [{
    Direct convolutions read and write images channels-last (`[n, h, w,
    c]`), and `convert-nn-to-linalg` wraps each in transposes from and to
    the nn layout, `[n, c, h, w]`. The ops in between (batch norm, relu,
    residual sums, their gradients) would then pay a transpose on every
    side of every convolution.

    This pass rebuilds such an op channels-last when that removes more
    transposes than it adds. It applies to a `linalg.generic` on static
    tensors with four loops, whose 4-D operands (images) all use the
    identity map, whose other operands (per-channel or per-image values)
    use projected permutations, and whose body has no `linalg.index`. The
    rebuilt op has loops `(n, h, w, c)` and reads and writes images
    channels-last. An image input that is a transpose from channels-last
    is replaced by that transpose's source (a saving), any other image
    input by a new transpose (a cost); the image results go back through
    transposes to channels-first for the old users, which cancel against
    a user's transpose to channels-last (a saving) or feed users that move
    in turn. Pairs of transposes that undo each other fold away, and
    transposes left without users go. The pass repeats until no op is
    profitable to move. Then it tries each tie (an op whose move adds as
    many transposes as it removes, which can unblock neighbours that each
    wait for the other) on a copy of the module, with the moves that follow,
    and keeps the copy only if its image transposes move fewer elements.

    Input and output: `linalg` on tensors; the results are unchanged (only
    the order of elementwise work and the layout of temporaries change).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def SplitReductionsPass : Pass<"nnc-split-reductions"> {
  let summary = "Splits reductions in two stages: vectorizable or "
                "thread-parallel partials, then a small reduction";
  let description = [{
    A `linalg.generic` on tensors that reduces its leading loop dimensions
    and its innermost one, with a parallel dimension in between (say a
    bias gradient or batch-norm statistics, `[n, c, h, w] -> [c]`), or that
    reduces all of its two or more dimensions (a gradient's squared norm,
    `[m, n] -> []`, whose innermost dimension then counts as the "other"
    one), is split in two:

    1. the same body over the same loops, reducing only the leading
       dimensions, into partials shaped like the other loop dimensions
       (`[c, h, w]`), which start from the combining op's neutral element;
    2. a reduction of the partials over the remaining reduction dimensions
       into the original accumulators.

    Stage 1 vectorizes along the innermost dimension with vertical adds;
    only stage 2, smaller by the leading dimensions' extent, needs
    horizontal reductions.

    A reduction whose two or more leading dimensions are reduced and whose
    innermost dimension is parallel (batch-norm statistics channels-last,
    `[n, h, w, c] -> [c]`) is split the other way: stage 1 keeps the
    outermost dimension as parallel partials (`[n, c]`), so that threads
    can split it, and stage 2 reduces the partials over it. This split
    only pays with `threads > 1` (on one thread it measured 3-4% slower on
    the ResNet step), so it applies only then. Each result must be `combine(accumulator, value)`
    with `combine` one of `arith.addf`, `arith.maximumf`, `arith.minimumf`
    and the accumulator used nowhere else; other reductions are left alone.
    Reassociating floating-point sums changes rounding.

    Input and output: `linalg` on tensors with static shapes.
  }];
  let options = [
    Option<"minLeading", "min-leading", "int64_t", /*default=*/"8",
           "Split only when the leading reduction covers at least this "
           "many elements">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "Threads the code may use; with more than one, reductions with "
           "an innermost parallel dimension are split too">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def StaticWorkspacePass
    : Pass<"nnc-static-workspace", "::mlir::func::FuncOp"> {
  let summary = "Plans every temporary buffer into one workspace argument";
  let description = [{
    Replaces each static `memref.alloc` in the function's entry block with a
    `memref.view` into a new trailing `memref<Nxi8>` argument (marked
    `nn.workspace`), and erases the matching deallocations. Offsets come from
    a static plan: a buffer is live from its allocation to its last use
    (through views), and buffers whose lifetimes do not overlap share
    memory; each is placed at the lowest 64-byte-aligned offset that is free
    for its whole lifetime, largest buffers first. The function gets
    `nn.workspace_size` (bytes). After this pass, running the function
    allocates nothing on the heap.

    Only functions with `nn.step` are planned. An allocation with a dynamic
    size or inside a loop is reported as an error: it would allocate on
    every step.

    Input: bufferized step functions without deallocation ops inserted by
    other passes. Output: the same functions, allocation-free.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def MathApproximationPass
    : Pass<"nnc-math-approximation", "::mlir::func::FuncOp"> {
  let summary = "Replaces transcendental math ops by polynomial approximations";
  let description = [{
    Rewrites `math.tanh`, `math.erf`, `math.exp`, `math.log`, `math.log1p`,
    `math.expm1` and friends into upstream's polynomial approximations
    (`populateMathPolynomialApproximationPatterns`), which are plain
    arithmetic and therefore vectorize; libm calls would be scalar and
    would make the generated library depend on more than libm.

    Input and output: any IR using `math` on scalars or vectors.
  }];
  let dependentDialects = ["::mlir::math::MathDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def CPUStrategyPass : Pass<"nnc-cpu-strategy"> {
  let summary = "Chooses and applies the CPU's algorithm for each named "
                "linalg op";
  let description = [{
    The CPU strategy stage: `convert-nn-to-linalg` writes named ops in the
    model's layout and chooses nothing; this pass chooses, per op, how the
    CPU computes it, records the choice on the op as `nnc.cpu.strategy`
    and rewrites the op into the forms nnc-cpu-tile-and-vectorize tiles.

    - `linalg.conv_2d_nchw_fchw`: the pass recognizes the three forms the
      conversion writes (forward, input gradient as the transposed
      convolution of the spread cotangent with the flipped kernel, weight
      gradient as the convolution of the transposed input with the
      transposed cotangent) and reads back the forward convolution's
      padding, stride and dilation. It then chooses `direct` (stride 1,
      padding within the kernel's reach, and for the weight gradient at
      least four input channels: one window contraction on a flat,
      gap-padded, channels-innermost copy of the input), `space-to-depth`
      (strided, at most twice the work: the direct algorithm on the
      space-to-depth input) or `im2col` (anything else). A convolution in
      none of the forms is computed as a forward convolution of its
      padded input.
    - `linalg.matmul`: a right operand read transposed is packed
      (`pack-rhs`: transposed once, so that the product reads its rows);
      otherwise the product is a plain contraction. Both become the
      contraction `linalg.generic` that the tiling pass register-tiles.
    - `linalg.pooling_nchw_max` / `_sum` with static shapes
      (`window-views`): one elementwise generic over the kernel's strided
      views of the input, combined in row-major kernel order, plus the
      accumulator unless it is a fill of the combination's identity (-inf,
      0). Every read is a plain map, so the generic vectorizes and fuses.
    - `linalg.reduce` (`fused-generic`): the equivalent `linalg.generic`,
      into which nnc-fuse-elementwise moves elementwise producers and which
      nnc-split-reductions splits across threads.

    Last, every product the chosen algorithms produce (matrix products,
    window contractions and their weight gradients, with static shapes)
    gets its tiling plan, `nnc.cpu.tiles = {register = array<i64: mr, nr>,
    k_block = kc, split = "m", threads = t}`: the register tile, the K
    block that keeps a `[kc, nr]` panel in L1, and the dimension split
    across `threads` (the larger of M and N for matrix products), which
    nnc-cpu-tile-and-vectorize builds. A plan already on an op is kept.

    The recorded choice is a dictionary, `{form = "grad-input", algorithm =
    "direct"}`; a convolution that already carries one keeps its algorithm
    (an error if that algorithm cannot compute it). The records of the
    other ops are informational: each has one algorithm today. With
    `annotate-only=true` the pass only records the choices: what `nnc
    compile --emit=linalg` shows.

    Input: linalg on tensors from convert-nn-to-linalg. Output: the same
    with every recognized named op replaced by its algorithm's linalg.
  }];
  let options = [
    Option<"annotateOnly", "annotate-only", "bool", /*default=*/"false",
           "Record the choices on the ops without applying them">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "Threads the products' tiling plans split their work across">,
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"256",
           "Bits of one vector register of the target (128, 256, 512)">,
    Option<"vectorRegisters", "vector-registers", "int64_t",
           /*default=*/"16", "Vector registers of the target">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def DuplicateInitTensorsPass : Pass<"nnc-duplicate-init-tensors"> {
  let summary = "Gives each destination-passing user its own init tensor";
  let description = [{
    CSE merges identical `tensor.empty` ops, and identical `linalg.fill`s of
    them, so that one init tensor ends up as the destination of many ops:
    every matrix product of a deep network accumulates into the same zero
    tensor. One-shot bufferization then sees all their results alias one
    value. Only one op can write that buffer in place; each other one gets
    a new buffer and a copy of the zeros, and the conflict analysis
    compares every write of the alias set with every read, which grows
    with the square of the network's depth.

    This pass clones a `tensor.empty`, or a `linalg.fill` of a scalar into
    a `tensor.empty`, right before each of its users but the first, so that
    each user initializes its own tensor. Nothing else changes: the clones
    compute the same values, and bufferization turns each into one buffer
    and, for fills, one fill of it.

    Input: any IR on tensors. Output: the same, with no `tensor.empty` and
    no fill of one used more than once (block arguments and other
    producers are left as they are).
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def OutlineKernelsPass : Pass<"nnc-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Outlines each loop nest of a step into a function, one per "
                "distinct nest";
  let description = [{
    Compile time should grow with the number of distinct layers, not with
    depth. After tiling, every op with regions in the entry block of a step
    function (`nn.step`): a loop nest, or a `linalg` op that was not tiled,
    whose results are scalars or vectors, is moved into a private function
    and replaced by a call. The function takes the values the op uses from
    the step (buffers, scalars), in order of first use; constants are
    cloned into it. Two nests that print the same (ignoring locations),
    that is the same loops, constants and buffer types, share one function,
    so that the rest of the pipeline and LLVM compile it once: the residual
    blocks of one ResNet stage all call the same kernels.

    Kernels get internal linkage and `no_inline`, so that LLVM does not copy
    them back into each caller. A kernel keeps the locations of its first
    occurrence. An argument is `llvm.noalias` where every call passes a
    view of an allocation or of a step argument (the C API forbids a
    step's buffers to overlap) that no other argument of the call views:
    LLVM may then hoist loop-invariant loads (a channel's statistics in an
    image-sized loop) and what is computed from them past the kernel's
    stores.

    Only ops with regions move: allocations, views and the scalar code
    between the nests stay in the step, so `nnc-static-workspace`, which
    runs after this pass, still plans every buffer.

    Input: bufferized, tiled step functions (after
    `nnc-cpu-tile-and-vectorize`). Output: the same steps as calls to
    `nnc_kernel_<N>` functions, plus what stayed.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

//===----------------------------------------------------------------------===//
// GPU strategy and lowering
//===----------------------------------------------------------------------===//

def GPUDistributePass : Pass<"nnc-gpu-distribute", "::mlir::func::FuncOp"> {
  let summary = "Turns each linalg op into one GPU kernel, a thread per "
                "parallel point";
  let description = [{
    The GPU strategy's default for every bufferized `linalg` op with static
    loop ranges (and every `memref.copy`, first rewritten as `linalg.copy`):
    the op, generalized and with its parallel loops interchanged outermost,
    becomes one `gpu.launch` over a 1-D grid of `threads-per-block`-thread
    blocks, one thread per point of the parallel iteration space. The
    thread's linear id is delinearized row-major, so consecutive threads
    take consecutive points of the innermost parallel dimension (coalesced
    access to row-major outputs); a guard skips the ids past the end when
    the blocks do not divide it. Each thread runs the reduction loops
    sequentially as `scf.for` over the op's body, whose floating-point ops
    may contract (`fastmath<contract>`: a multiply and an add become one
    FMA, as in the CPU's vector contractions); an output element that the
    reduction loops read and write (an accumulator) is carried in a
    register across them, loaded before and stored after, when nothing
    else in the loops touches its buffer. A reduction with an input that
    does not depend on some parallel loop (a product's A and its n, B and
    m; a convolution's image and its output channels, its filter and the
    batch) gets a register tile instead: each thread takes 4 points of up
    to two such loops (innermost first, where 4 divides them), the op is
    tiled to that block, its reduction loops made outermost and the
    block's loops unrolled, so that its accumulators stay in registers
    across the reduction and each step loads every operand element once
    (4 + 4 loads for 16 FMAs in a product). An op without parallel
    loops runs on one thread, except a full reduction into one element
    whose outermost loop has at least 32 iterations (and which has at least
    1024 in all) and whose body combines the accumulator with
    `arith.addf`, `maximumf` or `minimumf`: it first becomes a fill of
    partials with the neutral element, the same body reducing into
    `partials[d0]` (a thread per partial) and a one-thread reduction of the
    partials. The host's scalar `memref.store`s (a bufferized
    `tensor.from_elements`) run on one thread too, each run of them
    separated only by memory-effect-free ops in one kernel. Each launch
    names its kernel `<function>_<n>_<op>` in the module `kernel-module`,
    which `gpu-kernel-outlining` then creates.

    Input: bufferized functions. Output: no linalg ops outside `gpu.launch`.
    An op with dynamic loop ranges is an error.
  }];
  let options = [
    Option<"threadsPerBlock", "threads-per-block", "int64_t",
           /*default=*/"256",
           "Threads per block: a multiple of 32 in [32, 1024]">,
    Option<"kernelModule", "kernel-module", "std::string",
           /*default=*/"\"nnc_kernels\"",
           "The gpu.module the kernels are outlined into">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def GPUSinkHostScalarsPass
    : Pass<"nnc-gpu-sink-host-scalars", "::mlir::func::FuncOp"> {
  let summary = "Moves scalar host code that reads buffers into the kernels "
                "that use its results";
  let description = [{
    A value that a `gpu.launch` uses but the host computes from buffer
    contents (`memref.load` of a 0-d result, then scalar `arith` and
    `math`) would read device memory on the host. Each such launch gets its
    own copy of the computation, loads included, at the start of its body;
    the host copies are erased once unused. Constants used in a launch are
    copied into it as well, so that they fold into the kernel's code
    instead of arriving as parameters. A load may move only if
    nothing between it and the launch may write the buffer it reads;
    otherwise, and when the computation has other memory effects or is not
    in the launch's block, the pass reports an error at the op.

    Input: functions after `nnc-gpu-distribute`. Output: no launch uses a
    host value derived from a buffer read.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPUCheckHostAccessPass
    : Pass<"nnc-gpu-check-host-access", "::mlir::func::FuncOp"> {
  let summary = "Rejects host code that reads, writes or allocates device "
                "buffers";
  let description = [{
    In a GPU step every buffer is device memory. Any op outside `gpu.launch`
    that reads, writes, allocates or frees memory, or whose memory effects
    are unknown, is reported as an error naming it: at run time it would
    dereference a device pointer on the host.

    Input and output: functions after the GPU strategy and the workspace
    plan; the pass changes nothing.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPUDedupKernelsPass : Pass<"nnc-gpu-dedup-kernels", "::mlir::ModuleOp"> {
  let summary = "Keeps one GPU kernel per distinct body and points every "
                "launch at it";
  let description = [{
    After `gpu-kernel-outlining`, kernels of repeated layers, and the
    forward kernels that the training and evaluation steps share, are
    copies. Kernels of a `gpu.module` with the same type, attributes (but
    the name) and body (up to SSA names and locations) are merged into the
    first one, and each `gpu.launch_func` of a removed copy launches it
    instead: the image, its compile time and its load time then follow the
    distinct layers, not the model's depth.

    Input and output: a module with outlined kernels; launches keep their
    operands.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GPUEmulateLaunchesPass
    : Pass<"nnc-gpu-emulate-launches", "::mlir::func::FuncOp"> {
  let summary = "Runs GPU kernels on the host as loops over their blocks and "
                "threads (for tests)";
  let description = [{
    Replaces each `gpu.launch` by `scf.for` loops over its grid (z, y, x)
    and, inside, its block (z, y, x), with the body's block and thread ids
    and sizes replaced by the loop variables and bounds. The host then runs
    every thread of every kernel one after another, which for kernels
    without barriers or shared memory computes what the GPU computes: the
    GPU strategy's mapping, scalar sinking and workspace plan can be
    checked numerically on a machine without a GPU
    (`nnc compile --target=cuda --gpu-emulate-on-host`).

    Input: functions after the GPU strategy. Output: no `gpu.launch`. A
    barrier, shared memory, an asynchronous launch or a multi-block body is
    an error.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def GPULowerLaunchesPass : Pass<"nnc-gpu-lower-launches", "::mlir::ModuleOp"> {
  let summary = "Lowers kernel launches to nnc runtime calls and the kernel "
                "binary to a constant";
  let description = [{
    Replaces the module's one `gpu.binary` by an external constant
    `<symbol-prefix>_image` holding its object (cubin, fatbin or PTX, with
    a trailing NUL), and each `gpu.launch_func` (after `gpu-to-llvm`: LLVM
    operands) by a call

      nnc_gpu_launch(ctx, kernel, gx, gy, gz, bx, by, bz, shared, params)

    where `ctx` is a new trailing `!llvm.ptr` argument of each function that
    launches, `kernel` the kernel's index and `params` an array of pointers
    to stack slots holding the kernel operands. The module records the
    kernel names in index order as `nnc.gpu.kernels` and the image's size
    as `nnc.gpu.image_bytes`, for the library's create() to load them: no
    CUDA work happens when the library is loaded, and kernels run in order
    on the context's one stream.

    Input: the host in the LLVM dialect, kernels serialized. Output: no GPU
    dialect ops. Asynchronous launches, clusters, several binaries and
    launching functions that are called inside the module are errors.
  }];
  let options = [
    Option<"symbolPrefix", "symbol-prefix", "std::string",
           /*default=*/"\"_nnc_gpu\"",
           "Prefix of the image constant's symbol">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // NNC_CODEGEN_PASSES_TD
