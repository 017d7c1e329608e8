//===- LibraryInterface.cpp - What a generated library exports ------------===//

#include "compiler/Target/LibraryInterface.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace nnc;

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {
std::string cName(StringRef name);
} // namespace

static FailureOr<TensorInfo> describe(Location loc, Type type,
                                      DictionaryAttr attrs) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return emitError(loc) << "expects a static tensor at the library "
                             "boundary, got "
                          << type;
  TensorInfo info;
  info.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  Type et = tensor.getElementType();
  if (et.isF32())
    info.cType = "float";
  else if (et.isF64())
    info.cType = "double";
  else if (et.isSignlessInteger(32))
    info.cType = "int32_t";
  else if (et.isSignlessInteger(64))
    info.cType = "int64_t";
  else
    return emitError(loc) << "the C API supports f32, f64, i32 and i64 "
                             "tensors, got "
                          << type;
  if (attrs) {
    for (StringRef key : {"nn.param", "nn.buffer", "nn.state", "nn.name"})
      if (auto name = attrs.getAs<StringAttr>(key))
        info.name = name.str();
    info.init = attrs.getAs<nn::InitAttr>("nn.init");
    info.isLabel = static_cast<bool>(attrs.get("nn.label"));
  }
  return info;
}

FailureOr<LibraryInterface> LibraryInterface::fromModule(ModuleOp module) {
  func::FuncOp train, eval;
  for (auto func : module.getOps<func::FuncOp>()) {
    auto step = func->getAttrOfType<StringAttr>("nn.step");
    if (step && step.getValue() == "train")
      train = func;
    else if (step && step.getValue() == "eval")
      eval = func;
  }
  if (!train || !eval)
    return emitError(module.getLoc())
           << "expects a training and an evaluation step (run nnc-train-step)";
  LibraryInterface lib;
  lib.model = train->getAttrOfType<StringAttr>("nn.model_name").str();
  if (auto cfg = train->getAttrOfType<DictionaryAttr>("nn.train")) {
    if (auto opt = cfg.getAs<StringAttr>("optimizer"))
      lib.optimizer = opt.str();
    if (auto lr = cfg.getAs<FloatAttr>("lr"))
      lib.learningRate = lr.getValueAsDouble();
  }
  for (auto [i, type] : llvm::enumerate(train.getArgumentTypes())) {
    DictionaryAttr attrs = train.getArgAttrDict(i);
    FailureOr<TensorInfo> info = describe(train.getLoc(), type, attrs);
    if (failed(info))
      return failure();
    // Buffers (running statistics) are stored, initialized, listed and
    // checkpointed like parameters; they follow them in both steps.
    if (attrs && (attrs.get("nn.param") || attrs.get("nn.buffer")))
      lib.params.push_back(*info);
    else if (attrs && attrs.get("nn.state"))
      lib.state.push_back(*info);
    else if (info->name != "lr" && info->name != "step")
      lib.inputs.push_back(*info);
  }
  for (unsigned i = 0, e = train.getNumResults(); i < e; ++i)
    if (auto name = train.getResultAttrOfType<StringAttr>(i, "nn.name"))
      lib.gradStats |= name.getValue() == "grad_rms";
  FailureOr<TensorInfo> loss =
      describe(eval.getLoc(), eval.getResultTypes()[0], {});
  if (failed(loss))
    return failure();
  lib.lossType = loss->cType;
  for (unsigned i = 1, e = eval.getNumResults(); i < e; ++i) {
    FailureOr<TensorInfo> info = describe(
        eval.getLoc(), eval.getResultTypes()[i], eval.getResultAttrDict(i));
    if (failed(info))
      return failure();
    lib.outputs.push_back(*info);
  }
  // C identifiers: an output named like an input (`output y` with
  // `label y`) becomes `y_out`.
  llvm::StringSet<> taken;
  for (TensorInfo &in : lib.inputs) {
    in.cName = cName(in.name);
    taken.insert(in.cName);
  }
  for (TensorInfo &out : lib.outputs) {
    out.cName = cName(out.name);
    while (!taken.insert(out.cName).second)
      out.cName += "_out";
  }
  return lib;
}

//===----------------------------------------------------------------------===//
// C emission
//===----------------------------------------------------------------------===//

namespace {
std::string shapeText(const TensorInfo &t) {
  std::string s = "[";
  llvm::interleave(
      t.shape, [&](int64_t d) { s += std::to_string(d); }, [&] { s += ", "; });
  return s + "]";
}

/// A C identifier for a tensor name (`x`, `logits`): C and C++ keywords and
/// the names the API itself uses get a trailing underscore.
std::string cName(StringRef name) {
  static const char *const reserved[] = {
      "auto",      "bool",     "break",     "case",     "catch",    "char",
      "class",     "const",    "continue",  "default",  "delete",   "do",
      "double",    "else",     "enum",      "explicit", "extern",   "false",
      "float",     "for",      "friend",    "goto",     "if",       "inline",
      "int",       "long",     "namespace", "new",      "operator", "private",
      "protected", "public",   "register",  "restrict", "return",   "short",
      "signed",    "sizeof",   "static",    "struct",   "switch",   "template",
      "this",      "throw",    "true",      "try",      "typedef",  "typename",
      "union",     "unsigned", "using",     "virtual",  "void",     "volatile",
      "while",     "state",    "s",         "loss",     "step",     "count",
      "path",      "seed",     "lr"};
  std::string s;
  for (char c : name)
    s.push_back(llvm::isAlnum(c) ? c : '_');
  if (s.empty() || llvm::isDigit(s[0]))
    s.insert(0, "t_");
  if (llvm::is_contained(reserved, StringRef(s)))
    s.push_back('_');
  return s;
}

/// A number as C reads it and people write it: `0.001`, `1e-08`.
std::string cNumber(double value) {
  // The shortest form that reads back as the same double.
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof(text), "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value)
      break;
  }
  return text;
}

/// The macro spelling of a tensor name: `MLP_X_SIZE`.
std::string macroName(StringRef model, StringRef name) {
  std::string s;
  for (char c : name)
    s.push_back(llvm::isAlnum(c) ? llvm::toUpper(c) : '_');
  return (model.upper() + "_" + StringRef(s).rtrim('_')).str();
}

const char *dtypeEnum(StringRef cType) {
  if (cType == "float")
    return "NNC_F32";
  if (cType == "double")
    return "NNC_F64";
  if (cType == "int32_t")
    return "NNC_I32";
  return "NNC_I64";
}

/// `const float *x, const int32_t *y` for the inputs.
std::string inputParams(const LibraryInterface &lib) {
  std::string s;
  for (const TensorInfo &in : lib.inputs)
    s += ", const " + in.cType + " *" + in.cName;
  return s;
}
} // namespace

void nnc::emitCHeader(const LibraryInterface &lib, llvm::raw_ostream &os) {
  std::string m = lib.model, M = llvm::StringRef(m).upper();
  const std::string &lossType = lib.lossType;
  os << "/* " << m << ".h: C API of the '" << m
     << "' model, generated by nnc. Do not edit.\n"
     << " *\n"
     << " * Link with lib" << m << ".so or lib" << m << ".a (and -lm"
     << (lib.openmp ? " -lomp" : "") << (lib.cuda ? " -ldl" : "")
     << "). The library needs\n"
     << " * only libc and libm" << (lib.openmp ? " and libomp" : "")
     << " at run time" << (lib.cuda ? ", and the NVIDIA driver" : "") << ".\n"
     << " *\n";
  if (lib.cuda)
    os << " * GPU build (--target=cuda): parameters, optimizer state and the "
          "workspace\n"
       << " * live in device memory. " << m
       << "_create loads the CUDA driver (libcuda.so.1)\n"
       << " * and fails, with the reason from " << m
       << "_try_create, where there is none;\n"
       << " * loading the library itself does no CUDA work. Steps take host "
          "pointers\n"
       << " * and copy the batch up (" << m
       << "_train_step_device takes device pointers).\n"
       << " * " << m << "_params describes a host copy of the parameters: call "
       << m << "_sync_to_host\n"
       << " * before reading it and " << m
       << "_sync_to_device after writing it. Checkpoints\n"
       << " * are the same safetensors files as the CPU build's.\n"
       << " *\n";
  os << " * Ownership: " << m
     << "_create returns a state the caller frees with\n"
     << " * " << m
     << "_destroy. Every pointer passed in stays owned by the "
        "caller and\n"
     << " * is only read (or, for outputs, written) during the call.\n"
     << " *\n"
     << " * Thread safety: a state must not be used by two threads at once;\n"
     << " * distinct states are independent (the library has no global "
        "state).\n"
     << " *\n"
     << " * Arrays are dense, row-major (C order), in PyTorch's layout.\n"
     << " */\n"
     << "#ifndef " << M << "_H\n#define " << M << "_H\n\n"
     << "#include <stddef.h>\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "#ifndef NNC_PARAM_DEFINED\n#define NNC_PARAM_DEFINED\n"
     << "/** Element types of parameters. */\n"
     << "typedef enum nnc_dtype { NNC_F32 = 0, NNC_F64 = 1, NNC_I32 = 2, "
        "NNC_I64 = 3 } nnc_dtype;\n"
     << "/** A named parameter: its data is owned by the state and may be "
        "read\n"
     << " * and written between steps. */\n"
     << "typedef struct nnc_param {\n"
     << "  const char *name;    /**< e.g. \"dense0.weight\" */\n"
     << "  nnc_dtype dtype;\n"
     << "  int32_t rank;\n"
     << "  const int64_t *shape;\n"
     << "  void *data;\n"
     << "  size_t numel;\n"
     << "} nnc_param;\n#endif\n\n";
  for (const TensorInfo &in : lib.inputs)
    os << "/** Shape of '" << in.name << "' ("
       << (in.isLabel ? "label" : "input") << "): " << in.cType << shapeText(in)
       << ". */\n"
       << "#define " << macroName(m, in.name) << "_SIZE " << in.numElements()
       << "\n";
  for (const TensorInfo &out : lib.outputs)
    os << "/** Shape of output '" << out.name << "': " << out.cType
       << shapeText(out) << ". */\n"
       << "#define " << macroName(m, out.cName) << "_SIZE " << out.numElements()
       << "\n";
  os << "#define " << M << "_NUM_PARAMS " << lib.params.size() << "\n\n";
  os << "/** Training state: parameters, optimizer state, workspace. */\n"
     << "typedef struct " << m << "_state " << m << "_state;\n\n"
     << "/** Allocates a state and initializes the parameters as the model "
        "file\n * says, deterministically for `seed`. Returns NULL when out of "
        "memory. */\n"
     << m << "_state *" << m << "_create(uint64_t seed);\n\n"
     << "/** Like " << m
     << "_create; when it returns NULL, writes why (a NUL-terminated\n"
        " * line) into `error`, which may be NULL or `error_size` 0. */\n"
     << m << "_state *" << m
     << "_try_create(uint64_t seed, char *error, size_t error_size);\n\n"
     << "/** Frees a state; NULL is allowed. */\n"
     << "void " << m << "_destroy(" << m << "_state *state);\n\n"
     << "/** One training step on a batch: forward, loss, backward, "
        "update.\n * Returns the loss before the update. */\n"
     << lossType << " " << m << "_train_step(" << m << "_state *state"
     << inputParams(lib) << ");\n\n"
     << "/** Forward pass only: returns the loss and writes each output "
        "(may be NULL). */\n"
     << lossType << " " << m << "_eval_step(" << m << "_state *state"
     << inputParams(lib);
  for (const TensorInfo &out : lib.outputs)
    os << ", " << out.cType << " *" << out.cName;
  os << ");\n\n";
  if (lib.cuda)
    os << "/** " << m
       << "_train_step on a batch already in device memory (device "
          "pointers). */\n"
       << lossType << " " << m << "_train_step_device(" << m << "_state *state"
       << inputParams(lib) << ");\n\n"
       << "/** Copies the parameters from the device into the host copy that "
       << m << "_params\n * describes. Returns 0 on success; on failure see "
       << m << "_last_error. */\n"
       << "int " << m << "_sync_to_host(" << m << "_state *state);\n\n"
       << "/** Copies the host copy of the parameters to the device, for the "
          "next steps.\n * Returns 0 on success; on failure see "
       << m << "_last_error. */\n"
       << "int " << m << "_sync_to_device(" << m << "_state *state);\n\n";
  os << "/** Sets the learning rate used by the next steps (default "
     << cNumber(lib.learningRate) << "). */\n"
     << "void " << m << "_set_learning_rate(" << m
     << "_state *state, float lr);\n\n"
     << "/** The current learning rate. */\n"
     << "float " << m << "_learning_rate(const " << m << "_state *state);\n\n"
     << "/** Number of training steps taken so far. */\n"
     << "int64_t " << m << "_step_count(const " << m << "_state *state);\n\n"
     << "/** Lists the parameters; `*count` receives their number. The array\n"
     << " * and the data belong to the state. */\n"
     << "const nnc_param *" << m << "_params(" << m
     << "_state *state, size_t *count);\n\n"
     << "/** Writes the parameters to a safetensors file, atomically.\n"
     << " * Returns 0 on success; on failure see " << m << "_last_error. */\n"
     << "int " << m << "_save(const " << m
     << "_state *state, const char "
        "*path);\n\n"
     << "/** Reads parameters saved by " << m
     << "_save (or by PyTorch's safetensors\n * with the same names and "
        "shapes). Returns 0 on success; on failure the\n * parameters are "
        "unchanged and "
     << m << "_last_error says why. */\n"
     << "int " << m << "_load(" << m << "_state *state, const char *path);\n\n"
     << (lib.gradStats
             ? "/** Instrumentation (--instrument=grad-stats): the RMS of "
               "each parameter's\n * gradient in the last training step, "
               "before clipping, in the order of\n * " +
                   m +
                   "_params; all zero before the first step. The array "
                   "belongs to the\n * state. */\n"
                   "const double *" +
                   m + "_grad_rms(const " + m +
                   "_state *state);\n\n"
                   "/** Whether parameter `index`'s gradient in the last "
                   "training step had a\n * NaN or infinite element: 1 if "
                   "so, 0 if not (or if `index` is out of\n * range). */\n"
                   "int " +
                   m + "_grad_nonfinite(const " + m +
                   "_state *state, size_t index);\n\n"
             : std::string())
     << "/** The message of the last failed call on this state (\"\" if "
        "none). */\n"
     << "const char *" << m << "_last_error(const " << m
     << "_state *state);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << M << "_H */\n";
}

static void emitCUDAGlue(const LibraryInterface &lib, llvm::raw_ostream &os);

/// Declares the compiled steps: one pointer per tensor (bare-pointer ABI),
/// the workspace, then `extra` (", void *" for the GPU context) if any.
static void emitStepPrototypes(const LibraryInterface &lib, StringRef extra,
                               llvm::raw_ostream &os) {
  const std::string &m = lib.model, &lossType = lib.lossType;
  auto ptrList = [&](bool train) {
    std::string s;
    auto add = [&](const std::string &decl) {
      s += s.empty() ? decl : ", " + decl;
    };
    for (const TensorInfo &p : lib.params)
      add(p.cType + " *");
    if (train)
      for (const TensorInfo &p : lib.state)
        add(p.cType + " *");
    for (const TensorInfo &in : lib.inputs)
      add("const " + in.cType + " *");
    if (train) {
      add("const double *");
      add("const double *");
    }
    add(lossType + " *");
    if (train && lib.gradStats)
      add("double *");
    if (!train)
      for (const TensorInfo &out : lib.outputs)
        add(out.cType + " *");
    add("void *");
    return s;
  };
  os << "void _nnc_" << m << "_train_step(" << ptrList(true) << extra << ");\n"
     << "void _nnc_" << m << "_eval_step(" << ptrList(false) << extra
     << ");\n\n";
}

/// The parameters' shapes and `param_info`: name, type, shape and
/// initialization of each, for create() to walk.
static void emitParamInfo(const LibraryInterface &lib, llvm::raw_ostream &os) {
  size_t np = lib.params.size();
  auto shapes = [&](const std::vector<TensorInfo> &ts, StringRef kind) {
    for (auto [i, t] : llvm::enumerate(ts)) {
      os << "static const int64_t " << kind << "_shape_" << i << "[] = {";
      if (t.shape.empty())
        os << "1";
      llvm::interleaveComma(t.shape, os);
      os << "};\n";
    }
  };
  shapes(lib.params, "param");
  os << "\n";
  os << "/* Each parameter: name, type, rank, shape, elements, whether it is "
        "initialized,\n * and its distribution (NNC_INIT_*, a, b). */\n"
     << "static const struct {\n  const char *name;\n  nnc_dtype dtype;\n"
     << "  int32_t rank;\n  const int64_t *shape;\n  size_t numel;\n"
     << "  int init, kind;\n  double a, b;\n} param_info["
     << std::max<size_t>(np, 1) << "] = {\n";
  for (auto [i, p] : llvm::enumerate(lib.params)) {
    os << "  {\"" << p.name << "\", " << dtypeEnum(p.cType) << ", "
       << p.shape.size() << ", param_shape_" << i << ", " << p.numElements()
       << ", ";
    if (p.init)
      os << "1, " << static_cast<int>(p.init.getKind()) << ", "
         << cNumber(p.init.getA().convertToDouble()) << ", "
         << cNumber(p.init.getB().convertToDouble());
    else
      os << "0, 0, 0, 0";
    os << "},\n";
  }
  if (lib.params.empty())
    os << "  {0}\n";
  os << "};\n\n";
}

/// `align64` and `set_error`, which both glues' create() use.
static void emitGlueHelpers(llvm::raw_ostream &os) {
  os << "static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }\n\n"
     << "static void set_error(char *error, size_t size, const char *text) {\n"
     << "  if (error && size) { strncpy(error, text, size - 1); "
        "error[size - 1] = 0; }\n}\n\n";
}

/// In both glues' create(): the learning rate, and each parameter's
/// descriptor (its data at the C expression `data`, in terms of `i`),
/// initialized as the model says.
static void emitParamSetup(const LibraryInterface &lib, StringRef data,
                           llvm::raw_ostream &os) {
  os << "  s->lr = " << cNumber(lib.learningRate) << ";\n"
     << "  for (i = 0; i < " << lib.params.size() << "; ++i) {\n"
     << "    s->params[i] = (nnc_param){param_info[i].name, "
        "param_info[i].dtype,\n"
     << "                               param_info[i].rank, "
        "param_info[i].shape,\n"
     << "                               " << data << ",\n"
     << "                               param_info[i].numel};\n"
     << "    if (param_info[i].init)\n"
     << "      nnc_init_tensor(s->params[i].data, param_info[i].dtype,\n"
     << "                      param_info[i].numel, param_info[i].kind,\n"
     << "                      param_info[i].a, param_info[i].b, seed, i);\n"
     << "  }\n";
}

/// `<m>_create`, which both glues define as `<m>_try_create` without the
/// reason.
static void emitCreate(const LibraryInterface &lib, llvm::raw_ostream &os) {
  const std::string &m = lib.model;
  os << m << "_state *" << m << "_create(uint64_t seed) {\n"
     << "  return " << m << "_try_create(seed, NULL, 0);\n}\n\n";
}

/// The learning rate, step count and parameter list accessors, alike in
/// both glues (a GPU build's parameters are its host copy).
static void emitStateAccessors(const LibraryInterface &lib,
                               llvm::raw_ostream &os) {
  const std::string &m = lib.model;
  size_t np = lib.params.size();
  os << "void " << m << "_set_learning_rate(" << m
     << "_state *s, float lr) { s->lr = lr; }\n"
     << "float " << m << "_learning_rate(const " << m
     << "_state *s) { return (float)s->lr; }\n"
     << "int64_t " << m << "_step_count(const " << m
     << "_state *s) { return s->steps; }\n\n"
     << "const nnc_param *" << m << "_params(" << m
     << "_state *s, size_t *count) {\n"
     << "  if (count) *count = " << np << ";\n  return s->params;\n}\n\n";
}

/// `last_error` and, with `--instrument=grad-stats`, the gradient RMS
/// accessors, alike in both glues.
static void emitDiagnosticAccessors(const LibraryInterface &lib,
                                    llvm::raw_ostream &os) {
  const std::string &m = lib.model;
  size_t np = lib.params.size();
  os << "const char *" << m << "_last_error(const " << m
     << "_state *s) { return s->error; }\n";
  if (lib.gradStats)
    os << "\nconst double *" << m << "_grad_rms(const " << m
       << "_state *s) { return s->grad_rms; }\n"
       << "int " << m << "_grad_nonfinite(const " << m
       << "_state *s, size_t index) {\n"
       << "  if (index >= " << np << ") return 0;\n"
       << "  double r = s->grad_rms[index];\n"
       << "  /* r - r is 0 for finite r, NaN otherwise. */\n"
       << "  return !(r - r == 0);\n}\n";
}

void nnc::emitCGlue(const LibraryInterface &lib, llvm::raw_ostream &os) {
  if (lib.cuda)
    return emitCUDAGlue(lib, os);
  std::string m = lib.model;
  size_t np = lib.params.size(), ns = lib.state.size();
  const std::string &lossType = lib.lossType;
  os << "/* " << m << "_api.c: generated by nnc. Do not edit. */\n"
     << "#include \"" << m << ".h\"\n#include \"nnc_runtime.h\"\n\n"
     << "#include <stdlib.h>\n#include <string.h>\n\n";
  emitStepPrototypes(lib, "", os);
  emitParamInfo(lib, os);
  os << "\nstruct " << m << "_state {\n"
     << "  nnc_param params[" << std::max<size_t>(np, 1) << "];\n"
     << "  void *state[" << std::max<size_t>(ns, 1) << "];\n"
     << "  /* Where eval_step writes the outputs a caller does not want. */\n"
     << "  void *scratch[" << std::max<size_t>(lib.outputs.size(), 1) << "];\n"
     << "  void *memory;\n"
     << "  /* Scratch for every temporary of a step, planned at compile time. "
        "*/\n"
     << "  void *workspace;\n  double lr;\n  int64_t steps;\n"
     << (lib.gradStats ? "  double grad_rms[" +
                             std::to_string(std::max<size_t>(np, 1)) + "];\n"
                       : std::string())
     << "  char error[512];\n};\n\n";
  // One allocation holds every parameter and state tensor, 64-byte aligned.
  // Tables describe the tensors and loops walk them, so that the glue's
  // size, and the C compiler's time on it, do not grow with the model (with
  // one statement per tensor, cc -O2 took 0.16 s on deep48's glue).
  auto all = lib.params;
  all.insert(all.end(), lib.state.begin(), lib.state.end());
  all.insert(all.end(), lib.outputs.begin(), lib.outputs.end());
  os << "/* Bytes of each parameter, state tensor and output scratch, in that "
        "order. */\n"
     << "static const size_t tensor_bytes[] = {";
  for (auto [i, t] : llvm::enumerate(all))
    os << (i ? ", " : "") << "sizeof(" << t.cType << ") * " << t.numElements();
  if (all.empty())
    os << "0";
  os << "};\n\n";
  emitGlueHelpers(os);
  os << m << "_state *" << m
     << "_try_create(uint64_t seed, char *error, size_t error_size) {\n"
     << "  size_t offsets[" << all.size() + 1 << "];\n"
     << "  size_t total = align64(" << lib.workspaceBytes << ");\n"
     << "  size_t i;\n"
     << "  for (i = 0; i < " << all.size() << "; ++i) {\n"
     << "    offsets[i] = total;\n"
     << "    total += align64(tensor_bytes[i]);\n  }\n";
  os << "  " << m << "_state *s = (" << m << "_state *)calloc(1, sizeof(*s));\n"
     << "  if (!s) { set_error(error, error_size, \"nnc: out of memory\"); "
        "return NULL; }\n"
     << "  s->memory = aligned_alloc(64, total ? total : 64);\n"
     << "  if (!s->memory) {\n"
     << "    set_error(error, error_size, \"nnc: out of memory\");\n"
     << "    free(s);\n    return NULL;\n  }\n"
     << "  memset(s->memory, 0, total);\n";
  emitParamSetup(lib, "(char *)s->memory + offsets[i]", os);
  if (ns)
    os << "  for (i = 0; i < " << ns << "; ++i)\n"
       << "    s->state[i] = (char *)s->memory + offsets[" << np << " + i];\n";
  if (!lib.outputs.empty())
    os << "  for (i = 0; i < " << lib.outputs.size() << "; ++i)\n"
       << "    s->scratch[i] = (char *)s->memory + offsets[" << np + ns
       << " + i];\n";
  os << "  s->workspace = s->memory;\n";
  os << "  return s;\n}\n\n";
  emitCreate(lib, os);
  os << "void " << m << "_destroy(" << m << "_state *s) {\n"
     << "  if (!s) return;\n  free(s->memory);\n  free(s);\n}\n\n";
  auto args = [&](bool train) {
    std::string s;
    auto add = [&](const std::string &a) { s += s.empty() ? a : ", " + a; };
    for (size_t i = 0; i < np; ++i)
      add("(" + lib.params[i].cType + " *)s->params[" + std::to_string(i) +
          "].data");
    if (train)
      for (size_t i = 0; i < ns; ++i)
        add("(" + lib.state[i].cType + " *)s->state[" + std::to_string(i) +
            "]");
    for (const TensorInfo &in : lib.inputs)
      add(in.cName);
    return s;
  };
  os << lossType << " " << m << "_train_step(" << m << "_state *s"
     << inputParams(lib) << ") {\n"
     << "  " << lossType << " loss = 0;\n"
     << "  double step = (double)(s->steps + 1);\n"
     << "  _nnc_" << m << "_train_step(" << args(true)
     << ", &s->lr, &step, &loss" << (lib.gradStats ? ", s->grad_rms" : "")
     << ", s->workspace);\n"
     << "  s->steps++;\n  return loss;\n}\n\n";
  os << lossType << " " << m << "_eval_step(" << m << "_state *s"
     << inputParams(lib);
  for (const TensorInfo &out : lib.outputs)
    os << ", " << out.cType << " *" << out.cName;
  os << ") {\n  " << lossType << " loss = 0;\n";
  std::string evalArgs = args(false);
  os << "  _nnc_" << m << "_eval_step(" << evalArgs << ", &loss";
  for (auto [i, out] : llvm::enumerate(lib.outputs))
    os << ", " << out.cName << " ? " << out.cName << " : (" << out.cType
       << " *)s->scratch[" << i << "]";
  os << ", s->workspace);\n  return loss;\n}\n\n";
  emitStateAccessors(lib, os);
  os << "int " << m << "_save(const " << m
     << "_state *s, const char *path) "
        "{\n"
     << "  /* The error buffer is scratch space, not logical state. */\n"
     << "  char *error = ((" << m << "_state *)s)->error;\n"
     << "  error[0] = 0;\n"
     << "  return nnc_save_safetensors(path, s->params, " << np
     << ", error, sizeof(s->error));\n}\n\n"
     << "int " << m << "_load(" << m << "_state *s, const char *path) {\n"
     << "  s->error[0] = 0;\n"
     << "  return nnc_load_safetensors(path, s->params, " << np
     << ", s->error, sizeof(s->error));\n}\n\n";
  emitDiagnosticAccessors(lib, os);
}

//===----------------------------------------------------------------------===//
// The GPU build's glue
//===----------------------------------------------------------------------===//

/// The CUDA glue: the same API over device memory. One device allocation
/// holds the workspace, then every parameter, state, input and output
/// tensor, then the step's scalars (learning rate, step count, loss,
/// gradient RMS); the parameters keep the same layout in a host copy, so
/// that one copy moves them either way.
static void emitCUDAGlue(const LibraryInterface &lib, llvm::raw_ostream &os) {
  std::string m = lib.model;
  size_t np = lib.params.size(), ns = lib.state.size(), ni = lib.inputs.size(),
         no = lib.outputs.size();
  size_t nt = np + ns + ni + no;
  const std::string &lossType = lib.lossType;
  os << "/* " << m << "_api.c: generated by nnc for the GPU. Do not edit. */\n"
     << "#include \"" << m << ".h\"\n#include \"nnc_gpu.h\"\n"
     << "#include \"nnc_runtime.h\"\n\n"
     << "#include <math.h>\n#include <stdlib.h>\n#include <string.h>\n\n";
  emitStepPrototypes(lib, ", void *", os);
  os << "extern const unsigned char _nnc_" << m << "_gpu_image[];\n"
     << "static const char *const kernel_names[] = {";
  for (auto [i, name] : llvm::enumerate(lib.gpuKernels))
    os << (i ? ",\n    \"" : "\n    \"") << name << "\"";
  if (lib.gpuKernels.empty())
    os << "0";
  os << "};\n\n";
  emitParamInfo(lib, os);
  auto all = lib.params;
  for (const auto *group : {&lib.state, &lib.inputs, &lib.outputs})
    all.insert(all.end(), group->begin(), group->end());
  os << "/* Bytes of each parameter, state, input and output tensor, in that "
        "order. */\n"
     << "static const size_t tensor_bytes[] = {";
  for (auto [i, t] : llvm::enumerate(all))
    os << (i ? ", " : "") << "sizeof(" << t.cType << ") * " << t.numElements();
  if (all.empty())
    os << "0";
  os << "};\n\n";
  os << "struct " << m << "_state {\n"
     << "  nnc_param params[" << std::max<size_t>(np, 1) << "];\n"
     << "  nnc_gpu *gpu;\n"
     << "  /* Workspace at 0, then the tensors at offsets[0..], then the "
        "scalars at\n   * offsets["
     << nt << "]: lr, step, loss, grad_rms. */\n"
     << "  char *device;\n"
     << "  size_t offsets[" << nt + 1 << "];\n"
     << "  /* The parameters' host copy, laid out as on the device. */\n"
     << "  void *host;\n  size_t param_bytes;\n"
     << "  double lr;\n  int64_t steps;\n"
     << (lib.gradStats ? "  double grad_rms[" +
                             std::to_string(std::max<size_t>(np, 1)) + "];\n"
                       : std::string())
     << "  char error[512];\n};\n\n"
     << "#define DEVICE(s, i) ((void *)((s)->device + (s)->offsets[i]))\n"
     << "#define SCALARS(s) ((s)->device + (s)->offsets[" << nt << "])\n\n";
  emitGlueHelpers(os);
  os << "/* Records the GPU's error on the state; returns what a failed step "
        "returns. */\n"
     << "static " << lossType << " gpu_failed(" << m << "_state *s) {\n"
     << "  set_error(s->error, sizeof(s->error), nnc_gpu_error(s->gpu));\n"
     << "  return NAN;\n}\n\n";

  os << "int " << m << "_sync_to_host(" << m << "_state *s) {\n"
     << "  s->error[0] = 0;\n"
     << "  if (nnc_gpu_make_current(s->gpu) ||\n"
     << "      nnc_gpu_download(s->gpu, s->host, DEVICE(s, 0), "
        "s->param_bytes) ||\n"
     << "      nnc_gpu_sync(s->gpu)) {\n"
     << "    gpu_failed(s);\n    return -1;\n  }\n  return 0;\n}\n\n"
     << "int " << m << "_sync_to_device(" << m << "_state *s) {\n"
     << "  s->error[0] = 0;\n"
     << "  if (nnc_gpu_make_current(s->gpu) ||\n"
     << "      nnc_gpu_upload(s->gpu, DEVICE(s, 0), s->host, "
        "s->param_bytes) ||\n"
     << "      nnc_gpu_sync(s->gpu)) {\n"
     << "    gpu_failed(s);\n    return -1;\n  }\n  return 0;\n}\n\n";

  os << "void " << m << "_destroy(" << m << "_state *s) {\n"
     << "  if (!s) return;\n"
     << "  if (s->gpu) {\n"
     << "    nnc_gpu_make_current(s->gpu);\n"
     << "    nnc_gpu_free(s->gpu, s->device);\n"
     << "    nnc_gpu_destroy(s->gpu);\n  }\n"
     << "  free(s->host);\n  free(s);\n}\n\n";

  os << m << "_state *" << m
     << "_try_create(uint64_t seed, char *error, size_t error_size) {\n"
     << "  size_t i, total = align64(" << lib.workspaceBytes << ");\n"
     << "  " << m << "_state *s = (" << m << "_state *)calloc(1, sizeof(*s));\n"
     << "  if (!s) { set_error(error, error_size, \"nnc: out of memory\"); "
        "return NULL; }\n"
     << "  for (i = 0; i < " << nt << "; ++i) {\n"
     << "    s->offsets[i] = total;\n"
     << "    total += align64(tensor_bytes[i]);\n  }\n"
     << "  s->offsets[" << nt << "] = total;\n"
     << "  total += align64(3 * sizeof(double) + " << np
     << " * sizeof(double));\n"
     << "  s->param_bytes = s->offsets[" << np << "] - s->offsets[0];\n"
     << "  s->host = aligned_alloc(64, s->param_bytes ? s->param_bytes : 64);\n"
     << "  if (!s->host) {\n"
     << "    set_error(error, error_size, \"nnc: out of memory\");\n"
     << "    free(s);\n    return NULL;\n  }\n"
     << "  memset(s->host, 0, s->param_bytes);\n";
  emitParamSetup(lib, "(char *)s->host + (s->offsets[i] - s->offsets[0])", os);
  os << "  s->gpu = nnc_gpu_create(0, _nnc_" << m << "_gpu_image, "
     << lib.gpuImageBytes << ", kernel_names,\n"
     << "                          " << lib.gpuKernels.size()
     << ", error, error_size);\n"
     << "  if (!s->gpu) {\n    free(s->host);\n    free(s);\n"
     << "    return NULL;\n  }\n"
     << "  if (nnc_gpu_alloc(s->gpu, total, (void **)&s->device) ||\n"
     << "      nnc_gpu_memset(s->gpu, s->device, 0, total) ||\n"
     << "      " << m << "_sync_to_device(s)) {\n"
     << "    set_error(error, error_size, nnc_gpu_error(s->gpu));\n"
     << "    " << m << "_destroy(s);\n    return NULL;\n  }\n"
     << "  return s;\n}\n\n";
  emitCreate(lib, os);

  // The steps' arguments: tensors on the device, inputs as given.
  auto stepArgs = [&](bool train) {
    std::string s;
    auto add = [&](const std::string &a) { s += s.empty() ? a : ", " + a; };
    for (size_t i = 0; i < np; ++i)
      add("(" + lib.params[i].cType + " *)DEVICE(s, " + std::to_string(i) +
          ")");
    if (train)
      for (size_t i = 0; i < ns; ++i)
        add("(" + lib.state[i].cType + " *)DEVICE(s, " +
            std::to_string(np + i) + ")");
    for (const TensorInfo &in : lib.inputs)
      add(in.cName);
    return s;
  };
  auto uploads = [&]() {
    std::string s;
    for (size_t i = 0; i < ni; ++i)
      s += "      nnc_gpu_upload(s->gpu, DEVICE(s, " +
           std::to_string(np + ns + i) + "), " + lib.inputs[i].cName +
           ", tensor_bytes[" + std::to_string(np + ns + i) + "]) ||\n";
    return s;
  };
  auto deviceInputs = [&]() {
    std::string s;
    for (size_t i = 0; i < ni; ++i)
      s += ", (const " + lib.inputs[i].cType + " *)DEVICE(s, " +
           std::to_string(np + ns + i) + ")";
    return s;
  };
  os << lossType << " " << m << "_train_step_device(" << m << "_state *s"
     << inputParams(lib) << ") {\n"
     << "  double scalars[2];\n  " << lossType << " loss = 0;\n"
     << "  scalars[0] = s->lr;\n  scalars[1] = (double)(s->steps + 1);\n"
     << "  if (nnc_gpu_make_current(s->gpu) ||\n"
     << "      nnc_gpu_upload(s->gpu, SCALARS(s), scalars, sizeof(scalars)))\n"
     << "    return gpu_failed(s);\n"
     << "  _nnc_" << m << "_train_step(" << stepArgs(true)
     << ", (const double *)SCALARS(s), (const double *)(SCALARS(s) + 8),\n"
     << "      (" << lossType << " *)(SCALARS(s) + 16)"
     << (lib.gradStats ? ", (double *)(SCALARS(s) + 24)" : "")
     << ", s->device, s->gpu);\n"
     << "  if (nnc_gpu_download(s->gpu, &loss, SCALARS(s) + 16, sizeof(loss)) "
        "||\n"
     << (lib.gradStats ? "      nnc_gpu_download(s->gpu, s->grad_rms, "
                         "SCALARS(s) + 24, sizeof(s->grad_rms)) ||\n"
                       : "")
     << "      nnc_gpu_sync(s->gpu))\n"
     << "    return gpu_failed(s);\n"
     << "  s->steps++;\n  return loss;\n}\n\n";
  os << lossType << " " << m << "_train_step(" << m << "_state *s"
     << inputParams(lib) << ") {\n"
     << "  if (nnc_gpu_make_current(s->gpu) ||\n"
     << uploads() << "      0)\n"
     << "    return gpu_failed(s);\n"
     << "  return " << m << "_train_step_device(s" << deviceInputs() << ");\n"
     << "}\n\n";
  os << lossType << " " << m << "_eval_step(" << m << "_state *s"
     << inputParams(lib);
  for (const TensorInfo &out : lib.outputs)
    os << ", " << out.cType << " *" << out.cName;
  os << ") {\n  " << lossType << " loss = 0;\n"
     << "  if (nnc_gpu_make_current(s->gpu) ||\n"
     << uploads() << "      0)\n"
     << "    return gpu_failed(s);\n"
     << "  _nnc_" << m << "_eval_step(";
  {
    std::string args;
    auto add = [&](const std::string &a) {
      args += args.empty() ? a : ", " + a;
    };
    for (size_t i = 0; i < np; ++i)
      add("(" + lib.params[i].cType + " *)DEVICE(s, " + std::to_string(i) +
          ")");
    for (size_t i = 0; i < ni; ++i)
      add("(const " + lib.inputs[i].cType + " *)DEVICE(s, " +
          std::to_string(np + ns + i) + ")");
    add("(" + lossType + " *)(SCALARS(s) + 16)");
    for (size_t i = 0; i < no; ++i)
      add("(" + lib.outputs[i].cType + " *)DEVICE(s, " +
          std::to_string(np + ns + ni + i) + ")");
    os << args;
  }
  os << ", s->device, s->gpu);\n"
     << "  if (nnc_gpu_download(s->gpu, &loss, SCALARS(s) + 16, sizeof(loss))"
     << (no ? " ||\n" : ")\n    return gpu_failed(s);\n");
  for (size_t i = 0; i < no; ++i) {
    const std::string &out = lib.outputs[i].cName;
    std::string index = std::to_string(np + ns + ni + i);
    os << "      (" << out << " && nnc_gpu_download(s->gpu, " << out
       << ", DEVICE(s, " << index << "), tensor_bytes[" << index << "]))"
       << (i + 1 < no ? " ||\n" : ")\n    return gpu_failed(s);\n");
  }
  os << "  if (nnc_gpu_sync(s->gpu))\n    return gpu_failed(s);\n"
     << "  return loss;\n}\n\n";
  emitStateAccessors(lib, os);
  os << "int " << m << "_save(const " << m
     << "_state *cs, const char *path) {\n"
     << "  /* The host copy and the error buffer are caches, not logical "
        "state. */\n"
     << "  " << m << "_state *s = (" << m << "_state *)cs;\n"
     << "  if (" << m << "_sync_to_host(s)) return -1;\n"
     << "  return nnc_save_safetensors(path, s->params, " << np
     << ", s->error, sizeof(s->error));\n}\n\n"
     << "int " << m << "_load(" << m << "_state *s, const char *path) {\n"
     << "  if (" << m << "_sync_to_host(s)) return -1;\n"
     << "  if (nnc_load_safetensors(path, s->params, " << np
     << ", s->error, sizeof(s->error)))\n    return -1;\n"
     << "  return " << m << "_sync_to_device(s);\n}\n\n";
  emitDiagnosticAccessors(lib, os);
}

void nnc::emitPkgConfig(const LibraryInterface &lib, StringRef nncVersion,
                        llvm::raw_ostream &os) {
  // -l<m> links the shared library, found at run time through the rpath;
  // a static link (--static) also needs what the archive uses, which the
  // shared library records as its own dependencies.
  std::string privateLibs = "-lm";
  if (lib.openmp)
    privateLibs += " -lomp";
  if (lib.cuda)
    privateLibs += " -ldl";
  os << llvm::formatv(
      R"(# lib{0}: the training library of the nnc model '{0}', written by
# nnc {1}. The paths are relative to this file, so the directory can move.
prefix=${{pcfiledir}
libdir=${{prefix}
includedir=${{prefix}

Name: {0}
Description: Training step of the nnc model '{0}' (see {0}.h)
Version: {1}
Cflags: -I${{includedir}
Libs: -L${{libdir} -Wl,-rpath,${{libdir} -l{0}
Libs.private: {2}
)",
      lib.model, nncVersion, privateLibs);
}
