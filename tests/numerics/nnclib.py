"""Loads a model compiled by nnc into Python (ctypes + numpy).

    from nnclib import compile_model, find_nnc
    lib = compile_model(source, nnc=find_nnc())   # compiles into a temp dir
    st = lib.create(seed=0)
    loss = st.train_step(x=..., y=...)            # loss before the update
    loss, outs = st.eval_step(x=..., y=...)       # outs: {name: ndarray}
    params = st.params()                          # {name: ndarray view}
    params["dense0.weight"][0, 0] = 1.0           # writes into the state

Everything about the C API is read from the generated header <model>.h:

* the comments `/** Shape of 'x' (input): double[4, 3]. */` give the kind,
  C element type and shape of every input, label and output;
* the prototypes of <m>_train_step / <m>_eval_step give the argument order;
* the return types give the loss type (float or double).

Parameter arrays returned by State.params() are views on the library's
memory: they are only valid while the State is alive (destroy() or garbage
collection of the State frees them).
"""

import atexit
import ctypes
import os
import re
import shutil
import subprocess
import tempfile
import time

import numpy as np

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# C element types of the generated API.
_C_TYPES = {
    "float": (np.float32, ctypes.c_float),
    "double": (np.float64, ctypes.c_double),
    "int32_t": (np.int32, ctypes.c_int32),
    "int64_t": (np.int64, ctypes.c_int64),
    "uint16_t": (np.uint16, ctypes.c_uint16),  # f16 / bf16 bit patterns
}

# enum nnc_dtype in the header.
_PARAM_DTYPES = {0: np.float32, 1: np.float64, 2: np.int32, 3: np.int64}


class NNCError(RuntimeError):
    pass


def find_nnc(argv_value=None):
    """The nnc binary: an explicit value (e.g. from --nnc), $NNC, `nnc` on
    PATH, or build/bin/nnc in the repository. A bare name is looked up on
    PATH and skipped when not found there."""
    for cand in (argv_value, os.environ.get("NNC"), "nnc"):
        if not cand:
            continue
        if os.sep not in cand:
            resolved = shutil.which(cand)
            if resolved:
                return resolved
        else:
            return os.path.abspath(cand)  # an explicit path, even if missing
    return os.path.join(REPO_ROOT, "build", "bin", "nnc")


def first_error_line(exc):
    """The most telling line of an exception message (the first 'error:')."""
    lines = str(exc).splitlines() or [repr(exc)]
    for line in lines:
        if "error:" in line or "Error" in line:
            return line.strip()
    return lines[0]


class _Param(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("dtype", ctypes.c_int),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("data", ctypes.c_void_p),
        ("numel", ctypes.c_size_t),
    ]


class Arg:
    """An input, label or output of the step functions."""

    def __init__(self, name, kind, ctype, shape):
        self.name = name
        self.kind = kind  # "input", "label" or "output"
        self.ctype = ctype
        self.dtype = _C_TYPES[ctype][0]
        self.shape = tuple(shape)

    def __repr__(self):
        return "Arg(%s %s %s%s)" % (self.kind, self.name, self.ctype, list(self.shape))


def _parse_header(text, model):
    """Returns (args by name, train_step arg names, eval output names,
    loss ctype, prototypes {fn: (ret ctype, [param ctypes])})."""
    args = {}
    for m in re.finditer(
            r"Shape of (?:output )?'([^']+)' ?(?:\((input|label)\))?:\s*"
            r"([A-Za-z_0-9]+)\[([0-9, ]*)\]", text):
        name, kind, ctype, dims = m.groups()
        kind = kind or "output"
        shape = [int(d) for d in dims.split(",") if d.strip()]
        if ctype not in _C_TYPES:
            raise NNCError("unsupported C type %r for %r in the header" % (ctype, name))
        key = (kind == "output", name)
        args[key] = Arg(name, kind, ctype, shape)

    protos = {}
    for m in re.finditer(r"^([A-Za-z_][A-Za-z_0-9 ]*?[ *]+)(%s_[A-Za-z_0-9]+)\(([^)]*)\);"
                         % re.escape(model), text, re.M):
        ret, fn, params = m.groups()
        plist = []
        for p in params.split(","):
            p = p.strip()
            if not p or p == "void":
                continue
            pm = re.match(r"^(const\s+)?([A-Za-z_0-9]+)\s*(\*?)\s*([A-Za-z_0-9]+)$", p)
            if not pm:
                raise NNCError("cannot parse parameter %r of %s" % (p, fn))
            plist.append((pm.group(2), pm.group(3) == "*", pm.group(4)))
        protos[fn] = (ret.strip(), plist)
    return args, protos


def _ctype_of(ctype_name, pointer):
    if pointer:
        return ctypes.c_void_p
    if ctype_name in _C_TYPES:
        return _C_TYPES[ctype_name][1]
    return {"uint64_t": ctypes.c_uint64, "int": ctypes.c_int,
            "size_t": ctypes.c_size_t}[ctype_name]


class Library:
    """A compiled model: the loaded shared library and its API description."""

    def __init__(self, outdir, source=None):
        # The model's header, not the types every generated header shares.
        headers = [f for f in os.listdir(outdir)
                   if f.endswith(".h") and f != "nnc_types.h"]
        if len(headers) != 1:
            raise NNCError("expected one header in %s, found %s" % (outdir, headers))
        self.model = headers[0][:-2]
        self.outdir = outdir
        self.source = source
        with open(os.path.join(outdir, headers[0])) as f:
            self.header = f.read()
        m = self.model
        args, protos = _parse_header(self.header, m)
        self.protos = protos
        train = protos.get(m + "_train_step")
        evals = protos.get(m + "_eval_step")
        if not train or not evals:
            raise NNCError("no %s_train_step/%s_eval_step prototype in the header" % (m, m))
        self.loss_ctype = train[0]
        # train_step(state, inputs and labels...), eval_step(state, inputs and
        # labels..., outputs...).
        self.step_args = [args[(False, p[2])] for p in train[1][1:]]
        n = len(self.step_args)
        self.outputs = [args[(True, p[2])] for p in evals[1][1 + n:]]
        if [p[2] for p in evals[1][1:1 + n]] != [a.name for a in self.step_args]:
            raise NNCError("train_step and eval_step disagree on the inputs")

        # NNC_PRELOAD (colon-separated shared libraries, loaded globally
        # first) is a diagnostic aid for libraries with unresolved symbols;
        # the tests do not set it.
        for pre in filter(None, os.environ.get("NNC_PRELOAD", "").split(":")):
            ctypes.CDLL(pre, mode=ctypes.RTLD_GLOBAL)
        try:
            self.lib = ctypes.CDLL(os.path.join(outdir, "lib%s.so" % m))
        except OSError as e:
            raise NNCError("cannot load the compiled library: %s\n--- model ---\n%s"
                           % (e, source))
        for fn, (ret, params) in protos.items():
            f = getattr(self.lib, fn)
            f.argtypes = [_ctype_of(t, ptr) for t, ptr, _ in params]
            if ret == "void":
                f.restype = None
            elif ret.endswith("*"):
                base = ret.rstrip("* ").replace("const ", "").strip()
                f.restype = ctypes.c_char_p if base == "char" else ctypes.c_void_p
            else:
                f.restype = _ctype_of(ret, False)
        getattr(self.lib, m + "_params").restype = ctypes.POINTER(_Param)

    @property
    def inputs(self):
        return [a for a in self.step_args if a.kind == "input"]

    @property
    def labels(self):
        return [a for a in self.step_args if a.kind == "label"]

    def fn(self, suffix):
        return getattr(self.lib, "%s_%s" % (self.model, suffix))

    def create(self, seed=0):
        return State(self, seed)


class State:
    """One <m>_state: parameters, optimizer state."""

    def __init__(self, lib, seed):
        self.lib = lib
        self.ptr = None
        if lib.model + "_try_create" in lib.protos:
            error = ctypes.create_string_buffer(512)
            self.ptr = lib.fn("try_create")(seed, error, len(error))
            if not self.ptr:
                raise NNCError("%s_create returned NULL: %s"
                               % (lib.model, error.value.decode(errors="replace")))
        else:
            self.ptr = lib.fn("create")(seed)
        if not self.ptr:
            raise NNCError("%s_create returned NULL" % lib.model)
        # A GPU build's parameters live on the device; params() reads them
        # through the host copy.
        self.on_device = lib.model + "_sync_to_host" in lib.protos

    def destroy(self):
        if self.ptr:
            self.lib.fn("destroy")(self.ptr)
            self.ptr = None

    def __del__(self):
        try:
            self.destroy()
        except Exception:
            pass

    def _check(self):
        if not self.ptr:
            raise NNCError("state was destroyed")

    def _step_buffers(self, data):
        keep, ptrs = [], []
        for a in self.lib.step_args:
            if a.name not in data:
                raise NNCError("missing %s '%s'" % (a.kind, a.name))
            arr = np.ascontiguousarray(data[a.name], dtype=a.dtype)
            if arr.shape != a.shape and arr.size != int(np.prod(a.shape, dtype=np.int64)):
                raise NNCError("'%s' expects shape %s, got %s" % (a.name, a.shape, arr.shape))
            keep.append(arr)
            ptrs.append(arr.ctypes.data)
        extra = set(data) - {a.name for a in self.lib.step_args}
        if extra:
            raise NNCError("unknown inputs %s" % sorted(extra))
        return keep, ptrs

    def train_step(self, data=None, **kw):
        """One training step; returns the loss before the update."""
        self._check()
        data = dict(data or {}, **kw)
        keep, ptrs = self._step_buffers(data)
        return float(self.lib.fn("train_step")(self.ptr, *ptrs))

    def eval_step(self, data=None, **kw):
        """Forward only: returns (loss, {output name: array})."""
        self._check()
        data = dict(data or {}, **kw)
        keep, ptrs = self._step_buffers(data)
        outs = [np.zeros(o.shape, dtype=o.dtype) for o in self.lib.outputs]
        loss = self.lib.fn("eval_step")(self.ptr, *ptrs, *[o.ctypes.data for o in outs])
        return float(loss), {o.name: a for o, a in zip(self.lib.outputs, outs)}

    def loss(self, data=None, **kw):
        """eval_step without outputs (NULL pointers): just the loss."""
        self._check()
        data = dict(data or {}, **kw)
        keep, ptrs = self._step_buffers(data)
        return float(self.lib.fn("eval_step")(self.ptr, *ptrs,
                                              *[None for _ in self.lib.outputs]))

    def params(self):
        """{name: ndarray} in the library's order; the arrays are views on
        the state's memory (writable)."""
        self._check()
        if self.on_device and self.lib.fn("sync_to_host")(self.ptr) != 0:
            raise NNCError("%s_sync_to_host failed: %s" % (self.lib.model, self.last_error()))
        count = ctypes.c_size_t(0)
        arr = self.lib.fn("params")(self.ptr, ctypes.byref(count))
        out = {}
        for i in range(count.value):
            p = arr[i]
            shape = tuple(p.shape[d] for d in range(p.rank))
            dtype = np.dtype(_PARAM_DTYPES[p.dtype])
            buf = (ctypes.c_char * (p.numel * dtype.itemsize)).from_address(p.data)
            view = np.frombuffer(buf, dtype=dtype, count=p.numel).reshape(shape)
            out[p.name.decode()] = view
        return out

    def push_params(self):
        """After writing the arrays params() returned: makes a GPU build use
        them (a CPU build's arrays are its parameters)."""
        self._check()
        if self.on_device and self.lib.fn("sync_to_device")(self.ptr) != 0:
            raise NNCError("%s_sync_to_device failed: %s" % (self.lib.model, self.last_error()))

    def param_copies(self):
        return {k: v.copy() for k, v in self.params().items()}

    def set_params(self, values):
        params = self.params()
        for k, v in values.items():
            params[k][...] = v
        self.push_params()

    def set_learning_rate(self, lr):
        self._check()
        self.lib.fn("set_learning_rate")(self.ptr, lr)

    def learning_rate(self):
        return float(self.lib.fn("learning_rate")(self.ptr))

    def step_count(self):
        return int(self.lib.fn("step_count")(self.ptr))

    def save(self, path):
        """Returns 0 on success (see last_error otherwise)."""
        return int(self.lib.fn("save")(self.ptr, os.fsencode(path)))

    def load(self, path):
        return int(self.lib.fn("load")(self.ptr, os.fsencode(path)))

    def grad_rms(self):
        """{name: RMS of its gradient in the last train step}; needs a
        library compiled with --instrument=grad-stats."""
        self._check()
        fn = getattr(self.lib.lib, self.lib.model + "_grad_rms", None)
        if fn is None:
            raise NNCError("the library was compiled without --instrument=grad-stats")
        fn.restype = ctypes.POINTER(ctypes.c_double)
        names = list(self.params())
        values = fn(self.ptr)
        return {n: values[i] for i, n in enumerate(names)}

    def grad_nonfinite(self, index):
        fn = self.lib.fn("grad_nonfinite")
        return int(fn(self.ptr, index))

    def last_error(self):
        msg = self.lib.fn("last_error")(self.ptr)
        return msg.decode() if msg else ""


def dropout_mask(shape, p, seed, step):
    """The mask nn.dropout documents: fmix32 of (index ^ fmix32(seed +
    0x9E3779B9 * step)), kept when its top 24 bits / 2^24 >= p."""
    m32 = 0xFFFFFFFF

    def fmix(h):
        h = h.astype(np.uint64)
        h ^= h >> np.uint64(16)
        h = (h * np.uint64(0x85ebca6b)) & np.uint64(m32)
        h ^= h >> np.uint64(13)
        h = (h * np.uint64(0xc2b2ae35)) & np.uint64(m32)
        h ^= h >> np.uint64(16)
        return h

    key = fmix(np.array([(seed + 0x9E3779B9 * step) & m32], dtype=np.uint64))[0]
    h = fmix(np.arange(int(np.prod(shape)), dtype=np.uint64) ^ key)
    return ((h >> np.uint64(8)).astype(np.float64) * 2.0 ** -24 >= p).reshape(shape)


_UNRUNNABLE = set()
_TEMP_DIRS = []


@atexit.register
def _remove_temp_dirs():
    # Set NNC_KEEP_TEMP=1 to keep the compiled models for inspection.
    if os.environ.get("NNC_KEEP_TEMP"):
        return
    for d in _TEMP_DIRS:
        shutil.rmtree(d, ignore_errors=True)


def compile_model(source, nnc=None, outdir=None, name="model", retries=10,
                  flags=()):
    """Compiles `source` (model file text) with nnc into `outdir` (by
    default a fresh temporary directory, removed at exit unless
    NNC_KEEP_TEMP is set) and loads the library. `flags` are extra nnc
    compile options (e.g. "--instrument=grad-stats")."""
    nnc = nnc or find_nnc()
    if outdir is None:
        outdir = tempfile.mkdtemp(prefix="nnc-numerics-")
        _TEMP_DIRS.append(outdir)
    os.makedirs(outdir, exist_ok=True)
    src = os.path.join(outdir, name + ".nn")
    with open(src, "w") as f:
        f.write(source)
    lib_dir = os.path.join(outdir, "lib")
    for attempt in range(retries + 1):
        # The compiler may be being rebuilt concurrently: wait for the binary
        # and retry when it is missing, cannot be executed (being written) or
        # crashed (negative status). A model error (exit 1) is final.
        last = attempt == retries or nnc in _UNRUNNABLE
        try:
            proc = subprocess.run([nnc, "compile", src, "-o", lib_dir] + list(flags),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  universal_newlines=True)
        except OSError as e:
            if last:
                _UNRUNNABLE.add(nnc)  # do not wait again for every model
                raise NNCError("cannot run nnc at %s (set NNC or pass --nnc): %s" % (nnc, e))
            time.sleep(3)
            continue
        if proc.returncode == 0:
            break
        if proc.returncode > 0 or last:
            raise NNCError("nnc compile failed (exit %d):\n%s\n--- model ---\n%s"
                           % (proc.returncode, proc.stderr.strip(), source))
        time.sleep(3)
    return Library(lib_dir, source)
