#!/usr/bin/env python3
"""Finite-difference gradient checks through code compiled by nnc.

For every differentiable operation of the model language, a tiny f64 model
puts the operation between parameters and the loss. For each model:

1. the loss from <m>_eval_step must equal a float64 PyTorch
   re-implementation of the same model with the same parameters;
2. the gradient the library computes is read back from one training step
   with SGD at lr = 1 (grad = p_before - p_after) and compared with central
   differences of the eval_step loss (each parameter element perturbed by
   +-1e-6 through the writable parameter arrays):
       ||g - g_fd|| / max(||g||, ||g_fd||, 1e-12) < 1e-5   per parameter;
3. the same gradient must also match PyTorch's autograd (float64);
4. every parameter must have a nonzero finite-difference gradient (a case
   where a parameter does not reach the loss could not detect anything),
   eval_step must not change the parameters, and train_step must return the
   loss before the update.
The Harness tests check that a gradient corrupted by hand is reported.

Reading the gradient: the training step uses plain sgd(lr = 1.0), so
p_after = p_before - g. (test_plain_sgd_f64 also checks that this agrees with
the first step of sgd(lr = 1.0, momentum = 0.9), whose momentum buffer starts
as the gradient itself in PyTorch; that was the workaround while f64 models
with plain SGD did not compile.)

Run:  /usr/bin/python3 tests/numerics/test_gradcheck.py [--nnc PATH] [--flags "OPTS"] [-v] [-k NAME]
The nnc binary: --nnc, else $NNC, else `nnc` on PATH, else build/bin/nnc.
"""

import os
import sys
import unittest
import zlib

try:
    import numpy as np
except ImportError:  # pragma: no cover
    print("SKIPPED: NumPy not installed; run tools/setup.sh (and use /usr/bin/python3)", file=sys.stderr)
    sys.exit(0)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nnclib  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
    HAVE_TORCH = True
except ImportError:  # pragma: no cover
    HAVE_TORCH = False
    F = None

TORCH_MISSING = "PyTorch not installed; run tools/setup.sh"

NNC = None  # set in main()
FLAGS = ()  # extra nnc compile options (--flags), e.g. another target

FD_STEP = 1e-6
FD_TOL = 1e-5       # finite differences vs the library's gradient
TORCH_GRAD_TOL = 1e-8  # library gradient vs torch autograd (both analytic, f64)
LOSS_RTOL = 1e-9    # library loss vs torch (f64; only libm-level differences)
GRAD_OPTIMIZER = "sgd(lr = 1.0)"
MOMENTUM_OPTIMIZER = "sgd(lr = 1.0, momentum = 0.9)"

# Outcome per case for the summary printed at the end.
SUMMARY = {}


# ---------------------------------------------------------------------------
# The cases. Each is a model body (statements), its inputs/labels, and a
# PyTorch function computing the same loss from the parameters P and data D.
# ---------------------------------------------------------------------------

class Case:
    def __init__(self, name, decls, body, ref, op=None, train_mode=False, eval_ref=None):
        """decls: list of (kind, name, dtype, shape, gen) with kind 'input'
        or 'label', gen 'randn', 'prob' (uniform in [0, 1]) or an int C
        (class labels in [0, C)). train_mode: the op behaves differently in
        the train step (batch statistics, dropout), so the loss is read
        from the first train step of a fresh state (see check_train_mode);
        eval_ref then computes the eval-step loss."""
        self.name = name
        self.train_mode = train_mode
        self.eval_ref = eval_ref
        self.op = op or name
        self.decls = decls
        self.body = body
        self.ref = ref

    def source(self, optimizer=GRAD_OPTIMIZER):
        lines = ["model %s {" % ("m_" + self.name)]
        for kind, name, dtype, shape, _ in self.decls:
            lines.append("  %s %s: %s[%s]" % (kind, name, dtype, ", ".join(map(str, shape))))
        for stmt in self.body.strip().splitlines():
            lines.append("  " + stmt.strip())
        lines.append("}")
        lines.append("train { optimizer = %s }" % optimizer)
        return "\n".join(lines) + "\n"

    def seed(self):
        return zlib.crc32(self.name.encode()) & 0xFFFF

    def data(self):
        rng = np.random.RandomState(self.seed())
        out = {}
        for kind, name, dtype, shape, gen in self.decls:
            if isinstance(gen, int):
                npdt = np.int32 if dtype == "i32" else np.int64
                out[name] = rng.randint(0, gen, size=shape).astype(npdt)
            elif gen == "prob":
                out[name] = rng.uniform(0.0, 1.0, size=shape)
            else:
                out[name] = rng.randn(*shape)
        return out


def dense(P, name, x):
    y = x @ P[name + ".weight"].t()
    b = P.get(name + ".bias")
    return y + b if b is not None else y


def dims(name):
    """Random small shapes for a case, fixed by its name: batch 3-5, widths 2-7."""
    rng = np.random.RandomState(zlib.crc32(("dims" + name).encode()) & 0xFFFF)
    return int(rng.randint(3, 6)), int(rng.randint(2, 8)), int(rng.randint(2, 8)), int(rng.randint(2, 8))


CASES = []


def add(case):
    CASES.append(case)


# --- dense, elementwise functions, scaling -----------------------------------
# h = OP(dense(x, H)); loss = mse(dense(h, O), t)

def _elementwise(name, expr, fn, op=None, shape=None):
    B, I, H, O = shape or dims(name)
    add(Case(name,
             [("input", "x", "f64", (B, I), "randn"), ("label", "t", "f64", (B, O), "randn")],
             """
             h = dense(x, %d)
             h = %s
             loss = mse(dense(h, %d), t)
             """ % (H, expr.format(h="h"), O),
             lambda P, D, fn=fn: F.mse_loss(dense(P, "dense1", fn(dense(P, "dense0", D["x"]))), D["t"]),
             op=op))


_elementwise("identity", "{h}", lambda v: v, op="dense")
# relu: larger than the random shapes so that every hidden unit is active for
# some rows and inactive for others (with 3x3 two units were dead).
_elementwise("relu", "relu({h})", lambda v: F.relu(v), shape=(5, 4, 6, 3))
_elementwise("leaky_relu", "leaky_relu({h})", lambda v: F.leaky_relu(v, 0.01))
_elementwise("leaky_relu_slope", "leaky_relu({h}, slope = 0.2)", lambda v: F.leaky_relu(v, 0.2), op="leaky_relu")
_elementwise("sigmoid", "sigmoid({h})", lambda v: torch.sigmoid(v))
_elementwise("tanh", "tanh({h})", lambda v: torch.tanh(v))
_elementwise("silu", "silu({h})", lambda v: F.silu(v))
_elementwise("gelu", "gelu({h})", lambda v: F.gelu(v))
_elementwise("gelu_none", 'gelu({h}, approximate = "none")', lambda v: F.gelu(v, approximate="none"), op="gelu")
_elementwise("gelu_tanh", 'gelu({h}, approximate = "tanh")', lambda v: F.gelu(v, approximate="tanh"), op="gelu")
_elementwise("softplus", "softplus({h})", lambda v: F.softplus(v))
# beta * h crosses the threshold for some elements: both branches are used.
_elementwise("softplus_beta_threshold", "softplus({h}, beta = 2.0, threshold = 1.0)",
             lambda v: F.softplus(v, beta=2.0, threshold=1.0), op="softplus")
_elementwise("elu", "elu({h})", lambda v: F.elu(v))
_elementwise("elu_alpha", "elu({h}, alpha = 0.5)", lambda v: F.elu(v, alpha=0.5), op="elu")
_elementwise("exp", "exp({h})", lambda v: torch.exp(v))
_elementwise("log", "log(sigmoid({h}))", lambda v: torch.log(torch.sigmoid(v)))
_elementwise("sqrt", "sqrt(sigmoid({h}))", lambda v: torch.sqrt(torch.sigmoid(v)))
_elementwise("neg", "-{h}", lambda v: -v, op="unary minus")
_elementwise("scale_left", "2.5 * {h}", lambda v: 2.5 * v, op="scale")
_elementwise("scale_right", "{h} * 0.3", lambda v: v * 0.3, op="scale")
_elementwise("scale_div", "{h} / 4", lambda v: v / 4, op="scale")
_elementwise("softmax", "softmax({h})", lambda v: F.softmax(v, dim=-1))
# Along dim 0 the op is invariant to dense0's bias (constant along the
# batch): tanh first, so that every parameter gets a nonzero gradient.
_elementwise("softmax_dim0", "softmax(tanh({h}), dim = 0)", lambda v: F.softmax(torch.tanh(v), dim=0),
             op="softmax")
_elementwise("log_softmax", "log_softmax({h})", lambda v: F.log_softmax(v, dim=-1))
_elementwise("log_softmax_dim0", "log_softmax(tanh({h}), dim = 0)",
             lambda v: F.log_softmax(torch.tanh(v), dim=0),
             op="log_softmax")
# A value used twice: the gradients of both uses must be accumulated.
_elementwise("fanout_mul_sigmoid", "{h} * sigmoid({h})", lambda v: v * torch.sigmoid(v), op="*")
_elementwise("mul_same", "{h} * {h}", lambda v: v * v, op="*")
_elementwise("add_same", "{h} + {h}", lambda v: v + v, op="+")


def _dense_nobias():
    B, I, H, O = dims("dense_nobias")
    add(Case("dense_nobias",
             [("input", "x", "f64", (B, I), "randn"), ("label", "t", "f64", (B, O), "randn")],
             """
             h = tanh(dense(x, %d, bias = false))
             loss = mse(dense(h, %d, bias = false), t)
             """ % (H, O),
             lambda P, D: F.mse_loss(dense(P, "dense1", torch.tanh(dense(P, "dense0", D["x"]))), D["t"]),
             op="dense"))


_dense_nobias()


# --- binary elementwise arithmetic --------------------------------------------
# a = dense(x, H); b = dense(x, H); h = a OP b; loss = mse(dense(h, O), t)

def _binary(name, expr, fn, op):
    B, I, H, O = dims(name)
    add(Case(name,
             [("input", "x", "f64", (B, I), "randn"), ("label", "t", "f64", (B, O), "randn")],
             """
             a = dense(x, %d)
             b = dense(x, %d)
             h = %s
             loss = mse(dense(h, %d), t)
             """ % (H, H, expr, O),
             lambda P, D, fn=fn: F.mse_loss(
                 dense(P, "dense2", fn(dense(P, "dense0", D["x"]), dense(P, "dense1", D["x"]))), D["t"]),
             op=op))


_binary("add", "a + b", lambda a, b: a + b, "+")
_binary("sub", "a - b", lambda a, b: a - b, "-")
_binary("mul", "a * b", lambda a, b: a * b, "*")
_binary("div", "a / exp(b)", lambda a, b: a / torch.exp(b), "/")
_binary("div_sigmoid", "sigmoid(a) / (sigmoid(b) + sigmoid(a))",
        lambda a, b: torch.sigmoid(a) / (torch.sigmoid(b) + torch.sigmoid(a)), "/")


# --- matmul -----------------------------------------------------------------

def _matmul(name, xs, zs, a_out, b_out, flags, fn, t_shape):
    add(Case(name,
             [("input", "x", "f64", xs, "randn"), ("input", "z", "f64", zs, "randn"),
              ("label", "t", "f64", t_shape, "randn")],
             """
             a = dense(x, %d)
             b = dense(z, %d)
             h = matmul(a, b%s)
             loss = mse(h, t)
             """ % (a_out, b_out, flags),
             lambda P, D, fn=fn: F.mse_loss(fn(dense(P, "dense0", D["x"]), dense(P, "dense1", D["z"])), D["t"]),
             op="matmul"))


# a [4,5] @ b [5,3]
_matmul("matmul", (4, 3), (5, 2), 5, 3, "", lambda a, b: a @ b, (4, 3))
# a [4,5]^T @ b [4,3] -> [5,3]
_matmul("matmul_transpose_a", (4, 3), (4, 2), 5, 3, ", transpose_a = true", lambda a, b: a.t() @ b, (5, 3))
# a [3,6] @ b [5,6]^T -> [3,5]
_matmul("matmul_transpose_b", (3, 4), (5, 2), 6, 6, ", transpose_b = true", lambda a, b: a @ b.t(), (3, 5))
# a [4,3]^T @ b [2,4]^T -> [3,2]
_matmul("matmul_transpose_ab", (4, 3), (2, 5), 3, 4, ", transpose_a = true, transpose_b = true",
        lambda a, b: a.t() @ b.t(), (3, 2))


# --- shapes -------------------------------------------------------------------

add(Case("transpose_2d",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (5, 2), "randn")],
         """
         h = transpose(dense(x, 5))
         loss = mse(dense(h, 2), t)
         """,
         lambda P, D: F.mse_loss(dense(P, "dense1", dense(P, "dense0", D["x"]).t()), D["t"]),
         op="transpose"))
add(Case("transpose_perm",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (3, 4, 2), "randn")],
         """
         h = reshape(dense(x, 6), [4, 2, 3])
         h = transpose(h, [2, 0, 1])
         loss = mse(h, t)
         """,
         lambda P, D: F.mse_loss(dense(P, "dense0", D["x"]).reshape(4, 2, 3).permute(2, 0, 1), D["t"]),
         op="transpose"))
add(Case("transpose_3d_default",
         [("input", "x", "f64", (3, 2), "randn"), ("label", "t", "f64", (4, 2, 3), "randn")],
         """
         h = reshape(sigmoid(dense(x, 8)), [3, 2, 4])
         loss = mse(transpose(h), t)
         """,
         lambda P, D: F.mse_loss(torch.sigmoid(dense(P, "dense0", D["x"])).reshape(3, 2, 4).permute(2, 1, 0),
                                 D["t"]),
         op="transpose"))
add(Case("reshape",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (3, 2), "randn")],
         """
         h = reshape(dense(x, 6), [3, 8])
         loss = mse(dense(tanh(h), 2), t)
         """,
         lambda P, D: F.mse_loss(dense(P, "dense1", torch.tanh(dense(P, "dense0", D["x"]).reshape(3, 8))),
                                 D["t"]),
         op="reshape"))
add(Case("reshape_infer",
         [("input", "x", "f64", (4, 5), "randn"), ("label", "t", "f64", (2, 4, 3), "randn")],
         """
         h = reshape(dense(x, 6), [2, -1, 3])
         loss = mse(h, t)
         """,
         lambda P, D: F.mse_loss(dense(P, "dense0", D["x"]).reshape(2, -1, 3), D["t"]),
         op="reshape"))
add(Case("flatten",
         [("input", "x", "f64", (5, 3), "randn"), ("label", "t", "f64", (5, 4), "randn")],
         """
         h = tanh(reshape(dense(x, 6), [5, 2, 3]))
         loss = mse(dense(flatten(h), 4), t)
         """,
         lambda P, D: F.mse_loss(dense(P, "dense1", torch.flatten(
             torch.tanh(dense(P, "dense0", D["x"]).reshape(5, 2, 3)), 1)), D["t"]),
         op="flatten"))
add(Case("flatten_start0",
         [("input", "x", "f64", (3, 4), "randn"), ("label", "t", "f64", (12,), "randn")],
         """
         h = sigmoid(reshape(dense(x, 4), [3, 2, 2]))
         loss = mse(flatten(h, start_dim = 0), t)
         """,
         lambda P, D: F.mse_loss(torch.flatten(torch.sigmoid(dense(P, "dense0", D["x"]).reshape(3, 2, 2)), 0),
                                 D["t"]),
         op="flatten"))
add(Case("concat",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (4, 2), "randn")],
         """
         a = dense(x, 3)
         b = dense(x, 4)
         h = concat(a, b)
         loss = mse(dense(tanh(h), 2), t)
         """,
         lambda P, D: F.mse_loss(dense(P, "dense2", torch.tanh(torch.cat(
             [dense(P, "dense0", D["x"]), dense(P, "dense1", D["x"])], dim=-1))), D["t"]),
         op="concat"))
add(Case("concat_dim0_three",
         [("input", "x", "f64", (3, 4), "randn"), ("input", "z", "f64", (2, 5), "randn"),
          ("label", "t", "f64", (8, 3), "randn")],
         """
         a = dense(x, 3)
         b = dense(z, 3)
         h = concat(a, b, tanh(a), dim = 0)
         loss = mse(h, t)
         """,
         lambda P, D: F.mse_loss(torch.cat([dense(P, "dense0", D["x"]), dense(P, "dense1", D["z"]),
                                            torch.tanh(dense(P, "dense0", D["x"]))], dim=0), D["t"]),
         op="concat"))


# --- reductions ---------------------------------------------------------------

add(Case("sum_dim",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (4,), "randn")],
         """
         h = tanh(dense(x, 5))
         loss = mse(sum(h, dim = 1), t)
         """,
         lambda P, D: F.mse_loss(torch.tanh(dense(P, "dense0", D["x"])).sum(dim=1), D["t"]),
         op="sum"))
add(Case("sum_all",
         [("input", "x", "f64", (3, 4), "randn")],
         """
         h = dense(x, 2)
         loss = sum(h * h)
         """,
         lambda P, D: (dense(P, "dense0", D["x"]) ** 2).sum(),
         op="sum"))
add(Case("sum_keepdim",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (1, 2, 1), "randn")],
         """
         h = reshape(sigmoid(dense(x, 6)), [4, 2, 3])
         loss = mse(sum(h, dim = [0, 2], keepdim = true), t)
         """,
         lambda P, D: F.mse_loss(torch.sigmoid(dense(P, "dense0", D["x"])).reshape(4, 2, 3)
                                 .sum(dim=(0, 2), keepdim=True), D["t"]),
         op="sum"))
add(Case("sum_negdim",
         [("input", "x", "f64", (5, 2), "randn"), ("label", "t", "f64", (5, 2), "randn")],
         """
         h = reshape(tanh(dense(x, 6)), [5, 2, 3])
         loss = mse(sum(h, dim = -1), t)
         """,
         lambda P, D: F.mse_loss(torch.tanh(dense(P, "dense0", D["x"])).reshape(5, 2, 3).sum(dim=-1), D["t"]),
         op="sum"))
add(Case("mean_dim",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (5,), "randn")],
         """
         h = tanh(dense(x, 5))
         loss = mse(mean(h, dim = 0), t)
         """,
         lambda P, D: F.mse_loss(torch.tanh(dense(P, "dense0", D["x"])).mean(dim=0), D["t"]),
         op="mean"))
add(Case("mean_all",
         [("input", "x", "f64", (3, 4), "randn")],
         """
         h = dense(x, 3)
         loss = mean(h * h)
         """,
         lambda P, D: (dense(P, "dense0", D["x"]) ** 2).mean(),
         op="mean"))
add(Case("mean_keepdim",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (1, 2, 1), "randn")],
         """
         h = reshape(sigmoid(dense(x, 6)), [4, 2, 3])
         loss = mse(mean(h, dim = [0, 2], keepdim = true), t)
         """,
         lambda P, D: F.mse_loss(torch.sigmoid(dense(P, "dense0", D["x"])).reshape(4, 2, 3)
                                 .mean(dim=(0, 2), keepdim=True), D["t"]),
         op="mean"))
add(Case("mean_keepdim_single",
         [("input", "x", "f64", (3, 5), "randn"), ("label", "t", "f64", (3, 1), "randn")],
         """
         h = tanh(dense(x, 4))
         loss = mse(mean(h, dim = 1, keepdim = true), t)
         """,
         lambda P, D: F.mse_loss(torch.tanh(dense(P, "dense0", D["x"])).mean(dim=1, keepdim=True), D["t"]),
         op="mean"))


# --- convolution and pooling ---------------------------------------------------
# Two layers, so that the second one's input gradient reaches the first.

def conv(P, name, x, **kw):
    return F.conv2d(x, P[name + ".weight"], P.get(name + ".bias"), **kw)


add(Case("conv2d",
         [("input", "x", "f64", (2, 3, 6, 5), "randn"), ("label", "t", "f64", (2, 2, 7, 7), "randn")],
         """
         h = tanh(conv2d(x, 4, kernel = 3))
         loss = mse(conv2d(h, 2, kernel = [2, 3], padding = [2, 3]), t)
         """,
         lambda P, D: F.mse_loss(conv(P, "conv1", torch.tanh(conv(P, "conv0", D["x"])), padding=(2, 3)), D["t"]),
         op="conv2d"))
add(Case("conv2d_direct",
         # Stride 1 lowers to window contractions: dilation with padding,
         # asymmetric kernels, 1x1, and a batch that leaves a rounding tail.
         [("input", "x", "f64", (3, 2, 6, 5), "randn"), ("label", "t", "f64", (3, 2, 8, 6), "randn")],
         """
         h = tanh(conv2d(x, 4, kernel = [3, 2], dilation = [2, 1], padding = [3, 1]))
         h = tanh(conv2d(h, 5, kernel = 1))
         loss = mse(conv2d(h, 2, kernel = 3, padding = same), t)
         """,
         lambda P, D: F.mse_loss(conv(P, "conv2", torch.tanh(conv(P, "conv1", torch.tanh(
             conv(P, "conv0", D["x"], dilation=(2, 1), padding=(3, 1))))), padding=1), D["t"]),
         op="conv2d"))
add(Case("conv2d_stride_dilation",
         [("input", "x", "f64", (2, 2, 9, 8), "randn"), ("label", "t", "f64", (2, 3, 3, 5), "randn")],
         """
         h = tanh(conv2d(x, 3, kernel = 2, stride = [2, 1], dilation = [1, 2], padding = 1))
         loss = mse(conv2d(h, 3, kernel = [3, 2], stride = [1, 2], dilation = 2, padding = [1, 2]), t)
         """,
         lambda P, D: F.mse_loss(conv(P, "conv1", torch.tanh(
             conv(P, "conv0", D["x"], stride=(2, 1), dilation=(1, 2), padding=1)),
             stride=(1, 2), dilation=2, padding=(1, 2)), D["t"]),
         op="conv2d"))
add(Case("conv2d_space_to_depth",
         # Strided convolutions lower to window contractions on the
         # space-to-depth input: odd sizes (zero rows added), a stride in one
         # dimension only, a 5x5 kernel, and a last column that no window
         # reads (cropped).
         [("input", "x", "f64", (2, 3, 7, 6), "randn"), ("label", "t", "f64", (2, 2, 1, 1), "randn")],
         """
         h = tanh(conv2d(x, 4, kernel = 3, stride = 2, padding = 1))
         h = tanh(conv2d(h, 3, kernel = 5, stride = [2, 1], padding = 2))
         loss = mse(conv2d(h, 2, kernel = 2, stride = 2, bias = false), t)
         """,
         lambda P, D: F.mse_loss(conv(P, "conv2", torch.tanh(conv(P, "conv1", torch.tanh(
             conv(P, "conv0", D["x"], stride=2, padding=1)), stride=(2, 1), padding=2)), stride=2),
             D["t"]),
         op="conv2d"))
add(Case("conv2d_groups_nobias",
         [("input", "x", "f64", (2, 4, 5, 5), "randn"), ("label", "t", "f64", (2, 6, 5, 5), "randn")],
         """
         h = tanh(conv2d(x, 4, kernel = 3, padding = same, groups = 2))
         loss = mse(conv2d(h, 6, kernel = 3, padding = same, groups = 2, bias = false), t)
         """,
         lambda P, D: F.mse_loss(conv(P, "conv1", torch.tanh(conv(P, "conv0", D["x"], padding=1, groups=2)),
                                      padding=1, groups=2), D["t"]),
         op="conv2d"))
add(Case("conv2d_stride_exceeds_kernel",
         [("input", "x", "f64", (2, 2, 7, 7), "randn"), ("label", "t", "f64", (2, 2, 3, 3), "randn")],
         """
         h = tanh(conv2d(x, 3, kernel = 2))
         loss = mse(conv2d(h, 2, kernel = 1, stride = 3, padding = 1), t)
         """,
         lambda P, D: F.mse_loss(conv(P, "conv1", torch.tanh(conv(P, "conv0", D["x"])), stride=3, padding=1),
                                 D["t"]),
         op="conv2d"))
add(Case("max_pool2d",
         [("input", "x", "f64", (2, 2, 6, 6), "randn"), ("label", "t", "f64", (2, 3, 3, 3), "randn")],
         """
         h = max_pool2d(conv2d(x, 3, kernel = 3, padding = 1), 2)
         loss = mse(h, t)
         """,
         lambda P, D: F.mse_loss(F.max_pool2d(conv(P, "conv0", D["x"], padding=1), 2), D["t"]),
         op="max_pool2d"))
add(Case("max_pool2d_tiling_uneven",
         # Windows that tile the input, with rows and columns left over
         # (7 = 3 * 2 + 1 and 8 = 2 * 3 + 2) that get no gradient.
         [("input", "x", "f64", (2, 2, 7, 8), "randn"), ("label", "t", "f64", (2, 3, 3, 2), "randn")],
         """
         h = max_pool2d(conv2d(x, 3, kernel = 1), [2, 3])
         loss = mse(h, t)
         """,
         lambda P, D: F.mse_loss(F.max_pool2d(conv(P, "conv0", D["x"]), (2, 3)), D["t"]),
         op="max_pool2d"))
add(Case("max_pool2d_overlap_padding",
         [("input", "x", "f64", (2, 2, 7, 6), "randn"), ("label", "t", "f64", (2, 3, 4, 3), "randn")],
         """
         h = max_pool2d(tanh(conv2d(x, 3, kernel = 2, padding = 1)), [3, 2], stride = [2, 3], padding = 1)
         loss = mse(h, t)
         """,
         lambda P, D: F.mse_loss(F.max_pool2d(torch.tanh(conv(P, "conv0", D["x"], padding=1)), (3, 2),
                                              stride=(2, 3), padding=1), D["t"]),
         op="max_pool2d"))
add(Case("avg_pool2d",
         [("input", "x", "f64", (2, 2, 6, 6), "randn"), ("label", "t", "f64", (2, 3, 3, 3), "randn")],
         """
         h = avg_pool2d(tanh(conv2d(x, 3, kernel = 3, padding = 1)), 2)
         loss = mse(h, t)
         """,
         lambda P, D: F.mse_loss(F.avg_pool2d(torch.tanh(conv(P, "conv0", D["x"], padding=1)), 2), D["t"]),
         op="avg_pool2d"))
add(Case("avg_pool2d_overlap_padding",
         [("input", "x", "f64", (2, 2, 7, 6), "randn"), ("label", "t", "f64", (2, 3, 4, 3), "randn")],
         """
         h = avg_pool2d(tanh(conv2d(x, 3, kernel = 2, padding = 1)), [3, 2], stride = [2, 3], padding = 1)
         loss = mse(h, t)
         """,
         lambda P, D: F.mse_loss(F.avg_pool2d(torch.tanh(conv(P, "conv0", D["x"], padding=1)), (3, 2),
                                              stride=(2, 3), padding=1), D["t"]),
         op="avg_pool2d"))
add(Case("global_avg_pool",
         [("input", "x", "f64", (3, 2, 4, 5), "randn"), ("label", "y", "i32", (3,), 3)],
         """
         h = global_avg_pool(tanh(conv2d(x, 4, kernel = 3)))
         loss = cross_entropy(dense(h, 3), y)
         """,
         lambda P, D: F.cross_entropy(dense(P, "dense0", torch.tanh(conv(P, "conv0", D["x"])).mean(dim=(2, 3))),
                                      D["y"].long()),
         op="global_avg_pool"))


# --- normalization and dropout ---------------------------------------------------
# batch_norm and dropout act differently in the train step: these cases read
# the loss of the first train step (train_mode). The layers before
# batch_norm have no bias, which batch_norm would cancel (zero gradient).

def batch_norm(P, name, x, training):
    c = x.shape[1]
    rm, rv = torch.zeros(c, dtype=x.dtype), torch.ones(c, dtype=x.dtype)
    return F.batch_norm(x, rm, rv, P[name + ".weight"], P[name + ".bias"], training=training)


def _bn_conv(training):
    return lambda P, D: F.mse_loss(torch.tanh(batch_norm(P, "batch_norm0", conv(P, "conv0", D["x"]), training)),
                                   D["t"])


add(Case("batch_norm_2d",
         [("input", "x", "f64", (3, 2, 4, 4), "randn"), ("label", "t", "f64", (3, 3, 3, 3), "randn")],
         """
         h = batch_norm(conv2d(x, 3, kernel = 2, bias = false))
         loss = mse(tanh(h), t)
         """,
         _bn_conv(True), op="batch_norm", train_mode=True, eval_ref=_bn_conv(False)))


def _bn_dense(training):
    return lambda P, D: F.mse_loss(dense(P, "dense1", torch.tanh(batch_norm(
        P, "batch_norm0", dense(P, "dense0", D["x"]), training))), D["t"])


add(Case("batch_norm_1d",
         [("input", "x", "f64", (5, 3), "randn"), ("label", "t", "f64", (5, 2), "randn")],
         """
         h = batch_norm(dense(x, 4, bias = false), eps = 0.01)
         loss = mse(dense(tanh(h), 2), t)
         """,
         lambda P, D: F.mse_loss(dense(P, "dense1", torch.tanh(F.batch_norm(
             dense(P, "dense0", D["x"]), torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64),
             P["batch_norm0.weight"], P["batch_norm0.bias"], training=True, eps=0.01))), D["t"]),
         op="batch_norm", train_mode=True,
         eval_ref=lambda P, D: F.mse_loss(dense(P, "dense1", torch.tanh(F.batch_norm(
             dense(P, "dense0", D["x"]), torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64),
             P["batch_norm0.weight"], P["batch_norm0.bias"], training=False, eps=0.01))), D["t"])))
add(Case("layer_norm",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (4, 2), "randn")],
         """
         h = layer_norm(dense(x, 5))
         loss = mse(dense(tanh(h), 2), t)
         """,
         lambda P, D: F.mse_loss(dense(P, "dense1", torch.tanh(F.layer_norm(
             dense(P, "dense0", D["x"]), (5,), P["layer_norm0.weight"], P["layer_norm0.bias"]))), D["t"]),
         op="layer_norm"))
add(Case("layer_norm_two_dims",
         [("input", "x", "f64", (3, 4), "randn"), ("label", "t", "f64", (3, 2, 3), "randn")],
         """
         h = reshape(dense(x, 6), [3, 2, 3])
         loss = mse(tanh(layer_norm(h, dims = 2, eps = 0.1)), t)
         """,
         lambda P, D: F.mse_loss(torch.tanh(F.layer_norm(
             dense(P, "dense0", D["x"]).reshape(3, 2, 3), (2, 3), P["layer_norm0.weight"], P["layer_norm0.bias"],
             eps=0.1)), D["t"]),
         op="layer_norm"))
add(Case("dropout",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (4, 2), "randn")],
         """
         h = dropout(tanh(dense(x, 8)), p = 0.25)
         loss = mse(dense(h, 2), t)
         """,
         lambda P, D: F.mse_loss(dense(P, "dense1", torch.tanh(dense(P, "dense0", D["x"]))
                                       * torch.tensor(nnclib.dropout_mask((4, 8), 0.25, 0, 1)) / 0.75), D["t"]),
         op="dropout", train_mode=True,
         eval_ref=lambda P, D: F.mse_loss(dense(P, "dense1", torch.tanh(dense(P, "dense0", D["x"]))), D["t"])))


# --- losses -------------------------------------------------------------------

def _ce(name, ldt):
    B, I, H, C = dims(name)
    C = max(C, 3)
    add(Case(name,
             [("input", "x", "f64", (B, I), "randn"), ("label", "y", ldt, (B,), C)],
             """
             h = tanh(dense(x, %d))
             loss = cross_entropy(dense(h, %d), y)
             """ % (H, C),
             lambda P, D: F.cross_entropy(dense(P, "dense1", torch.tanh(dense(P, "dense0", D["x"]))),
                                          D["y"].long()),
             op="cross_entropy"))


_ce("cross_entropy", "i32")
_ce("cross_entropy_i64", "i64")


def _mse():
    B, I, H, O = dims("mse")
    add(Case("mse",
             [("input", "x", "f64", (B, I), "randn"), ("label", "t", "f64", (B, O), "randn")],
             "loss = mse(dense(x, %d), t)" % O,
             lambda P, D: F.mse_loss(dense(P, "dense0", D["x"]), D["t"]),
             op="mse"))


_mse()
add(Case("mse_3d",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "t", "f64", (4, 3, 2), "randn")],
         "loss = mse(reshape(dense(x, 6), [4, 3, 2]), t)",
         lambda P, D: F.mse_loss(dense(P, "dense0", D["x"]).reshape(4, 3, 2), D["t"]),
         op="mse"))


def _bce():
    B, I, H, O = dims("bce_with_logits")
    add(Case("bce_with_logits",
             [("input", "x", "f64", (B, I), "randn"), ("label", "t", "f64", (B, O), "prob")],
             """
             h = tanh(dense(x, %d))
             loss = bce_with_logits(dense(h, %d), t)
             """ % (H, O),
             lambda P, D: F.binary_cross_entropy_with_logits(
                 dense(P, "dense1", torch.tanh(dense(P, "dense0", D["x"]))), D["t"]),
             op="bce_with_logits"))


_bce()
add(Case("loss_combination",
         [("input", "x", "f64", (4, 3), "randn"), ("label", "y", "i32", (4,), 3),
          ("label", "t", "f64", (4, 3), "randn")],
         """
         l = dense(x, 3)
         loss = cross_entropy(l, y) + 0.5 * mse(l, t)
         """,
         lambda P, D: F.cross_entropy(dense(P, "dense0", D["x"]), D["y"].long())
         + 0.5 * F.mse_loss(dense(P, "dense0", D["x"]), D["t"]),
         op="+ of losses"))


# ---------------------------------------------------------------------------
# The check.
# ---------------------------------------------------------------------------

def rel_err(a, b):
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-12))


def finite_differences(state, data, h=FD_STEP):
    """Central differences of the eval_step loss for every parameter element."""
    grads = {}
    for name, p in state.params().items():
        g = np.zeros(p.shape)
        flat = p.reshape(-1)  # a view: writes go into the state
        gflat = g.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + h
            lp = state.loss(data)
            flat[i] = orig - h
            lm = state.loss(data)
            flat[i] = orig
            gflat[i] = (lp - lm) / (2 * h)
        grads[name] = g
    return grads


def compare_grads(case_name, grads, reference, tol, what):
    """Returns a list of failure messages (empty when all parameters match)."""
    problems = []
    for name in reference:
        if name not in grads:
            problems.append("%s: parameter %s missing" % (case_name, name))
            continue
        err = rel_err(grads[name], reference[name])
        if not err < tol:  # also catches NaN
            problems.append("%s: %s: rel. error %.3g vs %s (tol %g); |g| = %.6g, |ref| = %.6g\n"
                            "  g   = %s\n  ref = %s" % (
                                case_name, name, err, what, tol, np.linalg.norm(grads[name]),
                                np.linalg.norm(reference[name]),
                                np.array2string(np.ravel(grads[name])[:8], precision=8),
                                np.array2string(np.ravel(reference[name])[:8], precision=8)))
    return problems


_LIBS = {}


def compiled(case, optimizer=GRAD_OPTIMIZER):
    key = (case.name, optimizer)
    if key not in _LIBS:
        _LIBS[key] = nnclib.compile_model(case.source(optimizer), nnc=NNC, name=case.name, flags=FLAGS)
    return _LIBS[key]


def torch_loss_and_grads(case, params, data):
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    D = {k: torch.tensor(v) for k, v in data.items()}
    loss = case.ref(P, D)
    names = list(P)
    gs = torch.autograd.grad(loss, [P[k] for k in names], allow_unused=True)
    grads = {k: (np.zeros(P[k].shape) if g is None else g.numpy()) for k, g in zip(names, gs)}
    return float(loss), grads


def check_case(case):
    """Runs all checks of one case; returns a list of failure messages."""
    lib = compiled(case)
    state = lib.create(case.seed())
    data = case.data()
    problems = []

    p0 = state.param_copies()
    loss0, outs = state.eval_step(data)
    if not np.isfinite(loss0):
        return ["%s: eval loss is %r" % (case.name, loss0)]

    # 1. Loss against PyTorch.
    t_grads = None
    if HAVE_TORCH:
        t_loss, t_grads = torch_loss_and_grads(case, p0, data)
        if not abs(loss0 - t_loss) <= LOSS_RTOL * max(1.0, abs(t_loss)):
            problems.append("%s: loss %.17g, PyTorch %.17g (rel. diff %.3g)"
                            % (case.name, loss0, t_loss, abs(loss0 - t_loss) / max(1e-300, abs(t_loss))))

    # 2. Finite differences (eval_step must leave the parameters untouched).
    fd = finite_differences(state, data)
    for k, v in state.params().items():
        if not np.array_equal(v, p0[k]):
            problems.append("%s: parameters changed by the finite-difference loop (%s)" % (case.name, k))
    for k, g in fd.items():
        # A parameter that does not influence the loss could not detect a
        # wrong gradient: make sure every case exercises its parameters.
        if not np.linalg.norm(g) > 1e-6:
            problems.append("%s: degenerate case, d loss / d %s is ~0 (%g)" % (case.name, k, np.linalg.norm(g)))

    # The library's gradient, from one SGD step with lr = 1.
    loss_train = state.train_step(data)
    if not abs(loss_train - loss0) <= 1e-12 * max(1.0, abs(loss0)):
        problems.append("%s: train_step returned %.17g, eval_step %.17g (must be the loss before the update)"
                        % (case.name, loss_train, loss0))
    p1 = state.params()
    grads = {k: p0[k] - p1[k] for k in p0}

    problems += compare_grads(case.name, grads, fd, FD_TOL, "finite differences")
    if t_grads is not None:
        problems += compare_grads(case.name, grads, t_grads, TORCH_GRAD_TOL, "torch autograd")
    state.destroy()
    return problems


def is_buffer(name):
    return name.endswith(".running_mean") or name.endswith(".running_var")


def check_train_mode(case):
    """check_case for ops that act differently in the train step: the loss
    as a function of the parameters is the first train_step's of a fresh
    state (step 1, batch statistics); the gradient comes from that step."""
    lib = compiled(case)
    data = case.data()
    problems = []

    def first_step(params):
        state = lib.create(case.seed())
        state.set_params(params)
        loss = state.train_step(data)
        after = state.param_copies()
        state.destroy()
        return loss, after

    state = lib.create(case.seed())
    p0 = state.param_copies()
    eval_loss, _ = state.eval_step(data)
    state.destroy()
    trainable = [k for k in p0 if not is_buffer(k)]
    loss0, p1 = first_step(p0)
    grads = {k: p0[k] - p1[k] for k in trainable}
    fd = {}
    for k in trainable:
        g = np.zeros(p0[k].shape)
        for i in range(g.size):
            params = {n: v.copy() for n, v in p0.items()}
            params[k].reshape(-1)[i] += FD_STEP
            lp, _ = first_step(params)
            params[k].reshape(-1)[i] -= 2 * FD_STEP
            lm, _ = first_step(params)
            g.reshape(-1)[i] = (lp - lm) / (2 * FD_STEP)
        if not np.linalg.norm(g) > 1e-6:
            problems.append("%s: degenerate case, d loss / d %s is ~0" % (case.name, k))
        fd[k] = g
    problems += compare_grads(case.name, grads, fd, FD_TOL, "finite differences")
    if HAVE_TORCH:
        t_loss, t_grads = torch_loss_and_grads(case, {k: p0[k] for k in trainable}, data)
        if not abs(loss0 - t_loss) <= LOSS_RTOL * max(1.0, abs(t_loss)):
            problems.append("%s: train-step loss %.17g, PyTorch %.17g" % (case.name, loss0, t_loss))
        problems += compare_grads(case.name, grads, t_grads, TORCH_GRAD_TOL, "torch autograd")
        P = {k: torch.tensor(p0[k]) for k in trainable}
        D = {k: torch.tensor(v) for k, v in data.items()}
        e_loss = float(case.eval_ref(P, D))
        if not abs(eval_loss - e_loss) <= LOSS_RTOL * max(1.0, abs(e_loss)):
            problems.append("%s: eval-step loss %.17g, PyTorch (eval mode) %.17g" % (case.name, eval_loss, e_loss))
        if abs(eval_loss - loss0) <= 1e-9 * abs(loss0):
            problems.append("%s: eval and train losses agree; the case cannot tell the modes apart" % case.name)
    return problems


class GradCheck(unittest.TestCase):
    maxDiff = None


def _make_test(case):
    def test(self):
        try:
            problems = check_train_mode(case) if case.train_mode else check_case(case)
        except Exception as e:
            SUMMARY[case.name] = (case.op, "ERROR", nnclib.first_error_line(e))
            raise
        SUMMARY[case.name] = (case.op, "FAIL" if problems else "ok",
                              problems[0].splitlines()[0] if problems else "")
        if problems:
            self.fail("gradient check failed for op '%s' (case %s):\n%s\n--- model ---\n%s"
                      % (case.op, case.name, "\n".join(problems), case.source()))
    test.__doc__ = "%s (%s)" % (case.name, case.op)
    return test


for _c in CASES:
    setattr(GradCheck, "test_" + _c.name, _make_test(_c))


class Harness(unittest.TestCase):
    """Checks that the checks themselves can fail."""

    def test_corrupted_gradient_is_detected(self):
        g = {"w": np.array([0.3, -0.2, 0.5])}
        self.assertEqual(compare_grads("x", g, {"w": g["w"].copy()}, FD_TOL, "self"), [])
        bad = {"w": g["w"] * np.array([1.0, 1.0, 1.0 + 1e-4])}
        self.assertTrue(compare_grads("x", bad, g, FD_TOL, "self"))
        self.assertTrue(compare_grads("x", {"w": np.array([np.nan, 0, 0])}, g, FD_TOL, "self"))

    def test_finite_differences_see_a_wrong_gradient(self):
        # The same pipeline as check_case on the plainest model, with the
        # largest gradient element corrupted by 1e-3 relative (at least
        # 1e-3 / sqrt(numel) in the norm, far above FD_TOL): must be reported.
        case = next(c for c in CASES if c.name == "mse")
        lib = compiled(case)
        state = lib.create(case.seed())
        data = case.data()
        p0 = state.param_copies()
        fd = finite_differences(state, data)
        state.train_step(data)
        grads = {k: p0[k] - v for k, v in state.params().items()}
        self.assertEqual(compare_grads(case.name, grads, fd, FD_TOL, "fd"), [])
        g = grads["dense0.weight"].reshape(-1)
        g[np.argmax(np.abs(g))] *= 1 + 1e-3
        self.assertTrue(compare_grads(case.name, grads, fd, FD_TOL, "fd"))


class PlainSgdF64(unittest.TestCase):
    """Two ways to read the gradient must agree: plain f64 SGD at lr = 1
    (p <- p - g) and the first step of SGD with momentum (buf = g)."""

    def test_plain_sgd_f64(self):
        case = next(c for c in CASES if c.name == "tanh")
        data = case.data()
        results = {}
        for opt in (GRAD_OPTIMIZER, MOMENTUM_OPTIMIZER):
            try:
                lib = compiled(case, opt)
            except nnclib.NNCError as e:
                SUMMARY["plain_sgd_f64"] = ("sgd f64", "FAIL", "%s does not compile: %s"
                                            % (opt, nnclib.first_error_line(e)))
                self.fail("f64 model with %s does not compile:\n%s" % (opt, e))
            state = lib.create(case.seed())
            p0 = state.param_copies()
            state.train_step(data)
            results[opt] = {k: p0[k] - v for k, v in state.params().items()}
        for k in results[GRAD_OPTIMIZER]:
            np.testing.assert_allclose(results[GRAD_OPTIMIZER][k], results[MOMENTUM_OPTIMIZER][k],
                                       rtol=1e-12, atol=1e-15, err_msg=k)
        SUMMARY["plain_sgd_f64"] = ("sgd f64", "ok", "")


def print_summary():
    if not SUMMARY:
        return
    print("\n=== gradient check summary (%d cases) ===" % len(SUMMARY), file=sys.stderr)
    for name in sorted(SUMMARY, key=lambda n: (SUMMARY[n][1] == "ok", n)):
        op, status, msg = SUMMARY[name]
        print("%-6s %-26s %-16s %s" % (status, name, op, msg[:150]), file=sys.stderr)


def main(argv):
    global NNC, FLAGS
    args = list(argv)
    nnc_arg = None
    if "--nnc" in args:
        i = args.index("--nnc")
        nnc_arg = args[i + 1]
        del args[i:i + 2]
    if "--flags" in args:
        i = args.index("--flags")
        FLAGS = tuple(args[i + 1].split())
        del args[i:i + 2]
    NNC = nnclib.find_nnc(nnc_arg)
    print("nnc: %s" % NNC, file=sys.stderr)
    if not HAVE_TORCH:
        print("NOTE: %s; the PyTorch comparisons are skipped, finite differences still run."
              % TORCH_MISSING, file=sys.stderr)
    else:
        torch.set_num_threads(1)
    prog = unittest.main(argv=args, exit=False)
    print_summary()
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
