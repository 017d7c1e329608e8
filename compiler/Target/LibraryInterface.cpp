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
     << (lib.openmp ? " -lomp" : "") << "). The library needs\n"
     << " * only libc and libm" << (lib.openmp ? " and libomp" : "")
     << " at run time.\n"
     << " *\n"
     << " * Ownership: " << m
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
  os << ");\n\n"
     << "/** Sets the learning rate used by the next steps (default "
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

void nnc::emitCGlue(const LibraryInterface &lib, llvm::raw_ostream &os) {
  std::string m = lib.model;
  size_t np = lib.params.size(), ns = lib.state.size();
  const std::string &lossType = lib.lossType;
  os << "/* " << m << "_api.c: generated by nnc. Do not edit. */\n"
     << "#include \"" << m << ".h\"\n#include \"nnc_runtime.h\"\n\n"
     << "#include <stdlib.h>\n#include <string.h>\n\n";
  // The compiled steps take one pointer per tensor (bare-pointer ABI).
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
  os << "void _nnc_" << m << "_train_step(" << ptrList(true) << ");\n"
     << "void _nnc_" << m << "_eval_step(" << ptrList(false) << ");\n\n";
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
  os << "static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }\n\n"
     << m << "_state *" << m << "_create(uint64_t seed) {\n"
     << "  size_t offsets[" << all.size() + 1 << "];\n"
     << "  size_t total = align64(" << lib.workspaceBytes << ");\n"
     << "  size_t i;\n"
     << "  for (i = 0; i < " << all.size() << "; ++i) {\n"
     << "    offsets[i] = total;\n"
     << "    total += align64(tensor_bytes[i]);\n  }\n";
  os << "  " << m << "_state *s = (" << m << "_state *)calloc(1, sizeof(*s));\n"
     << "  if (!s) return NULL;\n"
     << "  s->memory = aligned_alloc(64, total ? total : 64);\n"
     << "  if (!s->memory) { free(s); return NULL; }\n"
     << "  memset(s->memory, 0, total);\n"
     << "  s->lr = " << cNumber(lib.learningRate) << ";\n"
     << "  for (i = 0; i < " << np << "; ++i) {\n"
     << "    s->params[i] = (nnc_param){param_info[i].name, "
        "param_info[i].dtype,\n"
     << "                               param_info[i].rank, "
        "param_info[i].shape,\n"
     << "                               (char *)s->memory + offsets[i], "
        "param_info[i].numel};\n"
     << "    if (param_info[i].init)\n"
     << "      nnc_init_tensor(s->params[i].data, param_info[i].dtype,\n"
     << "                      param_info[i].numel, param_info[i].kind,\n"
     << "                      param_info[i].a, param_info[i].b, seed, i);\n"
     << "  }\n";
  if (ns)
    os << "  for (i = 0; i < " << ns << "; ++i)\n"
       << "    s->state[i] = (char *)s->memory + offsets[" << np << " + i];\n";
  if (!lib.outputs.empty())
    os << "  for (i = 0; i < " << lib.outputs.size() << "; ++i)\n"
       << "    s->scratch[i] = (char *)s->memory + offsets[" << np + ns
       << " + i];\n";
  os << "  s->workspace = s->memory;\n";
  os << "  return s;\n}\n\n"
     << "void " << m << "_destroy(" << m << "_state *s) {\n"
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
  os << "void " << m << "_set_learning_rate(" << m
     << "_state *s, float lr) { s->lr = lr; }\n"
     << "float " << m << "_learning_rate(const " << m
     << "_state *s) { return (float)s->lr; }\n"
     << "int64_t " << m << "_step_count(const " << m
     << "_state *s) { return s->steps; }\n\n"
     << "const nnc_param *" << m << "_params(" << m
     << "_state *s, size_t *count) {\n"
     << "  if (count) *count = " << np << ";\n  return s->params;\n}\n\n"
     << "int " << m << "_save(const " << m
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
     << ", s->error, sizeof(s->error));\n}\n\n"
     << "const char *" << m << "_last_error(const " << m
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
