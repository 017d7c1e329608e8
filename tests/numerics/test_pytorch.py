#!/usr/bin/env python3
"""Whole-model checks of nnc-compiled training libraries against PyTorch.

Each case is a small MLP (activation, loss, optimizer, optional gradient
clipping). The PyTorch model starts from nnc's initial parameters (copied
from <m>_params), both train 3 steps on the same fixed batch, and then:

* the 3 losses returned by <m>_train_step (loss before each update) must
  match PyTorch's;
* every parameter after the 3 steps must match;
* the outputs of <m>_eval_step after training must match PyTorch's forward.

Tolerances (float32): parameters and outputs rtol = 1e-4, atol = 1e-6;
losses rtol = 1e-5, atol = 1e-6. Both sides compute in float32 with
different summation orders and different exp/log/tanh implementations, so
single results differ by a few ulps (~1e-7 relative); after 3 steps the
parameters differ by at most ~1e-6 relative in practice: with -v each
case prints the fraction of the tolerance it used (under 1% when written). 1e-4 leaves two orders of magnitude of margin for
that noise but is far below the effect of any hyperparameter in the cases:
each case also runs a "mutant" PyTorch reference with one optimizer
setting changed or dropped (no momentum, no Nesterov, no weight decay, Adam
instead of AdamW, no clipping, ...) and requires it to differ from nnc by
more than the tolerance, so the check demonstrably sees that setting.

Small convolutional networks (conv2d, pooling, global_avg_pool) are
compared the same way (ARCH_CASES), each with a mutant PyTorch forward.

A few f64 models are also compared with PyTorch in float64, where the
tolerance is much tighter (see UPDATE_RTOL_F64 below).

Also checked: set_learning_rate between steps, save/load round trip and
last_error.

Run:  /usr/bin/python3 tests/numerics/test_pytorch.py [--nnc PATH] [--flags "OPTS"] [-v] [-k NAME]
The nnc binary: --nnc, else $NNC, else `nnc` on PATH, else build/bin/nnc.
"""

import os
import sys
import tempfile
import unittest

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

TORCH_MISSING = "PyTorch not installed; run tools/setup.sh"

NNC = None  # set in main()
FLAGS = ()  # extra nnc compile options (--flags), e.g. another target
STEPS = 3
PARAM_RTOL, PARAM_ATOL = 1e-4, 1e-6
LOSS_RTOL, LOSS_ATOL = 1e-5, 1e-6

B, IN, H1, H2, C = 8, 6, 10, 7, 4
SEED = 1234

SUMMARY = {}

# --- activations: nnc expression, PyTorch function ----------------------------
ACTIVATIONS = {
    "relu": ("relu({})", lambda v: F.relu(v)),
    "leaky_relu": ("leaky_relu({}, slope = 0.1)", lambda v: F.leaky_relu(v, 0.1)),
    "sigmoid": ("sigmoid({})", lambda v: torch.sigmoid(v)),
    "tanh": ("tanh({})", lambda v: torch.tanh(v)),
    "silu": ("silu({})", lambda v: F.silu(v)),
    "gelu": ("gelu({})", lambda v: F.gelu(v)),
    "gelu_tanh": ('gelu({}, approximate = "tanh")', lambda v: F.gelu(v, approximate="tanh")),
    "softplus": ("softplus({})", lambda v: F.softplus(v)),
    "elu": ("elu({})", lambda v: F.elu(v)),
}

# --- losses: label declaration, nnc loss, PyTorch loss, label generator --------
LOSSES = {
    "cross_entropy": ("label y: i32[%d]" % B, "cross_entropy(out, y)",
                      lambda o, y: F.cross_entropy(o, y.long()),
                      lambda rng: rng.randint(0, C, size=(B,)).astype(np.int32)),
    "cross_entropy_i64": ("label y: i64[%d]" % B, "cross_entropy(out, y)",
                          lambda o, y: F.cross_entropy(o, y),
                          lambda rng: rng.randint(0, C, size=(B,)).astype(np.int64)),
    "mse": ("label y: f32[%d, %d]" % (B, C), "mse(out, y)",
            lambda o, y: F.mse_loss(o, y),
            lambda rng: rng.randn(B, C).astype(np.float32)),
    "bce_with_logits": ("label y: f32[%d, %d]" % (B, C), "bce_with_logits(out, y)",
                        lambda o, y: F.binary_cross_entropy_with_logits(o, y),
                        lambda rng: rng.uniform(0, 1, size=(B, C)).astype(np.float32)),
}


# --- optimizers: nnc text, PyTorch constructor (kwargs), mutant kwargs ---------
# A spec is (kind, kwargs); kind is "sgd", "adam" or "adamw".
def torch_optimizer(spec, params):
    kind, kw = spec
    if kind == "sgd":
        return torch.optim.SGD(params, lr=kw["lr"], momentum=kw.get("momentum", 0),
                               dampening=kw.get("dampening", 0), nesterov=kw.get("nesterov", False),
                               weight_decay=kw.get("weight_decay", 0))
    cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
    default_wd = 0.0 if kind == "adam" else 0.01
    return cls(params, lr=kw["lr"], betas=(kw.get("beta1", 0.9), kw.get("beta2", 0.999)),
               eps=kw.get("eps", 1e-8), weight_decay=kw.get("weight_decay", default_wd))


def nnc_optimizer(spec):
    kind, kw = spec
    args = []
    for k, v in kw.items():
        args.append("%s = %s" % (k, ("true" if v else "false") if isinstance(v, bool) else repr(float(v))))
    return "%s(%s)" % (kind, ", ".join(args))


OPTIMIZERS = {
    # name: (spec, mutant spec or None, what the mutant drops)
    "sgd": (("sgd", {"lr": 0.1}), ("sgd", {"lr": 0.09}), "lr 0.1 -> 0.09"),
    "sgd_momentum": (("sgd", {"lr": 0.1, "momentum": 0.9}), ("sgd", {"lr": 0.1}), "no momentum"),
    "sgd_nesterov": (("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                     ("sgd", {"lr": 0.1, "momentum": 0.9}), "no nesterov"),
    "sgd_weight_decay_dampening": (
        ("sgd", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}),
        ("sgd", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05}), "no dampening"),
    "sgd_weight_decay_dampening_wd": (
        ("sgd", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}),
        ("sgd", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3}), "no weight decay"),
    "sgd_weight_decay": (("sgd", {"lr": 0.1, "weight_decay": 0.05}), ("sgd", {"lr": 0.1}), "no weight decay"),
    "adam": (("adam", {"lr": 0.01}), ("adamw", {"lr": 0.01}), "adamw's default decoupled decay"),
    "adam_betas_eps": (("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-3}),
                       ("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99}), "eps 1e-3 -> 1e-8"),
    "adam_bias_correction": (("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99}),
                             ("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.999}), "beta2 0.99 -> 0.999"),
    "adam_weight_decay": (("adam", {"lr": 0.01, "weight_decay": 0.1}), ("adamw", {"lr": 0.01, "weight_decay": 0.1}),
                          "decoupled instead of L2 decay"),
    "adamw": (("adamw", {"lr": 0.01, "weight_decay": 0.5}), ("adam", {"lr": 0.01, "weight_decay": 0.5}),
              "L2 instead of decoupled decay"),
    "adamw_default_decay": (("adamw", {"lr": 0.01}), ("adam", {"lr": 0.01}), "no weight decay"),
}

CLIP_ACTIVE = 0.05    # below the gradient norms of these models: clipping acts
CLIP_INACTIVE = 1e3   # above them: clip_grad_norm_ must be a no-op


class Case:
    def __init__(self, name, act, loss, opt, clip=None, mutant=None, mutant_what=None, clip_expect=None,
                 dtype="f32"):
        self.name, self.act, self.loss, self.opt, self.clip = name, act, loss, opt, clip
        self.dtype = dtype
        self.mutant, self.mutant_what = mutant, mutant_what
        self.clip_expect = clip_expect  # "active" / "inactive" / None

    def source(self):
        label_decl, loss_expr = LOSSES[self.loss][0], LOSSES[self.loss][1]
        act = ACTIVATIONS[self.act][0]
        train = "optimizer = %s" % nnc_optimizer(self.opt)
        if self.clip is not None:
            train += "\n  clip_grad_norm = %r" % float(self.clip)
        return ("model mlp_%s {\n"
                "  input x: %s[%d, %d]\n"
                "  %s\n"
                "  h = %s\n"
                "  h = %s\n"
                "  out = dense(h, %d)\n"
                "  loss = %s\n"
                "  output out\n"
                "}\n"
                "train {\n  %s\n}\n") % (self.name, self.dtype, B, IN, label_decl.replace("f32", self.dtype),
                                         act.format("dense(x, %d)" % H1), act.format("dense(h, %d)" % H2), C,
                                         loss_expr, train)


CASES = []
for _a in ACTIVATIONS:
    CASES.append(Case("act_" + _a, _a, "cross_entropy", ("sgd", {"lr": 0.1, "momentum": 0.9})))
for _l in LOSSES:
    CASES.append(Case("loss_" + _l, "tanh", _l, ("adam", {"lr": 0.01})))
    CASES.append(Case("loss_%s_sgd" % _l, "relu", _l, ("sgd", {"lr": 0.2, "momentum": 0.5})))
for _o, (_spec, _mut, _what) in OPTIMIZERS.items():
    CASES.append(Case("opt_" + _o, "relu", "cross_entropy", _spec, mutant=_mut, mutant_what=_what))
    # With active clipping; the mutant drops the clipping.
    CASES.append(Case("opt_%s_clip" % _o, "relu", "cross_entropy", _spec, clip=CLIP_ACTIVE,
                      mutant=_spec, mutant_what="no clipping", clip_expect="active"))
for _o in ("sgd_momentum", "adam"):
    CASES.append(Case("opt_%s_clip_inactive" % _o, "tanh", "mse", OPTIMIZERS[_o][0], clip=CLIP_INACTIVE,
                      clip_expect="inactive"))
CASES.append(Case("loss_bce_with_logits_clip_adamw", "elu", "bce_with_logits", ("adamw", {"lr": 0.02}),
                  clip=CLIP_ACTIVE, mutant=("adamw", {"lr": 0.02}), mutant_what="no clipping",
                  clip_expect="active"))


def make_data(case):
    rng = np.random.RandomState(SEED)
    x = rng.randn(B, IN).astype(np.float32)
    y = LOSSES[case.loss][3](rng)
    if case.dtype == "f64":
        x = x.astype(np.float64)
        if y.dtype == np.float32:
            y = y.astype(np.float64)
    return {"x": x, "y": y}


def torch_run(case, params0, data, opt_spec, clip):
    """Trains the PyTorch model STEPS steps; returns losses, final params,
    final outputs and the gradient norm before clipping at each step."""
    tdt = torch.float64 if case.dtype == "f64" else torch.float32
    P = {k: torch.nn.Parameter(torch.tensor(v, dtype=tdt)) for k, v in params0.items()}
    order = list(params0)  # nnc's parameter order (= parameter creation order)
    act = ACTIVATIONS[case.act][1]
    loss_fn = LOSSES[case.loss][2]
    x = torch.tensor(data["x"])
    y = torch.tensor(data["y"])

    def forward():
        h = act(F.linear(x, P["dense0.weight"], P["dense0.bias"]))
        h = act(F.linear(h, P["dense1.weight"], P["dense1.bias"]))
        return F.linear(h, P["dense2.weight"], P["dense2.bias"])

    opt = torch_optimizer(opt_spec, [P[k] for k in order])
    losses, norms = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(forward(), y)
        loss.backward()
        norms.append(float(torch.norm(torch.stack([P[k].grad.norm() for k in order]))))
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([P[k] for k in order], clip)
        opt.step()
        losses.append(float(loss))
    with torch.no_grad():
        out = forward().numpy()
    return losses, {k: P[k].detach().numpy().copy() for k in order}, out, norms


def max_rel_diff(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-6)))


def within_tol(a, b):
    return np.allclose(a, b, rtol=PARAM_RTOL, atol=PARAM_ATOL)


_LIBS = {}


def compiled(case):
    if case.name not in _LIBS:
        _LIBS[case.name] = nnclib.compile_model(case.source(), nnc=NNC, name=case.name, flags=FLAGS)
    return _LIBS[case.name]


def check_case(case, verbose=False):
    lib = compiled(case)
    state = lib.create(SEED)
    data = make_data(case)
    p0 = state.param_copies()
    expected_names = ["dense%d.%s" % (i, w) for i in range(3) for w in ("weight", "bias")]
    problems = []
    if sorted(p0) != sorted(expected_names):
        return ["parameters are %s, expected %s" % (sorted(p0), sorted(expected_names))]

    losses = [state.train_step(data) for _ in range(STEPS)]
    p_nnc = state.param_copies()
    _, outs = state.eval_step(data)
    out_nnc = outs["out"]
    if state.step_count() != STEPS:
        problems.append("step_count() = %d after %d steps" % (state.step_count(), STEPS))

    t_losses, p_torch, out_torch, norms = torch_run(case, p0, data, case.opt, case.clip)

    if not np.allclose(losses, t_losses, rtol=LOSS_RTOL, atol=LOSS_ATOL):
        problems.append("losses nnc %s, PyTorch %s" % (np.array2string(np.array(losses), precision=8),
                                                        np.array2string(np.array(t_losses), precision=8)))
    worst = 0.0  # max |diff| / (atol + rtol |ref|): 1 is the tolerance
    for k in expected_names:
        worst = max(worst, float(np.max(np.abs(p_nnc[k] - p_torch[k])
                                        / (PARAM_ATOL + PARAM_RTOL * np.abs(p_torch[k])))))
        if not within_tol(p_nnc[k], p_torch[k]):
            d = np.abs(p_nnc[k] - p_torch[k])
            i = np.unravel_index(np.argmax(d), d.shape)
            problems.append("%s after %d steps: max |diff| %.3g at %s (nnc %.8g, PyTorch %.8g, initial %.8g); "
                            "rel. diff of the update %.3g" % (
                                k, STEPS, d[i], i, p_nnc[k][i], p_torch[k][i], p0[k][i],
                                d[i] / max(abs(p_torch[k][i] - p0[k][i]), 1e-30)))
    if not within_tol(out_nnc, out_torch):
        problems.append("eval outputs after training: max |diff| %.3g" % np.max(np.abs(out_nnc - out_torch)))

    # The case must exercise what it claims to.
    if case.clip_expect == "active" and not norms[0] > case.clip * 1.5:
        problems.append("test setup: gradient norm %.3g does not exceed clip_grad_norm %.3g; "
                        "clipping would not be tested" % (norms[0], case.clip))
    if case.clip_expect == "inactive" and not max(norms) < case.clip:
        problems.append("test setup: gradient norm %.3g exceeds clip %.3g" % (max(norms), case.clip))
    moved = max(max_rel_diff(p_torch[k], p0[k]) for k in expected_names)
    if not moved > 100 * PARAM_RTOL:
        problems.append("test setup: the parameters barely move (%.3g): the comparison would be vacuous" % moved)
    if case.mutant is not None and not problems:
        mclip = None if case.mutant_what == "no clipping" else case.clip
        _, p_mut, _, _ = torch_run(case, p0, data, case.mutant, mclip)
        if all(within_tol(p_nnc[k], p_mut[k]) for k in expected_names):
            problems.append("test setup: a PyTorch reference with %s also matches nnc within the tolerance; "
                            "the case cannot see that setting" % case.mutant_what)
    if verbose:
        print("  %-40s tolerance used %.1f%%, losses %s" % (case.name, 100 * worst,
                                                        np.array2string(np.array(losses), precision=6)),
              file=sys.stderr)
    state.destroy()
    return problems


class PyTorchComparison(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        if not HAVE_TORCH:
            raise unittest.SkipTest(TORCH_MISSING)


VERBOSE = False


def _make_test(case):
    def test(self):
        what = "%s + %s + %s%s" % (case.act, case.loss, nnc_optimizer(case.opt),
                                   "" if case.clip is None else " + clip_grad_norm %g" % case.clip)
        try:
            problems = check_case(case, VERBOSE)
        except Exception as e:
            SUMMARY[case.name] = (what, "ERROR", nnclib.first_error_line(e))
            raise
        SUMMARY[case.name] = (what, "FAIL" if problems else "ok", problems[0] if problems else "")
        if problems:
            self.fail("mismatch with PyTorch for %s (case %s):\n  %s\n--- model ---\n%s"
                      % (what, case.name, "\n  ".join(problems), case.source()))
    return test


for _c in CASES:
    setattr(PyTorchComparison, "test_" + _c.name, _make_test(_c))


# --- f64 models against PyTorch float64 ---------------------------------------
# In float64 the only differences left are summation order and libm: after 3
# steps the update of each parameter (p_after - p_before) must match
# PyTorch's to UPDATE_RTOL_F64 in relative norm, far tighter than f32 allows.
# Learning rates that are exact binary fractions (0.125, 2^-7) are also
# exact in any narrower type the library might keep them in; 0.1 and 0.01 are
# not, so a pair of cases tells a rounded learning rate from a wrong formula.
UPDATE_RTOL_F64 = 1e-9
LOSS_RTOL_F64 = 1e-12

F64_CASES = [
    Case("f64_sgd", "tanh", "mse", ("sgd", {"lr": 0.125}), dtype="f64"),
    Case("f64_sgd_momentum_exact_lr", "tanh", "cross_entropy", ("sgd", {"lr": 0.125, "momentum": 0.9}),
         dtype="f64"),
    Case("f64_sgd_momentum_lr_0_1", "tanh", "cross_entropy", ("sgd", {"lr": 0.1, "momentum": 0.9}), dtype="f64"),
    Case("f64_sgd_nesterov_wd", "relu", "cross_entropy",
         ("sgd", {"lr": 0.125, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}), dtype="f64"),
    Case("f64_adam_exact_lr", "tanh", "cross_entropy", ("adam", {"lr": 0.0078125}), dtype="f64"),
    Case("f64_adam_lr_0_01", "tanh", "cross_entropy", ("adam", {"lr": 0.01}), dtype="f64"),
    Case("f64_adamw_clip_exact_lr", "silu", "bce_with_logits", ("adamw", {"lr": 0.0078125, "weight_decay": 0.5}),
         clip=CLIP_ACTIVE, dtype="f64"),
]


def check_case_f64(case):
    lib = compiled(case)
    state = lib.create(SEED)
    data = make_data(case)
    p0 = state.param_copies()
    if any(v.dtype != np.float64 for v in p0.values()):
        return ["parameters are not f64: %s" % {k: str(v.dtype) for k, v in p0.items()}]
    losses = [state.train_step(data) for _ in range(STEPS)]
    p_nnc = state.param_copies()
    t_losses, p_torch, _, _ = torch_run(case, p0, data, case.opt, case.clip)
    problems = []
    if not np.allclose(losses, t_losses, rtol=LOSS_RTOL_F64, atol=0):
        problems.append("losses nnc %r, PyTorch %r" % (losses, t_losses))
    for k in p0:
        du, dt = p_nnc[k] - p0[k], p_torch[k] - p0[k]
        err = np.linalg.norm(du - dt) / max(np.linalg.norm(dt), 1e-300)
        if not err < UPDATE_RTOL_F64:
            i = np.unravel_index(np.argmax(np.abs(du - dt)), du.shape)
            problems.append("%s: update after %d steps differs from PyTorch by %.3g (relative norm, tol %g); "
                            "worst element %s: nnc update %.17g, PyTorch %.17g" % (
                                k, STEPS, err, UPDATE_RTOL_F64, i, du[i], dt[i]))
    state.destroy()
    return problems


class PyTorchComparisonF64(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        if not HAVE_TORCH:
            raise unittest.SkipTest(TORCH_MISSING)


def _make_test_f64(case):
    def test(self):
        what = "f64 %s + %s + %s%s" % (case.act, case.loss, nnc_optimizer(case.opt),
                                       "" if case.clip is None else " + clip_grad_norm %g" % case.clip)
        try:
            problems = check_case_f64(case)
        except Exception as e:
            SUMMARY[case.name] = (what, "ERROR", nnclib.first_error_line(e))
            raise
        SUMMARY[case.name] = (what, "FAIL" if problems else "ok", problems[0] if problems else "")
        if problems:
            self.fail("mismatch with PyTorch (float64) for %s (case %s):\n  %s\n--- model ---\n%s"
                      % (what, case.name, "\n  ".join(problems), case.source()))
    return test


for _c in F64_CASES:
    setattr(PyTorchComparisonF64, "test_" + _c.name, _make_test_f64(_c))


# --- convolutional models -------------------------------------------------------
# Whole small CNNs trained STEPS steps against PyTorch float32, as above. Each
# case also has a mutant PyTorch forward (same shapes, one layer's semantics
# changed) that must differ from nnc by more than the tolerance.

class ArchCase:
    def __init__(self, name, x_shape, classes, body, forward, mutant, mutant_what, opt):
        self.name, self.x_shape, self.classes = name, x_shape, classes
        self.body, self.forward, self.mutant, self.mutant_what = body, forward, mutant, mutant_what
        self.opt = opt

    def source(self):
        lines = ["model %s {" % self.name,
                 "  input x: f32[%s]" % ", ".join(map(str, self.x_shape)),
                 "  label y: i32[%d]" % self.x_shape[0]]
        lines += ["  " + l.strip() for l in self.body.strip().splitlines()]
        lines += ["  loss = cross_entropy(out, y)", "  output out", "}",
                  "train {\n  optimizer = %s\n}" % nnc_optimizer(self.opt)]
        return "\n".join(lines) + "\n"

    def data(self):
        rng = np.random.RandomState(SEED)
        return {"x": rng.randn(*self.x_shape).astype(np.float32),
                "y": rng.randint(0, self.classes, size=(self.x_shape[0],)).astype(np.int32)}


def conv(P, name, x, **kw):
    return F.conv2d(x, P[name + ".weight"], P.get(name + ".bias"), **kw)


def replicate_conv(P, name, x, padding):
    """The same convolution with replicated instead of zero padding."""
    return conv(P, name, F.pad(x, (padding, padding, padding, padding), mode="replicate"))


def _small_cnn(P, x, conv1=None):
    h = F.max_pool2d(F.relu(conv(P, "conv0", x, padding=1)), 2)
    h = conv1(P, h) if conv1 else conv(P, "conv1", h, padding=1)
    h = F.relu(h)
    h = F.avg_pool2d(h, 2)
    return F.linear(h.flatten(1), P["dense0.weight"], P["dense0.bias"])


def batch_norm(P, S, h, k, train, momentum):
    """PyTorch's batch_norm with nnc's k-th batch_norm parameters and running statistics."""
    return F.batch_norm(h, S["batch_norm%d.running_mean" % k], S["batch_norm%d.running_var" % k],
                        P["batch_norm%d.weight" % k], P["batch_norm%d.bias" % k],
                        training=train, momentum=momentum)


def _norm_net(P, x, S, train, step, momentum=0.1, drop=True):
    h = conv(P, "conv0", x, padding=1)
    h = F.relu(batch_norm(P, S, h, 0, train, momentum))
    h = F.layer_norm(F.max_pool2d(h, 2).flatten(1), (16,), P["layer_norm0.weight"], P["layer_norm0.bias"])
    if train and drop:
        h = h * torch.tensor(nnclib.dropout_mask((4, 16), 0.2, 0, step), dtype=torch.float32) / 0.8
    return F.linear(h, P["dense0.weight"], P["dense0.bias"])


def _residual_net(P, x, S, train, step, momentum=0.1):
    def bn(h, k):
        return batch_norm(P, S, h, k, train, momentum)
    h = F.relu(bn(conv(P, "conv0", x, padding=1), 0))
    r = F.relu(bn(conv(P, "conv1", h, padding=1), 1))
    r = bn(conv(P, "conv2", r, padding=1), 2)
    h = F.relu(h + r)
    return F.linear(h.flatten(1), P["dense0.weight"], P["dense0.bias"])


def _down_net(P, x, S, train, step, momentum=0.1):
    def bn(h, k):
        return batch_norm(P, S, h, k, train, momentum)
    h = F.relu(bn(conv(P, "conv0", x, padding=1), 0))
    h = F.relu(bn(conv(P, "conv1", h, stride=2, padding=1), 1))
    r = bn(conv(P, "conv2", h, padding=1), 2)
    h = F.relu(h + r)
    return F.linear(h.mean(dim=(2, 3)), P["dense0.weight"], P["dense0.bias"])


def _residual_case(name, shape, channels):
    """A ResNet basic block of `channels` channels on `shape` inputs."""
    return ArchCase(name, shape, 3,
                    """
                    h = relu(batch_norm(conv2d(x, %d, kernel = 3, padding = same, bias = false)))
                    r = relu(batch_norm(conv2d(h, %d, kernel = 3, padding = same, bias = false)))
                    r = batch_norm(conv2d(r, %d, kernel = 3, padding = same, bias = false))
                    h = relu(h + r)
                    out = dense(flatten(h), 3)
                    """ % (channels, channels, channels),
                    _residual_net,
                    lambda P, x, S, t, s: _residual_net(P, x, S, t, s, momentum=0.2),
                    "batch_norm momentum 0.2", ("adam", {"lr": 0.01}))


ARCH_CASES = [
    # A ResNet basic block (direct convolutions, batch norm, the residual
    # sum): the fusion of its backward pass across the skip is where
    # recomputation rules matter. A batch of 16 so that the batch-norm
    # reductions are split (nnc-split-reductions needs at least 8).
    _residual_case("residual_block", (16, 3, 6, 6), 4),
    # The same block with rows of 12 positions and 8 channels: a register
    # tile of 12 positions fits one row on AVX2 and AVX-512 alike, so the
    # convolutions and their input gradients run over the valid output
    # positions only (loops (n, y, x, ...), no gap positions computed), and
    # the weight gradients in K blocks of whole rows.
    _residual_case("residual_block_valid_positions", (8, 3, 12, 12), 8),
    # A ResNet stage change: a stride-2 convolution (space-to-depth, then a
    # direct convolution) with batch norm, then a residual block, all kept
    # channels-last between the convolutions (nnc-propagate-channels-last).
    ArchCase("resnet_down", (16, 3, 8, 8), 3,
             """
             h = relu(batch_norm(conv2d(x, 4, kernel = 3, padding = same, bias = false)))
             h = relu(batch_norm(conv2d(h, 8, kernel = 3, stride = 2, padding = 1, bias = false)))
             r = batch_norm(conv2d(h, 8, kernel = 3, padding = same, bias = false))
             h = relu(h + r)
             out = dense(global_avg_pool(h), 3)
             """,
             _down_net, lambda P, x, S, t, s: _down_net(P, x, S, t, s, momentum=0.2),
             "batch_norm momentum 0.2", ("adam", {"lr": 0.01})),
    # Running statistics after 3 steps and the eval step (running statistics,
    # no dropout) are compared too; the mutant uses momentum 0.2. No bias
    # before batch_norm with Adam: its gradient is 0 up to rounding, which
    # Adam would turn into full steps in either library.
    ArchCase("norm_dropout", (4, 3, 4, 4), 3,
             """
             h = relu(batch_norm(conv2d(x, 4, kernel = 3, padding = 1, bias = false)))
             h = layer_norm(flatten(max_pool2d(h, 2)))
             out = dense(dropout(h, p = 0.2), 3)
             """,
             _norm_net, lambda P, x, S, t, s: _norm_net(P, x, S, t, s, momentum=0.2),
             "batch_norm momentum 0.2", ("adam", {"lr": 0.01})),
    ArchCase("dropout_mask", (4, 3, 4, 4), 3,
             """
             h = relu(batch_norm(conv2d(x, 4, kernel = 3, padding = 1)))
             h = layer_norm(flatten(max_pool2d(h, 2)))
             out = dense(dropout(h, p = 0.2), 3)
             """,
             _norm_net, lambda P, x, S, t, s: _norm_net(P, x, S, t, s, drop=False),
             "no dropout", ("sgd", {"lr": 0.1})),
    ArchCase("cnn_pool", (4, 2, 8, 8), 5,
             """
             h = max_pool2d(relu(conv2d(x, 4, kernel = 3, padding = same)), 2)
             h = relu(conv2d(h, 6, kernel = 3, padding = 1))
             h = avg_pool2d(h, 2)
             out = dense(flatten(h), 5)
             """,
             lambda P, x, *_: _small_cnn(P, x),
             lambda P, x, *_: _small_cnn(P, x, lambda P, h: replicate_conv(P, "conv1", h, 1)),
             "replicated instead of zero padding in conv1", ("adam", {"lr": 0.01})),
    ArchCase("cnn_strided_groups", (3, 4, 9, 9), 4,
             """
             h = tanh(conv2d(x, 6, kernel = 3, stride = 2, groups = 2, dilation = [1, 2], padding = [1, 2]))
             h = max_pool2d(h, 3, stride = 2, padding = 1)
             out = dense(global_avg_pool(conv2d(h, 8, kernel = 1)), 4)
             """,
             lambda P, x, *_: F.linear(conv(P, "conv1", F.max_pool2d(torch.tanh(
                 conv(P, "conv0", x, stride=2, groups=2, dilation=(1, 2), padding=(1, 2))), 3, stride=2, padding=1))
                 .mean(dim=(2, 3)), P["dense0.weight"], P["dense0.bias"]),
             lambda P, x, *_: F.linear(conv(P, "conv1", F.avg_pool2d(torch.tanh(
                 conv(P, "conv0", x, stride=2, groups=2, dilation=(1, 2), padding=(1, 2))), 3, stride=2, padding=1))
                 .mean(dim=(2, 3)), P["dense0.weight"], P["dense0.bias"]),
             "average instead of max pooling", ("sgd", {"lr": 0.1, "momentum": 0.9})),
]


def is_buffer(name):
    return name.endswith(".running_mean") or name.endswith(".running_var")


def torch_arch_run(case, params0, data, forward):
    """forward(P, x, S, train, step): S holds the buffers (running
    statistics), which a training forward updates in place."""
    P = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in params0.items() if not is_buffer(k)}
    S = {k: torch.tensor(v) for k, v in params0.items() if is_buffer(k)}
    order = [k for k in params0 if not is_buffer(k)]
    x, y = torch.tensor(data["x"]), torch.tensor(data["y"]).long()
    opt = torch_optimizer(case.opt, [P[k] for k in order])
    losses = []
    for step in range(1, STEPS + 1):
        opt.zero_grad()
        loss = F.cross_entropy(forward(P, x, S, True, step), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    with torch.no_grad():
        out = forward(P, x, S, False, 0).numpy()
    final = {k: P[k].detach().numpy().copy() for k in order}
    final.update({k: v.numpy().copy() for k, v in S.items()})
    return losses, final, out


def check_arch_case(case):
    lib = nnclib.compile_model(case.source(), nnc=NNC, name=case.name, flags=FLAGS)
    state = lib.create(SEED)
    data = case.data()
    p0 = state.param_copies()
    losses = [state.train_step(data) for _ in range(STEPS)]
    p_nnc = state.param_copies()
    _, outs = state.eval_step(data)
    state.destroy()
    t_losses, p_torch, out_torch = torch_arch_run(case, p0, data, case.forward)
    problems = []
    if not np.allclose(losses, t_losses, rtol=LOSS_RTOL, atol=LOSS_ATOL):
        problems.append("losses nnc %r, PyTorch %r" % (losses, t_losses))
    for k in p0:
        if not within_tol(p_nnc[k], p_torch[k]):
            problems.append("%s after %d steps: max |diff| %.3g" % (k, STEPS, np.max(np.abs(p_nnc[k] - p_torch[k]))))
    if not within_tol(outs["out"], out_torch):
        problems.append("eval outputs after training: max |diff| %.3g" % np.max(np.abs(outs["out"] - out_torch)))
    moved = max(max_rel_diff(p_torch[k], p0[k]) for k in p0)
    if not moved > 100 * PARAM_RTOL:
        problems.append("test setup: the parameters barely move (%.3g)" % moved)
    if not problems:
        _, p_mut, _ = torch_arch_run(case, p0, data, case.mutant)
        if all(within_tol(p_nnc[k], p_mut[k]) for k in p0):
            problems.append("test setup: a PyTorch reference with %s also matches nnc" % case.mutant_what)
    return problems


class PyTorchComparisonArch(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        if not HAVE_TORCH:
            raise unittest.SkipTest(TORCH_MISSING)


def _make_test_arch(case):
    def test(self):
        what = "%s + %s" % (case.name, nnc_optimizer(case.opt))
        try:
            problems = check_arch_case(case)
        except Exception as e:
            SUMMARY[case.name] = (what, "ERROR", nnclib.first_error_line(e))
            raise
        SUMMARY[case.name] = (what, "FAIL" if problems else "ok", problems[0] if problems else "")
        if problems:
            self.fail("mismatch with PyTorch for %s:\n  %s\n--- model ---\n%s"
                      % (case.name, "\n  ".join(problems), case.source()))
    return test


for _c in ARCH_CASES:
    setattr(PyTorchComparisonArch, "test_" + _c.name, _make_test_arch(_c))


class Api(unittest.TestCase):
    """Library API round trips used by the checks above."""

    def setUp(self):
        if not HAVE_TORCH:
            raise unittest.SkipTest(TORCH_MISSING)

    def test_set_learning_rate(self):
        # Halving the learning rate after a step must act like PyTorch's
        # param_group["lr"] change.
        case = next(c for c in CASES if c.name == "opt_sgd_momentum")
        lib = compiled(case)
        state = lib.create(SEED)
        data = make_data(case)
        p0 = state.param_copies()
        state.train_step(data)
        state.set_learning_rate(0.03)
        self.assertAlmostEqual(state.learning_rate(), 0.03, places=7)
        state.train_step(data)
        P = [torch.nn.Parameter(torch.tensor(v)) for v in p0.values()]
        names = list(p0)
        Pd = dict(zip(names, P))
        opt = torch_optimizer(case.opt, P)
        for lr in (0.1, 0.03):
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad()
            h = F.relu(F.linear(torch.tensor(data["x"]), Pd["dense0.weight"], Pd["dense0.bias"]))
            h = F.relu(F.linear(h, Pd["dense1.weight"], Pd["dense1.bias"]))
            F.cross_entropy(F.linear(h, Pd["dense2.weight"], Pd["dense2.bias"]),
                            torch.tensor(data["y"]).long()).backward()
            opt.step()
        for k, v in state.params().items():
            np.testing.assert_allclose(v, Pd[k].detach().numpy(), rtol=PARAM_RTOL, atol=PARAM_ATOL, err_msg=k)

    def test_save_load(self):
        case = next(c for c in CASES if c.name == "opt_adam")
        lib = compiled(case)
        a = lib.create(SEED)
        a.train_step(make_data(case))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "p.safetensors")
            self.assertEqual(a.save(path), 0, a.last_error())
            b = lib.create(SEED + 1)
            self.assertFalse(all(np.array_equal(a.params()[k], b.params()[k]) for k in a.params()))
            self.assertEqual(b.load(path), 0, b.last_error())
            for k, v in a.params().items():
                np.testing.assert_array_equal(v, b.params()[k], err_msg=k)
            self.assertNotEqual(b.load(os.path.join(d, "missing.safetensors")), 0)
            self.assertIn("missing.safetensors", b.last_error())


class Buffers(unittest.TestCase):
    """Running statistics are state of the library, saved like PyTorch's
    buffers."""

    def setUp(self):
        if not HAVE_TORCH:
            raise unittest.SkipTest(TORCH_MISSING)

    def test_checkpoint_holds_running_stats(self):
        case = next(c for c in ARCH_CASES if c.name == "norm_dropout")
        lib = nnclib.compile_model(case.source(), nnc=NNC, name=case.name, flags=FLAGS)
        a = lib.create(SEED)
        self.assertTrue(np.all(a.params()["batch_norm0.running_var"] == 1))
        self.assertTrue(np.all(a.params()["batch_norm0.running_mean"] == 0))
        a.train_step(case.data())
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "p.safetensors")
            self.assertEqual(a.save(path), 0, a.last_error())
            with open(path, "rb") as f:
                header = f.read(8 + int.from_bytes(f.read(8), "little"))
            for name in ("batch_norm0.running_mean", "batch_norm0.running_var"):
                self.assertIn(name.encode(), header)
            b = lib.create(SEED)
            self.assertEqual(b.load(path), 0, b.last_error())
            for name in ("batch_norm0.running_mean", "batch_norm0.running_var"):
                self.assertFalse(np.array_equal(b.params()[name], lib.create(SEED).params()[name]))
                np.testing.assert_array_equal(a.params()[name], b.params()[name])
            # The eval step reads the loaded statistics.
            self.assertEqual(a.eval_step(case.data())[0], b.eval_step(case.data())[0])


def print_summary():
    if not SUMMARY:
        return
    print("\n=== PyTorch comparison summary (%d cases) ===" % len(SUMMARY), file=sys.stderr)
    for name in sorted(SUMMARY, key=lambda n: (SUMMARY[n][1] == "ok", n)):
        what, status, msg = SUMMARY[name]
        print("%-6s %-40s %s%s" % (status, name, what, ("\n         " + msg[:300]) if msg else ""),
              file=sys.stderr)


def main(argv):
    global NNC, VERBOSE, FLAGS
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
        print("nnc compile flags: %s" % " ".join(FLAGS), file=sys.stderr)
    VERBOSE = "-v" in args
    NNC = nnclib.find_nnc(nnc_arg)
    print("nnc: %s" % NNC, file=sys.stderr)
    if not HAVE_TORCH:
        print("SKIPPED: %s" % TORCH_MISSING, file=sys.stderr)
    else:
        torch.set_num_threads(1)
    prog = unittest.main(argv=args, exit=False)
    print_summary()
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
