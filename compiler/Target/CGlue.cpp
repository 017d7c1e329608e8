//===- CGlue.cpp - The generated <model>_api.c for the CPU ----------------===//
//
// The glue keeps every parameter and state tensor in one 64-byte aligned
// allocation after the workspace. Tables describe the tensors and loops walk
// them, so that the glue's size, and the C compiler's time on it, do not
// grow with the model (with one statement per tensor, cc -O2 took 0.16 s on
// deep48's glue).
//
//===----------------------------------------------------------------------===//

#include "compiler/Target/CSyntax.h"
#include "compiler/Target/Glue.h"
#include "compiler/Target/LibraryInterface.h"
#include "compiler/Target/Template.h"

#include "runtime/nnc_types.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace nnc;
using llvm::StringLiteral;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Shared with the GPU glue
//===----------------------------------------------------------------------===//

static constexpr StringLiteral stepPrototypesTemplate =
    R"(void _nnc_{m}_train_step({train}{extra});
void _nnc_{m}_eval_step({eval}{extra});

)";

std::string glue::stepPrototypes(const LibraryInterface &lib, StringRef extra) {
  auto pointers = [&](bool train) {
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
      add("const double *"); // the learning rate
      add("const double *"); // the step count
    }
    add(lib.lossType + " *");
    if (train && lib.gradStats)
      add("double *");
    if (!train)
      for (const TensorInfo &out : lib.outputs)
        add(out.cType + " *");
    add("void *"); // the workspace
    return s;
  };
  std::string text =
      render(stepPrototypesTemplate, field("m", lib.model),
             field("train", pointers(true)), field("eval", pointers(false)),
             field("extra", extra));
  if (!lib.gradientAPI)
    return text;
  // The halves: (params, buffers, inputs, step, loss, gradients) and
  // (params, state, gradients, lr, step[, grad_rms]).
  std::string grad, update;
  auto add = [](std::string &s, const std::string &decl) {
    s += s.empty() ? decl : ", " + decl;
  };
  for (const TensorInfo &p : lib.params)
    add(grad, p.cType + " *");
  for (const TensorInfo &in : lib.inputs)
    add(grad, "const " + in.cType + " *");
  add(grad, "const double *");
  add(grad, "const double *");
  add(grad, lib.lossType + " *");
  for (const TensorInfo &p : lib.params)
    if (!p.isBuffer) {
      add(grad, p.cType + " *");
      add(update, p.cType + " *");
    }
  for (const TensorInfo &t : lib.state)
    add(update, t.cType + " *");
  for (const TensorInfo &p : lib.params)
    if (!p.isBuffer)
      add(update, "const " + p.cType + " *");
  add(update, "const double *");
  add(update, "const double *");
  if (lib.gradStats)
    add(update, "double *");
  add(grad, "void *");
  add(update, "void *");
  return text + render(R"(void _nnc_{m}_grad_step({grad}{extra});
void _nnc_{m}_update_step({update}{extra});

)",
                       field("m", lib.model), field("grad", grad),
                       field("update", update), field("extra", extra));
}

static constexpr StringLiteral paramInfoTemplate = R"({shapes}
/* Each parameter: name, type, rank, shape, elements, whether it is initialized,
 * and its distribution (NNC_INIT_*, a, b). */
static const struct {{
  const char *name;
  nnc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  size_t numel;
  int init, kind;
  double a, b;
}} param_info[{count}] = {{
{rows}}};

)";

// param_info gives nnc_init_tensor the dialect's InitKind as the runtime's
// NNC_INIT_*: the two numberings must agree (and
// tests/compiler/Target/InitKindsTest.cpp checks that no kind is missing).
static_assert(static_cast<int>(mlir::nn::InitKind::Normal) == NNC_INIT_NORMAL &&
                  static_cast<int>(mlir::nn::InitKind::Uniform) ==
                      NNC_INIT_UNIFORM &&
                  static_cast<int>(mlir::nn::InitKind::TruncatedNormal) ==
                      NNC_INIT_TRUNCATED_NORMAL &&
                  static_cast<int>(mlir::nn::InitKind::Constant) ==
                      NNC_INIT_CONSTANT,
              "nn::InitKind and the runtime's NNC_INIT_* disagree");

/// `static const int64_t <prefix>_shape_<i>[] = {...};` for each tensor (a
/// scalar's shape is {1}, as C has no empty arrays).
static std::string shapeArrays(StringRef prefix,
                               const std::vector<TensorInfo> &tensors) {
  std::string text;
  for (auto [i, t] : llvm::enumerate(tensors)) {
    std::string dims = t.shape.empty() ? "1" : "";
    llvm::interleave(
        t.shape, [&](int64_t d) { dims += std::to_string(d); },
        [&] { dims += ", "; });
    text += render("static const int64_t {prefix}_shape_{i}[] = {{{dims}}};\n",
                   field("prefix", prefix), field("i", i), field("dims", dims));
  }
  return text;
}

std::string glue::paramInfo(const LibraryInterface &lib) {
  std::string rows;
  for (auto [i, p] : llvm::enumerate(lib.params)) {
    std::string init = "0, 0, 0, 0";
    if (p.init)
      init = render("1, {kind}, {a}, {b}",
                    field("kind", static_cast<int>(p.init.getKind())),
                    field("a", cNumber(p.init.getA().convertToDouble())),
                    field("b", cNumber(p.init.getB().convertToDouble())));
    rows += render(
        R"(  {{"{name}", {dtype}, {rank}, param_shape_{i}, {numel}, {init}}},
)",
        field("name", p.name), field("dtype", dtypeEnum(p.cType)),
        field("rank", p.shape.size()), field("i", i),
        field("numel", p.numElements()), field("init", init));
  }
  if (lib.params.empty())
    rows = "  {0}\n";
  return render(paramInfoTemplate,
                field("shapes", shapeArrays("param", lib.params)),
                field("count", std::max<size_t>(lib.params.size(), 1)),
                field("rows", rows));
}

std::string glue::tensorBytes(const std::vector<TensorInfo> &tensors) {
  std::string s;
  for (auto [i, t] : llvm::enumerate(tensors))
    s += render("{sep}sizeof({type}) * {numel}", field("sep", i ? ", " : ""),
                field("type", t.cType), field("numel", t.numElements()));
  return tensors.empty() ? "0" : s;
}

std::string glue::helpers() {
  return R"(static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static void set_error(char *error, size_t size, const char *text) {
  if (error && size) { strncpy(error, text, size - 1); error[size - 1] = 0; }
}

)";
}

static constexpr StringLiteral paramSetupTemplate = R"(  s->lr = {lr};
  for (i = 0; i != {np}; ++i) {{
    s->params[i] = (nnc_param){{param_info[i].name, param_info[i].dtype,
                               param_info[i].rank, param_info[i].shape,
                               {data},
                               param_info[i].numel}};
    if (param_info[i].init)
      nnc_init_tensor(s->params[i].data, param_info[i].dtype,
                      param_info[i].numel, param_info[i].kind,
                      param_info[i].a, param_info[i].b, seed, i);
  }}
)";

std::string glue::paramSetup(const LibraryInterface &lib, StringRef data) {
  return render(paramSetupTemplate, field("lr", cNumber(lib.learningRate)),
                field("np", lib.params.size()), field("data", data));
}

std::string glue::create(const LibraryInterface &lib) {
  return render(R"({m}_state *{m}_create(uint64_t seed) {{
  return {m}_try_create(seed, NULL, 0);
}}

)",
                field("m", lib.model));
}

static constexpr StringLiteral stateAccessorsTemplate =
    R"(void {m}_set_learning_rate({m}_state *s, float lr) {{ s->lr = lr; }}
float {m}_learning_rate(const {m}_state *s) {{ return (float)s->lr; }}
int64_t {m}_step_count(const {m}_state *s) {{ return s->steps; }}

const nnc_param *{m}_params({m}_state *s, size_t *count) {{
  if (count) *count = {np};
  return s->params;
}}

)";

std::string glue::stateAccessors(const LibraryInterface &lib) {
  return render(stateAccessorsTemplate, field("m", lib.model),
                field("np", lib.params.size()));
}

static constexpr StringLiteral gradStatsAccessorsTemplate = R"(
const double *{m}_grad_rms(const {m}_state *s) {{ return s->grad_rms; }}
int {m}_grad_nonfinite(const {m}_state *s, size_t index) {{
  if (index >= {np}) return 0;
  double r = s->grad_rms[index];
  /* r - r is 0 for finite r, NaN otherwise. */
  return !(r - r == 0);
}}
)";

std::string glue::diagnosticAccessors(const LibraryInterface &lib) {
  std::string s = render(
      "const char *{m}_last_error(const {m}_state *s) {{ return s->error; }}\n",
      field("m", lib.model));
  if (lib.gradStats)
    s += render(gradStatsAccessorsTemplate, field("m", lib.model),
                field("np", lib.params.size()));
  return s;
}

std::string glue::gradRMSField(const LibraryInterface &lib) {
  if (!lib.gradStats)
    return "";
  return render("  double grad_rms[{n}];\n",
                field("n", std::max<size_t>(lib.params.size(), 1)));
}

//===----------------------------------------------------------------------===//
// The CPU glue
//===----------------------------------------------------------------------===//

static constexpr StringLiteral cpuGlueTemplate =
    R"(/* {m}_api.c: generated by nnc. Do not edit. */
#include "{m}.h"
#include "nnc_runtime.h"

#include <stdlib.h>
#include <string.h>

{prototypes}{param_info}
struct {m}_state {{
  nnc_param params[{params_len}];
  void *state[{state_len}];
  /* Where eval_step writes the outputs a caller does not want. */
  void *scratch[{scratch_len}];
  void *memory;
  /* Scratch for every temporary of a step, planned at compile time. */
  void *workspace;
{grads_field}  double lr;
  int64_t steps;
{grad_rms_field}  char error[512];
}};

/* Bytes of each parameter, state tensor and output scratch, in that order. */
static const size_t tensor_bytes[] = {{{tensor_bytes}}};

{helpers}{m}_state *{m}_try_create(uint64_t seed, char *error, size_t error_size) {{
  size_t offsets[{offsets_len}];
  size_t total = align64({workspace_bytes});
  size_t i;
  for (i = 0; i != {num_tensors}; ++i) {{
    offsets[i] = total;
    total += align64(tensor_bytes[i]);
  }}
  {m}_state *s = ({m}_state *)calloc(1, sizeof(*s));
  if (!s) {{ set_error(error, error_size, "nnc: out of memory"); return NULL; }}
  s->memory = aligned_alloc(64, total ? total : 64);
  if (!s->memory) {{
    set_error(error, error_size, "nnc: out of memory");
    free(s);
    return NULL;
  }}
  memset(s->memory, 0, total);
{param_setup}{state_setup}{scratch_setup}{grads_setup}  s->workspace = s->memory;
  return s;
}}

{create}void {m}_destroy({m}_state *s) {{
  if (!s) return;
  free(s->memory);
  free(s);
}}

{loss} {m}_train_step({m}_state *s{inputs}) {{
  {loss} loss = 0;
  double step = (double)(s->steps + 1);
  _nnc_{m}_train_step({train_args}, &s->lr, &step, &loss{grad_rms_arg}, s->workspace);
  s->steps++;
  return loss;
}}

{loss} {m}_eval_step({m}_state *s{inputs}{outputs}) {{
  {loss} loss = 0;
  _nnc_{m}_eval_step({eval_args}, &loss{eval_outputs}, s->workspace);
  return loss;
}}

{state_accessors}{training}{gradient_api}int {m}_save(const {m}_state *s, const char *path) {{
  /* The error buffer is scratch space, not logical state. */
  char *error = (({m}_state *)s)->error;
  error[0] = 0;
  return nnc_save_safetensors(path, s->params, {np}, error, sizeof(s->error));
}}

int {m}_load({m}_state *s, const char *path) {{
  s->error[0] = 0;
  return nnc_load_safetensors(path, s->params, {np}, s->error, sizeof(s->error));
}}

{diagnostic_accessors})";

/// Training checkpoints: every parameter, the optimizer state, the step
/// count and the learning rate in one safetensors file, for resuming.
static constexpr StringLiteral trainingTemplate = R"({state_shapes}
/* Each optimizer state tensor: name, type, rank, shape, elements. */
static const struct {{
  const char *name;
  nnc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  size_t numel;
}} state_info[{state_len}] = {{
{state_rows}}};

/* The tensors of a training checkpoint, in `t` (room for {count}). */
static size_t training_tensors({m}_state *s, nnc_param *t, int64_t *step,
                               double *lr) {{
  size_t i, n = 0;
  for (i = 0; i != {np}; ++i)
    t[n++] = s->params[i];
{state_loop}  t[n++] = (nnc_param){{"nnc.step", NNC_I64, 0, NULL, step, 1}};
  t[n++] = (nnc_param){{"nnc.learning_rate", NNC_F64, 0, NULL, lr, 1}};
  return n;
}}

int {m}_save_training(const {m}_state *cs, const char *path) {{
  /* The error buffer is scratch space, not logical state. */
  {m}_state *s = ({m}_state *)cs;
  nnc_param t[{count}];
  int64_t step = s->steps;
  double lr = s->lr;
  size_t n = training_tensors(s, t, &step, &lr);
  s->error[0] = 0;
  return nnc_save_safetensors(path, t, n, s->error, sizeof(s->error));
}}

int {m}_load_training({m}_state *s, const char *path) {{
  nnc_param t[{count}];
  int64_t step = 0;
  double lr = 0;
  size_t n = training_tensors(s, t, &step, &lr);
  s->error[0] = 0;
  /* The whole file is checked before anything is written. */
  if (nnc_load_safetensors(path, t, n, s->error, sizeof(s->error)))
    return -1;
  s->steps = step;
  s->lr = lr;
  return 0;
}}

)";

/// The state tensors' table and the training checkpoint functions.
static std::string training(const LibraryInterface &lib) {
  std::string rows;
  for (auto [i, t] : llvm::enumerate(lib.state)) {
    rows += render(R"(  {{"{name}", {dtype}, {rank}, state_shape_{i}, {numel}}},
)",
                   field("name", t.name), field("dtype", dtypeEnum(t.cType)),
                   field("rank", t.shape.size()), field("i", i),
                   field("numel", t.numElements()));
  }
  if (lib.state.empty())
    rows = "  {0}\n";
  // No loop over no state: C compilers warn about `i < 0`.
  std::string stateLoop;
  if (!lib.state.empty())
    stateLoop = render(R"(  for (i = 0; i < {ns}; ++i)
    t[n++] = (nnc_param){{state_info[i].name, state_info[i].dtype,
                         state_info[i].rank, state_info[i].shape,
                         s->state[i], state_info[i].numel}};
)",
                       field("ns", lib.state.size()));
  return render(trainingTemplate,
                field("state_shapes", shapeArrays("state", lib.state)),
                field("state_loop", stateLoop),
                field("state_len", std::max<size_t>(lib.state.size(), 1)),
                field("state_rows", rows), field("m", lib.model),
                field("np", lib.params.size()),
                field("count", lib.params.size() + lib.state.size() + 2));
}

/// The training step's halves (`--gradient-api`).
static constexpr StringLiteral gradientAPITemplate =
    R"({loss} {m}_compute_gradients({m}_state *s{inputs}) {{
  {loss} loss = 0;
  double step = (double)(s->steps + 1);
  _nnc_{m}_grad_step({grad_args});
  return loss;
}}

void {m}_set_example_offset({m}_state *s, int64_t first) {{
  s->example_offset = (double)first;
}}

{grad_type} *{m}_gradients({m}_state *s, size_t *count) {{
  if (count) *count = {count};
  return s->grads;
}}

void {m}_apply_update({m}_state *s) {{
  double step = (double)(s->steps + 1);
  _nnc_{m}_update_step({update_args});
  s->steps++;
}}

)";

static std::string gradientAPI(const LibraryInterface &lib) {
  if (!lib.gradientAPI)
    return "";
  std::string gradArgs, gradOutputs, updateArgs, gradPointers;
  auto add = [](std::string &s, const std::string &a) {
    s += s.empty() ? a : ", " + a;
  };
  int64_t offset = 0;
  for (auto [i, p] : llvm::enumerate(lib.params)) {
    std::string param = render("({type} *)s->params[{i}].data",
                               field("type", p.cType), field("i", i));
    add(gradArgs, param);
    if (p.isBuffer)
      continue;
    add(updateArgs, param);
    add(gradPointers, render("s->grads + {offset}", field("offset", offset)));
    offset += p.numElements();
  }
  for (const TensorInfo &in : lib.inputs)
    add(gradArgs, in.cName);
  for (auto [i, t] : llvm::enumerate(lib.state))
    add(updateArgs, render("({type} *)s->state[{i}]", field("type", t.cType),
                           field("i", i)));
  add(gradArgs, "&step");
  add(gradArgs, "&s->example_offset");
  add(gradArgs, "&loss");
  if (!gradPointers.empty()) {
    add(gradArgs, gradPointers);
    add(updateArgs, gradPointers);
  }
  add(gradArgs, "s->workspace");
  add(updateArgs, "&s->lr");
  add(updateArgs, "&step");
  if (lib.gradStats)
    add(updateArgs, "s->grad_rms");
  add(updateArgs, "s->workspace");
  return render(gradientAPITemplate, field("m", lib.model),
                field("loss", lib.lossType), field("inputs", inputParams(lib)),
                field("grad_args", gradArgs), field("grad_type", lib.gradType),
                field("count", lib.gradElements),
                field("update_args", updateArgs));
}

/// A loop in create() that points `member` (state or scratch) into the
/// allocation, from tensor `first` on.
static std::string pointInto(StringRef member, size_t count, size_t first) {
  if (!count)
    return "";
  return render(R"(  for (i = 0; i < {count}; ++i)
    s->{member}[i] = (char *)s->memory + offsets[{first} + i];
)",
                field("count", count), field("member", member),
                field("first", first));
}

void nnc::emitCGlue(const LibraryInterface &lib, llvm::raw_ostream &os) {
  if (lib.cuda)
    return glue::emitCUDAGlue(lib, os);
  size_t np = lib.params.size(), ns = lib.state.size(), no = lib.outputs.size();
  std::vector<TensorInfo> all = lib.params;
  all.insert(all.end(), lib.state.begin(), lib.state.end());
  all.insert(all.end(), lib.outputs.begin(), lib.outputs.end());
  // The gradient buffer, one tensor of every parameter's gradient.
  std::string gradsField, gradsSetup;
  if (lib.gradientAPI) {
    TensorInfo grads;
    grads.cType = lib.gradType;
    grads.shape = {std::max<int64_t>(lib.gradElements, 1)};
    all.push_back(grads);
    gradsField = render("  /* Every parameter's gradient ({m}_gradients). */\n"
                        "  {type} *grads;\n"
                        "  /* {m}_set_example_offset's. */\n"
                        "  double example_offset;\n",
                        field("m", lib.model), field("type", lib.gradType));
    gradsSetup = render("  s->grads = ({type} *)((char *)s->memory + "
                        "offsets[{i}]);\n",
                        field("type", lib.gradType), field("i", np + ns + no));
  }
  // The steps' arguments: parameters (and state) in the allocation, then
  // the inputs as given.
  auto args = [&](bool train) {
    std::string s;
    auto add = [&](const std::string &a) { s += s.empty() ? a : ", " + a; };
    for (auto [i, p] : llvm::enumerate(lib.params))
      add(render("({type} *)s->params[{i}].data", field("type", p.cType),
                 field("i", i)));
    if (train)
      for (auto [i, t] : llvm::enumerate(lib.state))
        add(render("({type} *)s->state[{i}]", field("type", t.cType),
                   field("i", i)));
    for (const TensorInfo &in : lib.inputs)
      add(in.cName);
    return s;
  };
  std::string evalOutputs;
  for (auto [i, out] : llvm::enumerate(lib.outputs))
    evalOutputs += render(", {out} ? {out} : ({type} *)s->scratch[{i}]",
                          field("out", out.cName), field("type", out.cType),
                          field("i", i));
  renderTo(os, cpuGlueTemplate, field("m", lib.model),
           field("prototypes", glue::stepPrototypes(lib, "")),
           field("param_info", glue::paramInfo(lib)),
           field("params_len", std::max<size_t>(np, 1)),
           field("state_len", std::max<size_t>(ns, 1)),
           field("scratch_len", std::max<size_t>(no, 1)),
           field("grad_rms_field", glue::gradRMSField(lib)),
           field("tensor_bytes", glue::tensorBytes(all)),
           field("helpers", glue::helpers()),
           field("offsets_len", all.size() + 1),
           field("workspace_bytes", lib.workspaceBytes),
           field("num_tensors", all.size()),
           field("param_setup",
                 glue::paramSetup(lib, "(char *)s->memory + offsets[i]")),
           field("state_setup", pointInto("state", ns, np)),
           field("scratch_setup", pointInto("scratch", no, np + ns)),
           field("create", glue::create(lib)), field("loss", lib.lossType),
           field("inputs", inputParams(lib)),
           field("outputs", outputParams(lib)), field("train_args", args(true)),
           field("grad_rms_arg", lib.gradStats ? ", s->grad_rms" : ""),
           field("eval_args", args(false)), field("eval_outputs", evalOutputs),
           field("state_accessors", glue::stateAccessors(lib)),
           field("training", training(lib)), field("np", np),
           field("grads_field", gradsField), field("grads_setup", gradsSetup),
           field("gradient_api", gradientAPI(lib)),
           field("diagnostic_accessors", glue::diagnosticAccessors(lib)));
}
