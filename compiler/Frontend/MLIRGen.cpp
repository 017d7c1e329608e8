//===- MLIRGen.cpp - Model language to the nn dialect ---------------------===//
//
// A small interpreter over the syntax tree: numbers, strings, lists,
// initializers and optimizers are evaluated at compile time, tensors become
// SSA values of `nn` ops. Blocks are inlined at each call, `repeat` unrolls.
// Every check that the language can phrase better than the IR (argument
// kinds, shapes spelled `f32[128, 784]`) is done here, before an op is built;
// the shape rules themselves are the dialect's (NNShapes.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/Frontend/MLIRGen.h"
#include "compiler/Frontend/Parser.h"

#include "dialects/NN/IR/NNOps.h"
#include "dialects/NN/IR/NNShapes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <functional>
#include <map>
#include <optional>

using namespace nnc::frontend;
using namespace mlir;
namespace nn = mlir::nn;

namespace {

//===----------------------------------------------------------------------===//
// Values of the language
//===----------------------------------------------------------------------===//

/// A value the interpreter computes: a tensor (an SSA value) or something
/// known at compile time.
struct Value {
  enum class Kind {
    Tensor,
    Number,
    String,
    Bool,
    List,
    Initializer, ///< `he`, `normal(0.02)`: applied when a parameter is made.
    Optimizer,   ///< `adam(lr = 1e-3)`.
    Function,    ///< `relu` passed as an argument, a block name.
  };
  Kind kind = Kind::Number;
  mlir::Value tensor;
  double number = 0;
  bool isInteger = false;
  std::string text;               ///< String, or the builtin/block name.
  std::vector<Value> elements;    ///< List elements; bound builtin arguments.
  std::vector<std::string> names; ///< Names of the bound arguments.
  LocationAttr loc;

  static Value makeTensor(mlir::Value v, LocationAttr loc) {
    Value r;
    r.kind = Kind::Tensor;
    r.tensor = v;
    r.loc = loc;
    return r;
  }
  static Value makeNumber(double n, bool isInteger, LocationAttr loc) {
    Value r;
    r.kind = Kind::Number;
    r.number = n;
    r.isInteger = isInteger && std::floor(n) == n;
    r.loc = loc;
    return r;
  }
  RankedTensorType type() const {
    return cast<RankedTensorType>(tensor.getType());
  }
  /// Returns the bound argument `name` of an initializer or optimizer.
  const Value *arg(StringRef name) const {
    for (auto [n, v] : llvm::zip(names, elements))
      if (n == name)
        return &v;
    return nullptr;
  }
};

/// Spells a type the way the model language writes it: `f32[128, 784]`.
std::string spellType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return nn::spellMLIRType(type);
  std::string text = nn::spellMLIRType(tensor.getElementType());
  text += "[";
  llvm::interleave(
      tensor.getShape(), [&](int64_t d) { text += std::to_string(d); },
      [&] { text += ", "; });
  return text + "]";
}

/// Spells a number as a user wrote it: `3`, `0.001`, `1e+30`.
std::string formatNumber(double n) {
  if (std::floor(n) == n && std::fabs(n) < 1e16)
    return std::to_string(static_cast<long long>(n));
  // The shortest form that reads back as the same double.
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof(text), "%.*g", digits, n);
    if (std::strtod(text, nullptr) == n)
      break;
  }
  return text;
}

/// Describes a value for "expects X, got Y" messages.
std::string describe(const Value &v) {
  switch (v.kind) {
  case Value::Kind::Tensor:
    return "a tensor " + spellType(v.type());
  case Value::Kind::Number:
    return (v.isInteger ? "the integer " : "the number ") +
           formatNumber(v.number);
  case Value::Kind::String:
    return "the string \"" + v.text + "\"";
  case Value::Kind::Bool:
    return v.number ? "true" : "false";
  case Value::Kind::List:
    return "a list";
  case Value::Kind::Initializer:
    return "the initializer '" + v.text + "'";
  case Value::Kind::Optimizer:
    return "the optimizer '" + v.text + "'";
  case Value::Kind::Function:
    return "the function '" + v.text + "'";
  }
  return "a value";
}

/// Returns the candidate closest to `name` in edit distance, if close enough
/// to be a likely typo.
std::optional<std::string> closest(StringRef name,
                                   ArrayRef<std::string> candidates) {
  std::optional<std::string> best;
  unsigned bestDistance = std::max<unsigned>(2, name.size() / 3) + 1;
  for (const std::string &c : candidates) {
    unsigned d =
        name.edit_distance(c, /*AllowReplacements=*/true, bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

//===----------------------------------------------------------------------===//
// Builtins
//===----------------------------------------------------------------------===//

/// What kind of value a builtin's parameter takes.
enum class ArgKind {
  FloatTensor, ///< A tensor of floating-point elements.
  AnyTensor,   ///< A tensor of any element type.
  Number,
  Integer,
  PositiveInteger,
  Bool,
  String,
  Initializer,
  Optimizer,
  Dims,    ///< An integer or a list of integers.
  Padding, ///< Dims, or `same` / `valid` (bare words or strings).
};

/// A parameter of a builtin, with its default. Parameters without a default
/// are required unless `optional` is set.
struct ParamSpec {
  const char *name;
  ArgKind kind;
  std::optional<double> number = std::nullopt; ///< Number/Integer/Bool default.
  const char *text = nullptr;                  ///< String/Initializer default.
  bool optional = false; ///< May be absent with no default.
};

/// The category of a builtin, which decides what a bare identifier means.
enum class BuiltinKind { Tensor, Initializer, Optimizer };

class Generator;
struct Args;
using Handler =
    std::function<FailureOr<Value>(Generator &, Location, const Args &)>;

/// A builtin function of the language.
struct Builtin {
  BuiltinKind kind;
  std::vector<ParamSpec> params;
  Handler handler;
  bool variadicTensors = false; ///< Positional tensors first (concat).
};

/// The arguments of one call, bound to the builtin's parameters.
struct Args {
  std::vector<std::optional<Value>> values;
  std::vector<Value> variadic;
  const Builtin *builtin;
  LocationAttr callLoc;

  const Value *get(StringRef name) const {
    for (auto [spec, v] : llvm::zip(builtin->params, values))
      if (name == spec.name)
        return v ? &*v : nullptr;
    llvm_unreachable("unknown builtin parameter");
  }
  bool has(StringRef name) const { return get(name) != nullptr; }
  mlir::Value tensor(StringRef name) const { return get(name)->tensor; }
  double number(StringRef name) const { return get(name)->number; }
  int64_t integer(StringRef name) const {
    return static_cast<int64_t>(get(name)->number);
  }
  bool boolean(StringRef name) const { return get(name)->number != 0; }
  StringRef string(StringRef name) const { return get(name)->text; }
  LocationAttr loc(StringRef name) const {
    const Value *v = get(name);
    return v && v->loc ? v->loc : callLoc;
  }
};

const llvm::StringMap<Builtin> &builtins();

//===----------------------------------------------------------------------===//
// Generator
//===----------------------------------------------------------------------===//

/// One level of parameter naming: `stack.3` inside `repeat 18 as stack`.
struct NameScope {
  std::string prefix;
  llvm::StringMap<int> counters;
};

class Generator {
public:
  explicit Generator(MLIRContext *context) : builder(context) {}

  OwningOpRef<ModuleOp> run(const File &file);

  // Services for builtins.
  InFlightDiagnostic error(LocationAttr loc) { return mlir::emitError(loc); }
  OpBuilder &b() { return builder; }
  /// Returns a shape-rule diagnostic prefixed with `what`.
  template <typename Rule>
  FailureOr<RankedTensorType> shape(LocationAttr loc, StringRef what,
                                    Rule &&rule) {
    auto emit = [&]() -> InFlightDiagnostic {
      return mlir::emitError(loc) << what << " ";
    };
    return rule(nn::ShapeDiag{emit, spellType});
  }
  /// Names the next layer of `kind` in the current scope: `dense0`, or
  /// `explicitName` when given.
  std::string layerName(StringRef kind, const Value *explicitName);
  /// Makes a parameter `<layer>.<suffix>` drawn from `init`.
  FailureOr<mlir::Value> makeParam(Location loc, StringRef layer,
                                   StringRef suffix, RankedTensorType type,
                                   const Value &init, int64_t fanIn,
                                   int64_t fanOut);
  /// Makes non-trainable state `<layer>.<suffix>` filled with `value`.
  FailureOr<mlir::Value> makeBuffer(Location loc, StringRef layer,
                                    StringRef suffix, RankedTensorType type,
                                    double value);
  /// A seed for the next dropout layer: distinct layers draw distinct masks.
  int64_t nextDropoutSeed() { return dropoutSeeds++; }

private:
  LogicalResult runModel(const ModelDef &model, const TrainDef *train);
  LogicalResult runBody(const StmtList &body);
  LogicalResult runStmt(const Stmt &stmt);
  LogicalResult declareArgument(const Stmt &stmt);
  FailureOr<Value> eval(const Expr &expr);
  FailureOr<Value> evalIdentifier(const Expr &expr);
  FailureOr<Value> evalBinary(const Expr &expr);
  FailureOr<Value> evalCall(const Expr &expr);
  FailureOr<Value> callFunction(const Value &fn, const Expr &call);
  FailureOr<Value> callBuiltin(StringRef name, const Builtin &builtin,
                               const Expr &call);
  FailureOr<Value> callBlock(const BlockDef &block, const Expr &call);
  LogicalResult checkKind(const ParamSpec &spec, const Value &v,
                          StringRef callee);
  FailureOr<DictionaryAttr> evalTrain(const TrainDef *train);
  FailureOr<Type> elementType(const TypeSpec &spec);
  std::vector<std::string> visibleNames();

  OpBuilder builder;
  func::FuncOp func;
  /// Variables: the model's, or the innermost block call's.
  std::vector<llvm::StringMap<Value>> variables;
  std::vector<NameScope> names;
  llvm::StringMap<const BlockDef *> blocks;
  std::vector<const BlockDef *> callStack;
  llvm::StringMap<LocationAttr> paramNames;
  /// Inputs and labels in declaration order, with their attributes.
  std::vector<std::pair<std::string, bool>> arguments;
  /// Declared statistics of inputs, by argument number.
  llvm::DenseMap<unsigned, DictionaryAttr> inputStats;
  llvm::StringMap<LocationAttr> argumentLocs;
  std::vector<std::pair<std::string, LocationAttr>> outputs;
  /// Statements and expressions evaluated so far; bounded so that repeats
  /// cannot make compilation run away.
  size_t work = 0;
  static constexpr size_t kMaxWork = 2000000;
  int64_t dropoutSeeds = 0;
  LogicalResult countWork(LocationAttr loc);
};

std::vector<std::string> Generator::visibleNames() {
  std::vector<std::string> result;
  if (!variables.empty())
    for (const auto &entry : variables.back())
      result.push_back(entry.getKey().str());
  for (const auto &entry : builtins())
    result.push_back(entry.getKey().str());
  for (const auto &entry : blocks)
    result.push_back(entry.getKey().str());
  result.push_back("true");
  result.push_back("false");
  return result;
}

std::string Generator::layerName(StringRef kind, const Value *explicitName) {
  NameScope &scope = names.back();
  std::string local = explicitName
                          ? explicitName->text
                          : (kind + Twine(scope.counters[kind]++)).str();
  return scope.prefix.empty() ? local : scope.prefix + "." + local;
}

//===----------------------------------------------------------------------===//
// Initializers
//===----------------------------------------------------------------------===//

/// Resolves an initializer for a parameter with the given fans into the
/// distribution the IR records.
FailureOr<nn::InitAttr> resolveInit(Generator &gen, Location loc,
                                    const Value &init, int64_t fanIn,
                                    int64_t fanOut) {
  MLIRContext *ctx = loc.getContext();
  auto arg = [&](StringRef name) { return init.arg(name); };
  auto num = [&](StringRef name) { return arg(name)->number; };
  StringRef name = init.text;
  auto fanFor = [&](StringRef mode) -> std::optional<double> {
    if (mode == "fan_in")
      return fanIn;
    if (mode == "fan_out")
      return fanOut;
    return std::nullopt;
  };
  auto normal = [&](double mean, double std) {
    return nn::InitAttr::get(ctx, nn::InitKind::Normal, mean, std);
  };
  auto uniform = [&](double bound) {
    return nn::InitAttr::get(ctx, nn::InitKind::Uniform, -bound, bound);
  };

  if (name == "he" || name == "he_normal" || name == "kaiming_normal" ||
      name == "he_uniform" || name == "kaiming_uniform") {
    std::optional<double> fan = fanFor(arg("mode")->text);
    if (!fan)
      return gen.error(arg("mode")->loc)
             << name << " expects mode \"fan_in\" or \"fan_out\", got \""
             << arg("mode")->text << "\"";
    double a = num("a");
    double gain = std::sqrt(2.0 / (1 + a * a));
    if (name.ends_with("uniform"))
      return uniform(gain * std::sqrt(3.0 / *fan));
    return normal(0, gain / std::sqrt(*fan));
  }
  if (name == "glorot" || name == "glorot_uniform" || name == "xavier" ||
      name == "xavier_uniform")
    return uniform(num("gain") * std::sqrt(6.0 / (fanIn + fanOut)));
  if (name == "glorot_normal" || name == "xavier_normal")
    return normal(0, num("gain") * std::sqrt(2.0 / (fanIn + fanOut)));
  if (name == "lecun" || name == "lecun_normal")
    return normal(0, 1.0 / std::sqrt(fanIn));
  if (name == "lecun_uniform")
    return uniform(std::sqrt(3.0 / fanIn));
  if (name == "torch" || name == "default")
    return uniform(1.0 / std::sqrt(fanIn));
  if (name == "normal")
    return normal(num("mean"), num("std"));
  if (name == "truncated_normal")
    return nn::InitAttr::get(ctx, nn::InitKind::TruncatedNormal, num("mean"),
                             num("std"));
  if (name == "uniform")
    return uniform(num("a"));
  if (name == "zeros")
    return nn::InitAttr::get(ctx, nn::InitKind::Constant, 0.0, 0.0);
  if (name == "ones")
    return nn::InitAttr::get(ctx, nn::InitKind::Constant, 1.0, 0.0);
  if (name == "constant")
    return nn::InitAttr::get(ctx, nn::InitKind::Constant, num("value"), 0.0);
  llvm_unreachable("initializer without a rule");
}

FailureOr<mlir::Value> Generator::makeParam(Location loc, StringRef layer,
                                            StringRef suffix,
                                            RankedTensorType type,
                                            const Value &init, int64_t fanIn,
                                            int64_t fanOut) {
  std::string name = (layer + "." + suffix).str();
  auto [it, inserted] = paramNames.try_emplace(name, loc);
  if (!inserted) {
    InFlightDiagnostic diag = error(loc) << "parameter '" << name
                                         << "' is already defined";
    diag.attachNote(it->second) << "previous definition is here";
    return failure();
  }
  FailureOr<nn::InitAttr> attr = resolveInit(*this, loc, init, fanIn, fanOut);
  if (failed(attr))
    return failure();
  return nn::ParamOp::create(builder, loc, type, builder.getStringAttr(name),
                             *attr)
      .getResult();
}

FailureOr<mlir::Value> Generator::makeBuffer(Location loc, StringRef layer,
                                             StringRef suffix,
                                             RankedTensorType type,
                                             double value) {
  std::string name = (layer + "." + suffix).str();
  auto [it, inserted] = paramNames.try_emplace(name, loc);
  if (!inserted) {
    InFlightDiagnostic diag = error(loc) << "parameter '" << name
                                         << "' is already defined";
    diag.attachNote(it->second) << "previous definition is here";
    return failure();
  }
  auto init = nn::InitAttr::get(builder.getContext(), nn::InitKind::Constant,
                                value, 0.0);
  return nn::BufferOp::create(builder, loc, type, builder.getStringAttr(name),
                              init)
      .getResult();
}

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

LogicalResult Generator::countWork(LocationAttr loc) {
  if (++work <= kMaxWork)
    return success();
  return error(loc) << "model expands to more than " << kMaxWork
                    << " operations; reduce repeat counts";
}

FailureOr<Value> Generator::eval(const Expr &expr) {
  if (failed(countWork(expr.loc)))
    return failure();
  switch (expr.kind) {
  case Expr::Kind::Number:
    return Value::makeNumber(expr.number, expr.isInteger, expr.loc);
  case Expr::Kind::String: {
    Value v;
    v.kind = Value::Kind::String;
    v.text = expr.text;
    v.loc = expr.loc;
    return v;
  }
  case Expr::Kind::Identifier:
    return evalIdentifier(expr);
  case Expr::Kind::List: {
    Value v;
    v.kind = Value::Kind::List;
    v.loc = expr.loc;
    for (const ExprPtr &e : expr.operands) {
      FailureOr<Value> element = eval(*e);
      if (failed(element))
        return failure();
      v.elements.push_back(*element);
    }
    return v;
  }
  case Expr::Kind::Negate: {
    FailureOr<Value> operand = eval(*expr.operands[0]);
    if (failed(operand))
      return failure();
    if (operand->kind == Value::Kind::Number)
      return Value::makeNumber(-operand->number, operand->isInteger, expr.loc);
    if (operand->kind != Value::Kind::Tensor)
      return error(expr.loc)
             << "'-' expects a number or a tensor, got " << describe(*operand);
    if (!isa<FloatType>(operand->type().getElementType()))
      return error(expr.loc) << "'-' expects a floating-point tensor, got "
                             << spellType(operand->type());
    return Value::makeTensor(
        nn::NegOp::create(builder, expr.loc, operand->tensor), expr.loc);
  }
  case Expr::Kind::Binary:
    return evalBinary(expr);
  case Expr::Kind::Call:
    return evalCall(expr);
  }
  llvm_unreachable("unknown expression kind");
}

FailureOr<Value> Generator::evalIdentifier(const Expr &expr) {
  StringRef name = expr.text;
  if (!variables.empty()) {
    auto it = variables.back().find(name);
    if (it != variables.back().end()) {
      Value v = it->second;
      v.loc = expr.loc;
      return v;
    }
  }
  if (name == "true" || name == "false") {
    Value v;
    v.kind = Value::Kind::Bool;
    v.number = name == "true";
    v.loc = expr.loc;
    return v;
  }
  auto builtin = builtins().find(name);
  if (builtin != builtins().end()) {
    // A bare initializer or optimizer takes its defaults; a bare function
    // name is a function value (`act = relu`).
    if (builtin->second.kind != BuiltinKind::Tensor) {
      Expr call;
      call.kind = Expr::Kind::Call;
      call.text = name.str();
      call.loc = expr.loc;
      return callBuiltin(name, builtin->second, call);
    }
  }
  if (builtin != builtins().end() || blocks.count(name)) {
    Value v;
    v.kind = Value::Kind::Function;
    v.text = name.str();
    v.loc = expr.loc;
    return v;
  }
  InFlightDiagnostic diag = error(expr.loc) << "unknown name '" << name << "'";
  if (auto guess = closest(name, visibleNames()))
    diag << "; did you mean '" << *guess << "'?";
  return failure();
}

FailureOr<Value> Generator::evalBinary(const Expr &expr) {
  FailureOr<Value> lhs = eval(*expr.operands[0]);
  if (failed(lhs))
    return failure();
  FailureOr<Value> rhs = eval(*expr.operands[1]);
  if (failed(rhs))
    return failure();
  char op = expr.op;
  std::string opName = std::string("'") + op + "'";
  auto isNum = [](const Value &v) { return v.kind == Value::Kind::Number; };
  auto isTensor = [](const Value &v) { return v.kind == Value::Kind::Tensor; };

  if (isNum(*lhs) && isNum(*rhs)) {
    double a = lhs->number, b = rhs->number;
    bool ints = lhs->isInteger && rhs->isInteger;
    switch (op) {
    case '+':
      return Value::makeNumber(a + b, ints, expr.loc);
    case '-':
      return Value::makeNumber(a - b, ints, expr.loc);
    case '*':
      return Value::makeNumber(a * b, ints, expr.loc);
    default:
      if (b == 0)
        return error(expr.loc) << "division by zero";
      // Integer division of sizes stays integral when exact (`width / 2`).
      return Value::makeNumber(a / b, ints, expr.loc);
    }
  }
  for (const Value *v : {&*lhs, &*rhs}) {
    if (!isNum(*v) && !isTensor(*v))
      return error(v->loc) << opName << " expects numbers or tensors, got "
                           << describe(*v);
    if (isTensor(*v) && !isa<FloatType>(v->type().getElementType()))
      return error(v->loc) << opName << " expects floating-point tensors, got "
                           << spellType(v->type());
  }
  // A number and a tensor: only scaling is an op of its own.
  if (isNum(*lhs) || isNum(*rhs)) {
    const Value &num = isNum(*lhs) ? *lhs : *rhs;
    const Value &tensor = isNum(*lhs) ? *rhs : *lhs;
    double factor;
    if (op == '*')
      factor = num.number;
    else if (op == '/' && isNum(*rhs)) {
      if (num.number == 0)
        return error(expr.loc) << "division by zero";
      factor = 1.0 / num.number;
    } else {
      return error(expr.loc)
             << opName << " cannot combine a number with a tensor; only "
             << "'number * tensor' and 'tensor / number' are defined";
    }
    return Value::makeTensor(
        nn::ScaleOp::create(builder, expr.loc, tensor.tensor,
                            builder.getF64FloatAttr(factor)),
        expr.loc);
  }
  FailureOr<RankedTensorType> type =
      shape(expr.loc, opName, [&](const nn::ShapeDiag &d) {
        return nn::inferElementwiseType(d, lhs->type(), rhs->type());
      });
  if (failed(type))
    return failure();
  mlir::Value result;
  switch (op) {
  case '+':
    result = nn::AddOp::create(builder, expr.loc, lhs->tensor, rhs->tensor);
    break;
  case '-':
    result = nn::SubOp::create(builder, expr.loc, lhs->tensor, rhs->tensor);
    break;
  case '*':
    result = nn::MulOp::create(builder, expr.loc, lhs->tensor, rhs->tensor);
    break;
  default:
    result = nn::DivOp::create(builder, expr.loc, lhs->tensor, rhs->tensor);
    break;
  }
  return Value::makeTensor(result, expr.loc);
}

FailureOr<Value> Generator::evalCall(const Expr &expr) {
  StringRef name = expr.text;
  if (!variables.empty()) {
    auto it = variables.back().find(name);
    if (it != variables.back().end()) {
      if (it->second.kind != Value::Kind::Function)
        return error(expr.loc) << "'" << name << "' is " << describe(it->second)
                               << ", not a function";
      return callFunction(it->second, expr);
    }
  }
  Value fn;
  fn.kind = Value::Kind::Function;
  fn.text = name.str();
  if (builtins().count(name) || blocks.count(name))
    return callFunction(fn, expr);
  std::vector<std::string> candidates;
  for (const auto &entry : builtins())
    candidates.push_back(entry.getKey().str());
  for (const auto &entry : blocks)
    candidates.push_back(entry.getKey().str());
  InFlightDiagnostic diag = error(expr.loc)
                            << "unknown function '" << name << "'";
  if (auto guess = closest(name, candidates))
    diag << "; did you mean '" << *guess << "'?";
  return failure();
}

FailureOr<Value> Generator::callFunction(const Value &fn, const Expr &call) {
  auto builtin = builtins().find(fn.text);
  if (builtin != builtins().end())
    return callBuiltin(fn.text, builtin->second, call);
  return callBlock(*blocks.lookup(fn.text), call);
}

LogicalResult Generator::checkKind(const ParamSpec &spec, const Value &v,
                                   StringRef callee) {
  // Sizes beyond 2^40 cannot be real; rejecting them here keeps int64
  // arithmetic on shapes from overflowing.
  auto isInt = [](const Value &e) {
    return e.kind == Value::Kind::Number && e.isInteger &&
           std::fabs(e.number) <= double(1ll << 40);
  };
  bool ok = false;
  StringRef what;
  switch (spec.kind) {
  case ArgKind::FloatTensor:
    ok = v.kind == Value::Kind::Tensor &&
         isa<FloatType>(v.type().getElementType());
    what = "a floating-point tensor";
    break;
  case ArgKind::AnyTensor:
    ok = v.kind == Value::Kind::Tensor;
    what = "a tensor";
    break;
  case ArgKind::Number:
    ok = v.kind == Value::Kind::Number;
    what = "a number";
    break;
  case ArgKind::Integer:
    ok = isInt(v);
    what = "an integer of magnitude at most 2^40";
    break;
  case ArgKind::PositiveInteger:
    ok = isInt(v) && v.number > 0;
    what = "a positive integer of at most 2^40";
    break;
  case ArgKind::Bool:
    ok = v.kind == Value::Kind::Bool;
    what = "true or false";
    break;
  case ArgKind::String:
    ok = v.kind == Value::Kind::String;
    what = "a string";
    break;
  case ArgKind::Initializer:
    ok = v.kind == Value::Kind::Initializer;
    what = "an initializer";
    break;
  case ArgKind::Optimizer:
    ok = v.kind == Value::Kind::Optimizer;
    what = "an optimizer";
    break;
  case ArgKind::Dims:
    ok = isInt(v) ||
         (v.kind == Value::Kind::List && llvm::all_of(v.elements, isInt));
    what = "an integer or a list of integers";
    break;
  case ArgKind::Padding:
    ok = isInt(v) ||
         (v.kind == Value::Kind::List && llvm::all_of(v.elements, isInt)) ||
         (v.kind == Value::Kind::String &&
          (v.text == "same" || v.text == "valid"));
    what = "an integer, a list of integers, same or valid";
    break;
  }
  if (ok)
    return success();
  return error(v.loc ? v.loc : LocationAttr(builder.getUnknownLoc()))
         << callee << " expects " << what << " for '" << spec.name << "', got "
         << describe(v);
}

FailureOr<Value> Generator::callBuiltin(StringRef name, const Builtin &builtin,
                                        const Expr &call) {
  Args args;
  args.builtin = &builtin;
  args.callLoc = call.loc;
  args.values.resize(builtin.params.size());
  size_t nextPositional = 0;
  bool sawNamed = false;
  for (const Arg &arg : call.args) {
    // `padding = same` names a mode, not a variable: a bare `same` or
    // `valid` given for a padding parameter is that word.
    const ParamSpec *target = nullptr;
    if (!arg.name.empty()) {
      auto it = llvm::find_if(builtin.params, [&](const ParamSpec &p) {
        return arg.name == p.name;
      });
      if (it != builtin.params.end())
        target = &*it;
    } else if (!builtin.variadicTensors &&
               nextPositional < builtin.params.size()) {
      target = &builtin.params[nextPositional];
    }
    FailureOr<Value> value = failure();
    const Expr &expr = *arg.value;
    bool paddingWord =
        target && target->kind == ArgKind::Padding &&
        expr.kind == Expr::Kind::Identifier &&
        (variables.empty() || !variables.back().count(expr.text));
    if (paddingWord && expr.text != "same" && expr.text != "valid")
      return error(expr.loc)
             << name << " expects '" << target->name
             << "' as an integer, [rows, columns], same or valid, got '"
             << expr.text << "'";
    if (paddingWord) {
      Value word;
      word.kind = Value::Kind::String;
      word.text = expr.text;
      word.loc = expr.loc;
      value = word;
    } else {
      value = eval(expr);
    }
    if (failed(value))
      return failure();
    if (arg.name.empty()) {
      if (sawNamed)
        return error(arg.value->loc)
               << name << ": positional argument after a named argument";
      // Variadic builtins take every leading tensor positionally.
      if (builtin.variadicTensors) {
        if (failed(checkKind(builtin.params.front(), *value, name)))
          return failure();
        args.variadic.push_back(*value);
        continue;
      }
      if (nextPositional >= builtin.params.size())
        return error(arg.value->loc)
               << name << " takes at most " << builtin.params.size()
               << (builtin.params.size() == 1 ? " argument" : " arguments")
               << ", got " << call.args.size();
      args.values[nextPositional++] = *value;
      continue;
    }
    sawNamed = true;
    auto it = llvm::find_if(
        builtin.params, [&](const ParamSpec &p) { return arg.name == p.name; });
    if (builtin.variadicTensors && it == builtin.params.begin())
      return error(arg.nameLoc)
             << name << " takes its tensors as positional arguments";
    if (it == builtin.params.end()) {
      std::vector<std::string> candidates;
      for (const ParamSpec &p : builtin.params)
        candidates.push_back(p.name);
      InFlightDiagnostic diag =
          error(arg.nameLoc) << name << " has no argument '" << arg.name << "'";
      if (auto guess = closest(arg.name, candidates))
        diag << "; did you mean '" << *guess << "'?";
      return failure();
    }
    size_t index = it - builtin.params.begin();
    if (args.values[index])
      return error(arg.nameLoc)
             << name << ": argument '" << arg.name << "' is given twice";
    args.values[index] = *value;
  }
  // Check kinds, fill in defaults, report what is missing.
  for (auto [i, spec] : llvm::enumerate(builtin.params)) {
    if (builtin.variadicTensors && i == 0)
      continue;
    std::optional<Value> &value = args.values[i];
    if (value) {
      if (failed(checkKind(spec, *value, name)))
        return failure();
      if (StringRef(spec.name) == "name" && value->text.empty())
        return error(value->loc) << name << " expects a non-empty name";
      continue;
    }
    if (spec.optional)
      continue;
    if (spec.text) {
      if (spec.kind == ArgKind::String) {
        Value v;
        v.kind = Value::Kind::String;
        v.text = spec.text;
        value = v;
        continue;
      }
      // Initializer and optimizer defaults are builtins themselves.
      Expr def;
      def.kind = Expr::Kind::Identifier;
      def.text = spec.text;
      def.loc = call.loc;
      FailureOr<Value> v = evalIdentifier(def);
      if (failed(v))
        return failure();
      value = *v;
      continue;
    }
    if (spec.number) {
      Value v = Value::makeNumber(*spec.number,
                                  spec.kind == ArgKind::Integer ||
                                      spec.kind == ArgKind::PositiveInteger ||
                                      spec.kind == ArgKind::Dims ||
                                      spec.kind == ArgKind::Padding,
                                  LocationAttr());
      if (spec.kind == ArgKind::Bool)
        v.kind = Value::Kind::Bool;
      value = v;
      continue;
    }
    return error(call.loc) << name << " expects an argument '" << spec.name
                           << "'";
  }
  if (builtin.variadicTensors && args.variadic.empty())
    return error(call.loc) << name << " expects at least one tensor";
  FailureOr<Value> result = builtin.handler(*this, call.loc, args);
  // Initializers and optimizers are resolved later by name.
  if (succeeded(result) && builtin.kind != BuiltinKind::Tensor)
    result->text = name.str();
  return result;
}

FailureOr<Value> Generator::callBlock(const BlockDef &block, const Expr &call) {
  if (llvm::is_contained(callStack, &block))
    return error(call.loc) << "block '" << block.name
                           << "' calls itself; blocks cannot be recursive";
  if (callStack.size() >= 64)
    return error(call.loc) << "block calls nest deeper than 64 levels";
  llvm::StringMap<Value> locals;
  size_t nextPositional = 0;
  bool sawNamed = false;
  const Value *explicitName = nullptr;
  Value nameValue;
  for (const Arg &arg : call.args) {
    FailureOr<Value> value = eval(*arg.value);
    if (failed(value))
      return failure();
    StringRef paramName;
    if (arg.name.empty()) {
      if (sawNamed)
        return error(arg.value->loc)
               << block.name << ": positional argument after a named argument";
      if (nextPositional >= block.params.size())
        return error(arg.value->loc)
               << "block '" << block.name << "' takes at most "
               << block.params.size()
               << (block.params.size() == 1 ? " argument" : " arguments")
               << ", got " << call.args.size();
      paramName = block.params[nextPositional++].name;
    } else if (arg.name == "name" &&
               llvm::none_of(block.params, [](const BlockParam &p) {
                 return p.name == "name";
               })) {
      sawNamed = true;
      if (value->kind != Value::Kind::String)
        return error(arg.value->loc)
               << "expects a string for 'name', got " << describe(*value);
      if (value->text.empty())
        return error(arg.value->loc) << "expects a non-empty name";
      nameValue = *value;
      explicitName = &nameValue;
      continue;
    } else {
      sawNamed = true;
      auto it = llvm::find_if(block.params, [&](const BlockParam &p) {
        return p.name == arg.name;
      });
      if (it == block.params.end()) {
        std::vector<std::string> candidates;
        for (const BlockParam &p : block.params)
          candidates.push_back(p.name);
        InFlightDiagnostic diag = error(arg.nameLoc)
                                  << "block '" << block.name
                                  << "' has no parameter '" << arg.name << "'";
        if (auto guess = closest(arg.name, candidates))
          diag << "; did you mean '" << *guess << "'?";
        return failure();
      }
      paramName = it->name;
    }
    if (!locals.try_emplace(paramName, *value).second)
      return error(arg.nameLoc) << "block '" << block.name << "': parameter '"
                                << paramName << "' is given twice";
  }
  // Defaults are evaluated in the block's own scope, in order, so later
  // defaults may use earlier parameters.
  variables.push_back(std::move(locals));
  names.push_back(NameScope{layerName(block.name, explicitName), {}});
  callStack.push_back(&block);
  auto restore = llvm::scope_exit([&] {
    variables.pop_back();
    names.pop_back();
    callStack.pop_back();
  });
  for (const BlockParam &param : block.params) {
    if (variables.back().count(param.name))
      continue;
    if (!param.defaultValue)
      return error(call.loc) << "block '" << block.name
                             << "' expects an argument '" << param.name << "'";
    FailureOr<Value> value = eval(*param.defaultValue);
    if (failed(value))
      return failure();
    variables.back()[param.name] = *value;
  }
  if (failed(runBody(block.body)))
    return failure();
  FailureOr<Value> result = eval(*block.result);
  if (failed(result))
    return failure();
  return *result;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

FailureOr<Type> Generator::elementType(const TypeSpec &spec) {
  Type type = llvm::StringSwitch<Type>(spec.elementType)
                  .Case("f16", builder.getF16Type())
                  .Case("bf16", builder.getBF16Type())
                  .Case("f32", builder.getF32Type())
                  .Case("f64", builder.getF64Type())
                  .Case("i32", builder.getI32Type())
                  .Case("i64", builder.getI64Type())
                  .Default(Type());
  if (type)
    return type;
  InFlightDiagnostic diag = error(spec.elementTypeLoc)
                            << "unknown element type '" << spec.elementType
                            << "'";
  if (auto guess = closest(spec.elementType,
                           {"f16", "bf16", "f32", "f64", "i32", "i64"}))
    diag << "; did you mean '" << *guess << "'?";
  else
    diag << "; expects f16, bf16, f32, f64, i32 or i64";
  return failure();
}

LogicalResult Generator::declareArgument(const Stmt &stmt) {
  bool isLabel = stmt.kind == Stmt::Kind::Label;
  StringRef what = isLabel ? "label" : "input";
  if (variables.size() != 1 || names.size() != 1)
    return error(stmt.loc) << what
                           << " declarations belong in the model body, "
                              "outside blocks and repeats";
  auto [it, inserted] = argumentLocs.try_emplace(stmt.name, stmt.nameLoc);
  if (!inserted) {
    InFlightDiagnostic diag = error(stmt.nameLoc)
                              << "'" << stmt.name << "' is already declared";
    diag.attachNote(it->second) << "previous declaration is here";
    return failure();
  }
  FailureOr<Type> element = elementType(stmt.type);
  if (failed(element))
    return failure();
  if (!isLabel && !isa<FloatType>(*element))
    return error(stmt.type.elementTypeLoc)
           << "input expects a floating-point element type, got '"
           << stmt.type.elementType << "' (class indices are labels)";
  double elements = 1;
  for (auto [size, loc] : llvm::zip(stmt.type.shape, stmt.type.dimLocs)) {
    if (size <= 0)
      return error(loc) << "expects positive dimension sizes, got " << size;
    elements *= size;
  }
  if (elements > double(1ull << 34))
    return error(stmt.type.elementTypeLoc)
           << "tensor of " << elements << " elements is too large";
  auto type = RankedTensorType::get(stmt.type.shape, *element);
  mlir::Value arg = func.getBody().front().addArgument(type, stmt.loc);
  arguments.emplace_back(stmt.name, isLabel);
  // Declared statistics feed the gradient-flow analysis.
  if (!stmt.stats.empty()) {
    double mean = 0, std = 1;
    llvm::StringMap<mlir::LocationAttr> seen;
    for (const Arg &stat : stmt.stats) {
      if (stat.name != "mean" && stat.name != "std")
        return error(stat.nameLoc)
               << "expects the statistics 'mean' and 'std' of an input, got '"
               << stat.name << "'";
      if (auto [it, inserted] = seen.try_emplace(stat.name, stat.nameLoc);
          !inserted) {
        InFlightDiagnostic diag = error(stat.nameLoc)
                                  << "'" << stat.name << "' is given twice";
        diag.attachNote(it->second) << "first given here";
        return failure();
      }
      FailureOr<Value> value = eval(*stat.value);
      if (failed(value))
        return failure();
      if (value->kind != Value::Kind::Number || !std::isfinite(value->number) ||
          (stat.name == "std" && value->number < 0))
        return error(stat.value->loc)
               << "expects a finite number"
               << (stat.name == "std" ? ", not negative," : "") << " for '"
               << stat.name << "', got " << describe(*value);
      (stat.name == "mean" ? mean : std) = value->number;
    }
    inputStats[arguments.size() - 1] = builder.getDictionaryAttr(
        {builder.getNamedAttr("mean", builder.getF64FloatAttr(mean)),
         builder.getNamedAttr("std", builder.getF64FloatAttr(std))});
  }
  variables.back()[stmt.name] = Value::makeTensor(arg, stmt.nameLoc);
  return success();
}

LogicalResult Generator::runStmt(const Stmt &stmt) {
  if (failed(countWork(stmt.loc)))
    return failure();
  switch (stmt.kind) {
  case Stmt::Kind::Input:
  case Stmt::Kind::Label:
    return declareArgument(stmt);
  case Stmt::Kind::Output:
    if (variables.size() != 1 || names.size() != 1)
      return error(stmt.loc) << "output declarations belong in the model "
                                "body, outside blocks and repeats";
    for (const auto &[name, loc] : stmt.outputs) {
      for (const auto &[prev, prevLoc] : outputs) {
        if (prev != name)
          continue;
        InFlightDiagnostic diag = error(loc)
                                  << "output '" << name << "' is listed twice";
        diag.attachNote(prevLoc) << "first listed here";
        return failure();
      }
      outputs.emplace_back(name, loc);
    }
    return success();
  case Stmt::Kind::Assign: {
    if (argumentLocs.count(stmt.name) && variables.size() == 1) {
      InFlightDiagnostic diag = error(stmt.nameLoc)
                                << "cannot assign to '" << stmt.name
                                << "', which is declared as an input or label";
      diag.attachNote(argumentLocs.lookup(stmt.name)) << "declared here";
      return failure();
    }
    FailureOr<Value> value = eval(*stmt.value);
    if (failed(value))
      return failure();
    variables.back()[stmt.name] = *value;
    return success();
  }
  case Stmt::Kind::Repeat: {
    if (stmt.count <= 0)
      return error(stmt.countLoc)
             << "expects a positive repeat count, got " << stmt.count;
    if (stmt.count > 10000)
      return error(stmt.countLoc)
             << "repeat count " << stmt.count << " exceeds the limit of 10000";
    std::string base =
        layerName("repeat", nullptr); // Consumes the counter even when named.
    if (!stmt.name.empty()) {
      NameScope &scope = names.back();
      base = scope.prefix.empty() ? stmt.name : scope.prefix + "." + stmt.name;
    }
    for (int64_t i = 0; i < stmt.count; ++i) {
      names.push_back(NameScope{base + "." + std::to_string(i), {}});
      LogicalResult result = runBody(stmt.body);
      names.pop_back();
      if (failed(result))
        return failure();
    }
    return success();
  }
  }
  llvm_unreachable("unknown statement kind");
}

LogicalResult Generator::runBody(const StmtList &body) {
  for (const auto &stmt : body)
    if (failed(runStmt(*stmt)))
      return failure();
  return success();
}

FailureOr<DictionaryAttr> Generator::evalTrain(const TrainDef *train) {
  static const char *const keys[] = {"optimizer", "clip_grad_norm"};
  std::optional<Value> optimizer;
  std::optional<double> clip;
  llvm::StringMap<LocationAttr> seen;
  if (train) {
    for (const TrainEntry &entry : train->entries) {
      if (!llvm::is_contained(keys, entry.key)) {
        std::vector<std::string> candidates(std::begin(keys), std::end(keys));
        InFlightDiagnostic diag = error(entry.loc)
                                  << "unknown training setting '" << entry.key
                                  << "'";
        if (auto guess = closest(entry.key, candidates))
          diag << "; did you mean '" << *guess << "'?";
        else
          diag << "; expects optimizer or clip_grad_norm";
        return failure();
      }
      if (!seen.try_emplace(entry.key, entry.loc).second)
        return error(entry.loc) << "'" << entry.key << "' is set twice";
      FailureOr<Value> value = eval(*entry.value);
      if (failed(value))
        return failure();
      if (entry.key == "optimizer") {
        if (value->kind != Value::Kind::Optimizer)
          return error(entry.value->loc)
                 << "expects an optimizer (sgd, adam or adamw), got "
                 << describe(*value);
        optimizer = *value;
      } else {
        if (value->kind != Value::Kind::Number || value->number <= 0)
          return error(entry.value->loc)
                 << "expects a positive number for clip_grad_norm, got "
                 << describe(*value);
        clip = value->number;
      }
    }
  }
  if (!optimizer) {
    Expr def;
    def.kind = Expr::Kind::Identifier;
    def.text = "adam";
    def.loc = train ? train->loc : LocationAttr(builder.getUnknownLoc());
    FailureOr<Value> v = evalIdentifier(def);
    if (failed(v))
      return failure();
    optimizer = *v;
  }
  SmallVector<NamedAttribute> attrs;
  attrs.push_back(builder.getNamedAttr("optimizer",
                                       builder.getStringAttr(optimizer->text)));
  for (auto [name, value] : llvm::zip(optimizer->names, optimizer->elements)) {
    Attribute attr = value.kind == Value::Kind::Bool
                         ? Attribute(builder.getBoolAttr(value.number != 0))
                         : Attribute(builder.getF64FloatAttr(value.number));
    attrs.push_back(builder.getNamedAttr(name, attr));
  }
  if (clip)
    attrs.push_back(
        builder.getNamedAttr("clip_grad_norm", builder.getF64FloatAttr(*clip)));
  return builder.getDictionaryAttr(attrs);
}

LogicalResult Generator::runModel(const ModelDef &model,
                                  const TrainDef *train) {
  auto fnType = builder.getFunctionType({}, {});
  func = func::FuncOp::create(builder, model.loc, model.name, fnType);
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  variables.emplace_back();
  names.push_back(NameScope{});

  if (failed(runBody(model.body)))
    return failure();

  auto loss = variables.back().find("loss");
  if (loss == variables.back().end())
    return error(model.loc) << "model '" << model.name
                            << "' defines no 'loss'; assign the training "
                               "objective to a value named 'loss'";
  const Value &lossValue = loss->second;
  if (lossValue.kind != Value::Kind::Tensor ||
      lossValue.type().getRank() != 0 ||
      !isa<FloatType>(lossValue.type().getElementType()))
    return error(lossValue.loc)
           << "'loss' must be a floating-point scalar, got "
           << describe(lossValue);

  // Results: the loss, then the outputs; by default the loss's prediction.
  SmallVector<mlir::Value> results{lossValue.tensor};
  SmallVector<std::string> resultNames{"loss"};
  if (outputs.empty()) {
    Operation *def = lossValue.tensor.getDefiningOp();
    if (def && isa<nn::CrossEntropyOp, nn::MseOp, nn::BceWithLogitsOp>(def)) {
      results.push_back(def->getOperand(0));
      resultNames.push_back("output");
    }
  }
  for (const auto &[name, loc] : outputs) {
    auto it = variables.back().find(name);
    if (it == variables.back().end() ||
        it->second.kind != Value::Kind::Tensor) {
      InFlightDiagnostic diag = error(loc);
      if (it == variables.back().end()) {
        diag << "output '" << name << "' is not defined";
        std::vector<std::string> candidates;
        for (const auto &e : variables.back())
          candidates.push_back(e.getKey().str());
        if (auto guess = closest(name, candidates))
          diag << "; did you mean '" << *guess << "'?";
      } else {
        diag << "output '" << name << "' must be a tensor, got "
             << describe(it->second);
      }
      return failure();
    }
    results.push_back(it->second.tensor);
    resultNames.push_back(name);
  }
  func::ReturnOp::create(builder, model.loc, results);

  func.setType(builder.getFunctionType(entry->getArgumentTypes(),
                                       ValueRange(results).getTypes()));
  for (auto [i, arg] : llvm::enumerate(arguments)) {
    func.setArgAttr(i, nn::NNDialect::kArgNameAttrName,
                    builder.getStringAttr(arg.first));
    if (arg.second)
      func.setArgAttr(i, nn::NNDialect::kLabelAttrName, builder.getUnitAttr());
    if (DictionaryAttr stats = inputStats.lookup(i))
      func.setArgAttr(i, nn::NNDialect::kInputStatsAttrName, stats);
  }
  for (auto [i, name] : llvm::enumerate(resultNames))
    func.setResultAttr(i, nn::NNDialect::kResultNameAttrName,
                       builder.getStringAttr(name));
  func->setAttr(nn::NNDialect::kModelAttrName, builder.getUnitAttr());
  FailureOr<DictionaryAttr> trainAttr = evalTrain(train);
  if (failed(trainAttr))
    return failure();
  func->setAttr(nn::NNDialect::kTrainAttrName, *trainAttr);
  return success();
}

OwningOpRef<ModuleOp> Generator::run(const File &file) {
  Location fileLoc = file.loc ? Location(file.loc) : builder.getUnknownLoc();
  if (file.models.empty()) {
    LocationAttr loc = !file.blocks.empty()   ? file.blocks.front()->loc
                       : !file.trains.empty() ? file.trains.front()->loc
                                              : LocationAttr(fileLoc);
    error(loc) << "expects a 'model' definition in the file";
    return nullptr;
  }
  if (file.models.size() > 1) {
    InFlightDiagnostic diag = error(file.models[1]->loc)
                              << "expects one model per file";
    diag.attachNote(file.models[0]->loc) << "first model is here";
    return nullptr;
  }
  if (file.trains.size() > 1) {
    InFlightDiagnostic diag = error(file.trains[1]->loc)
                              << "expects one 'train' section per file";
    diag.attachNote(file.trains[0]->loc) << "first 'train' section is here";
    return nullptr;
  }
  for (const auto &block : file.blocks) {
    llvm::StringMap<LocationAttr> params;
    for (const BlockParam &param : block->params) {
      auto [it, inserted] = params.try_emplace(param.name, param.loc);
      if (!inserted) {
        InFlightDiagnostic diag = error(param.loc)
                                  << "block '" << block->name
                                  << "' has two parameters named '"
                                  << param.name << "'";
        diag.attachNote(it->second) << "first one is here";
        return nullptr;
      }
    }
    if (builtins().count(block->name)) {
      error(block->loc) << "block '" << block->name
                        << "' has the name of a builtin function";
      return nullptr;
    }
    auto [it, inserted] = blocks.try_emplace(block->name, block.get());
    if (!inserted) {
      InFlightDiagnostic diag = error(block->loc) << "block '" << block->name
                                                  << "' is already defined";
      diag.attachNote(it->second->loc) << "previous definition is here";
      return nullptr;
    }
  }
  const ModelDef &model = *file.models.front();
  OwningOpRef<ModuleOp> module = ModuleOp::create(model.loc);
  builder.setInsertionPointToEnd(module->getBody());
  if (failed(runModel(model, file.trains.empty() ? nullptr
                                                 : file.trains.front().get())))
    return nullptr;
  // The frontend checks everything the verifier does, so a failure here is
  // a frontend bug; report it rather than emit invalid IR.
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// The builtin table
//===----------------------------------------------------------------------===//

using K = ArgKind;

/// Builds a unary elementwise op on a floating-point tensor.
template <typename OpTy> Builtin unary() {
  return Builtin{BuiltinKind::Tensor,
                 {{"x", K::FloatTensor}},
                 [](Generator &gen, Location loc, const Args &args) {
                   return FailureOr<Value>(Value::makeTensor(
                       OpTy::create(gen.b(), loc, args.tensor("x")), loc));
                 }};
}

/// Normalizes a `dim` argument of a builtin against `type`.
FailureOr<int64_t> dimArg(Generator &gen, StringRef what, const Args &args,
                          StringRef name, RankedTensorType type) {
  auto emit = [&]() -> InFlightDiagnostic {
    return gen.error(args.loc(name)) << what << " ";
  };
  return nn::checkDim(nn::ShapeDiag{emit, spellType}, type, args.integer(name));
}

template <typename OpTy> Builtin softmaxLike(StringRef what) {
  return Builtin{
      BuiltinKind::Tensor,
      {{"x", K::FloatTensor}, {"dim", K::Integer, -1}},
      [what](Generator &gen, Location loc,
             const Args &args) -> FailureOr<Value> {
        mlir::Value x = args.tensor("x");
        auto type = cast<RankedTensorType>(x.getType());
        FailureOr<int64_t> dim = dimArg(gen, what, args, "dim", type);
        if (failed(dim))
          return failure();
        return Value::makeTensor(OpTy::create(gen.b(), loc, x, *dim), loc);
      }};
}

template <typename OpTy> Builtin reduction(StringRef what) {
  return Builtin{
      BuiltinKind::Tensor,
      {{"x", K::FloatTensor},
       {"dim", K::Dims, std::nullopt, nullptr, /*optional=*/true},
       {"keepdim", K::Bool, 0}},
      [what](Generator &gen, Location loc,
             const Args &args) -> FailureOr<Value> {
        mlir::Value x = args.tensor("x");
        SmallVector<int64_t> dims;
        if (const Value *d = args.get("dim")) {
          if (d->kind == Value::Kind::List) {
            for (const Value &e : d->elements)
              dims.push_back(static_cast<int64_t>(e.number));
            if (dims.empty())
              return gen.error(args.loc("dim"))
                     << what << " expects at least one dimension in 'dim'";
          } else {
            dims.push_back(static_cast<int64_t>(d->number));
          }
        }
        auto type = cast<RankedTensorType>(x.getType());
        bool keepdim = args.boolean("keepdim");
        FailureOr<RankedTensorType> result =
            gen.shape(args.loc("dim"), what, [&](const nn::ShapeDiag &d) {
              return nn::inferReduceType(d, type, dims, keepdim);
            });
        if (failed(result))
          return failure();
        // Normalize negative dimensions for the IR.
        for (int64_t &d : dims)
          d = d < 0 ? d + type.getRank() : d;
        llvm::sort(dims);
        return Value::makeTensor(
            OpTy::create(gen.b(), loc, x, gen.b().getDenseI64ArrayAttr(dims),
                         keepdim ? gen.b().getUnitAttr() : UnitAttr()),
            loc);
      }};
}

/// Initializers take their arguments now and their fans later. Spreads
/// (`std`, `gain`, uniform's `a`) must not be negative.
Builtin initializer(std::vector<ParamSpec> params,
                    std::vector<const char *> spreads = {}) {
  return Builtin{BuiltinKind::Initializer, std::move(params),
                 [spreads](Generator &gen, Location loc,
                           const Args &args) -> FailureOr<Value> {
                   for (const char *spread : spreads)
                     if (!(args.number(spread) >= 0))
                       return gen.error(args.loc(spread))
                              << "expects a non-negative '" << spread
                              << "', got " << formatNumber(args.number(spread));
                   Value v;
                   v.kind = Value::Kind::Initializer;
                   v.loc = loc;
                   for (auto [spec, value] :
                        llvm::zip(args.builtin->params, args.values)) {
                     v.names.push_back(spec.name);
                     v.elements.push_back(*value);
                   }
                   return v;
                 }};
}

Builtin
optimizer(std::vector<ParamSpec> params,
          std::function<LogicalResult(Generator &, const Args &)> check) {
  return Builtin{BuiltinKind::Optimizer, std::move(params),
                 [check](Generator &gen, Location loc,
                         const Args &args) -> FailureOr<Value> {
                   if (args.number("lr") <= 0)
                     return gen.error(args.loc("lr"))
                            << "expects a positive learning rate, got "
                            << formatNumber(args.number("lr"));
                   if (failed(check(gen, args)))
                     return failure();
                   Value v;
                   v.kind = Value::Kind::Optimizer;
                   v.loc = loc;
                   for (auto [spec, value] :
                        llvm::zip(args.builtin->params, args.values)) {
                     v.names.push_back(spec.name);
                     v.elements.push_back(*value);
                   }
                   return v;
                 }};
}

LogicalResult checkAdam(Generator &gen, const Args &args) {
  for (const char *beta : {"beta1", "beta2"})
    if (args.number(beta) < 0 || args.number(beta) >= 1)
      return gen.error(args.loc(beta))
             << "expects " << beta << " in [0, 1), got "
             << formatNumber(args.number(beta));
  if (args.number("eps") <= 0)
    return gen.error(args.loc("eps")) << "expects a positive eps, got "
                                      << formatNumber(args.number("eps"));
  if (args.number("weight_decay") < 0)
    return gen.error(args.loc("weight_decay"))
           << "expects a non-negative weight_decay, got "
           << formatNumber(args.number("weight_decay"));
  return success();
}

FailureOr<Value> denseHandler(Generator &gen, Location loc, const Args &args) {
  mlir::Value x = args.tensor("x");
  auto xType = cast<RankedTensorType>(x.getType());
  if (xType.getRank() != 2)
    return gen.error(args.loc("x"))
           << "dense expects 2-D input, got " << spellType(xType)
           << (xType.getRank() > 2 ? "; flatten it first" : "");
  int64_t in = xType.getDimSize(1), out = args.integer("out");
  if (double(in) * double(out) > double(1ll << 34))
    return gen.error(args.loc("out")) << "dense: a weight of " << in << " x "
                                      << out << " elements is too large";
  Type element = xType.getElementType();
  std::string layer = gen.layerName("dense", args.get("name"));
  auto wType = RankedTensorType::get({out, in}, element);
  FailureOr<mlir::Value> w =
      gen.makeParam(loc, layer, "weight", wType, *args.get("init"), in, out);
  if (failed(w))
    return failure();
  mlir::Value bias;
  if (args.boolean("bias")) {
    FailureOr<mlir::Value> b =
        gen.makeParam(loc, layer, "bias", RankedTensorType::get({out}, element),
                      *args.get("bias_init"), in, out);
    if (failed(b))
      return failure();
    bias = *b;
  }
  return Value::makeTensor(nn::DenseOp::create(gen.b(), loc, x, *w, bias), loc);
}

FailureOr<Value> matmulHandler(Generator &gen, Location loc, const Args &args) {
  mlir::Value a = args.tensor("a"), b = args.tensor("b");
  bool ta = args.boolean("transpose_a"), tb = args.boolean("transpose_b");
  FailureOr<RankedTensorType> type =
      gen.shape(loc, "matmul", [&](const nn::ShapeDiag &d) {
        return nn::inferMatmulType(d, cast<RankedTensorType>(a.getType()),
                                   cast<RankedTensorType>(b.getType()), ta, tb);
      });
  if (failed(type))
    return failure();
  return Value::makeTensor(
      nn::MatmulOp::create(gen.b(), loc, a, b,
                           ta ? gen.b().getUnitAttr() : UnitAttr(),
                           tb ? gen.b().getUnitAttr() : UnitAttr()),
      loc);
}

FailureOr<Value> transposeHandler(Generator &gen, Location loc,
                                  const Args &args) {
  mlir::Value x = args.tensor("x");
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> perm;
  if (const Value *p = args.get("perm")) {
    if (p->kind == Value::Kind::List)
      for (const Value &e : p->elements)
        perm.push_back(static_cast<int64_t>(e.number));
    else
      perm.push_back(static_cast<int64_t>(p->number));
  } else {
    // Without a permutation, reverse the dimensions (a matrix transpose).
    for (int64_t i = type.getRank() - 1; i >= 0; --i)
      perm.push_back(i);
  }
  FailureOr<RankedTensorType> result =
      gen.shape(args.loc("perm"), "transpose", [&](const nn::ShapeDiag &d) {
        return nn::inferTransposeType(d, type, perm);
      });
  if (failed(result))
    return failure();
  return Value::makeTensor(
      nn::TransposeOp::create(gen.b(), loc, x,
                              gen.b().getDenseI64ArrayAttr(perm)),
      loc);
}

FailureOr<Value> reshapeTo(Generator &gen, Location loc, LocationAttr shapeLoc,
                           StringRef what, mlir::Value x,
                           ArrayRef<int64_t> shape) {
  FailureOr<RankedTensorType> type =
      gen.shape(shapeLoc, what, [&](const nn::ShapeDiag &d) {
        return nn::inferReshapeType(d, cast<RankedTensorType>(x.getType()),
                                    shape);
      });
  if (failed(type))
    return failure();
  return Value::makeTensor(nn::ReshapeOp::create(gen.b(), loc, *type, x), loc);
}

FailureOr<Value> reshapeHandler(Generator &gen, Location loc,
                                const Args &args) {
  const Value *shape = args.get("shape");
  SmallVector<int64_t> dims;
  if (shape->kind == Value::Kind::List)
    for (const Value &e : shape->elements)
      dims.push_back(static_cast<int64_t>(e.number));
  else
    dims.push_back(static_cast<int64_t>(shape->number));
  return reshapeTo(gen, loc, args.loc("shape"), "reshape", args.tensor("x"),
                   dims);
}

FailureOr<Value> flattenHandler(Generator &gen, Location loc,
                                const Args &args) {
  mlir::Value x = args.tensor("x");
  auto type = cast<RankedTensorType>(x.getType());
  FailureOr<int64_t> start = dimArg(gen, "flatten", args, "start_dim", type);
  if (failed(start))
    return failure();
  SmallVector<int64_t> dims(type.getShape().take_front(*start));
  int64_t rest = 1;
  for (int64_t d : type.getShape().drop_front(*start))
    rest *= d;
  dims.push_back(rest);
  return reshapeTo(gen, loc, args.loc("start_dim"), "flatten", x, dims);
}

/// Reads a `[rows, columns]` argument given as one integer (both) or a list
/// of two, each at least `min`.
FailureOr<SmallVector<int64_t, 2>> pairArg(Generator &gen, StringRef what,
                                           const Args &args, StringRef name,
                                           int64_t min) {
  const Value *v = args.get(name);
  SmallVector<int64_t, 2> pair;
  if (v->kind == Value::Kind::List) {
    if (v->elements.size() != 2)
      return gen.error(args.loc(name))
             << what << " expects '" << name
             << "' as one integer or [rows, columns], got a list of "
             << v->elements.size();
    for (const Value &e : v->elements)
      pair.push_back(static_cast<int64_t>(e.number));
  } else {
    pair.assign(2, static_cast<int64_t>(v->number));
  }
  for (int64_t p : pair)
    if (p < min || p > (int64_t(1) << 20))
      return gen.error(args.loc(name))
             << what << " expects '" << name << "' in [" << min
             << ", 2^20], got " << p;
  return pair;
}

FailureOr<Value> conv2dHandler(Generator &gen, Location loc, const Args &args) {
  mlir::Value x = args.tensor("x");
  auto xType = cast<RankedTensorType>(x.getType());
  if (xType.getRank() != 4)
    return gen.error(args.loc("x"))
           << "conv2d expects 4-D input [batch, channels, height, width], got "
           << spellType(xType);
  FailureOr<SmallVector<int64_t, 2>> kernel =
      pairArg(gen, "conv2d", args, "kernel", 1);
  if (failed(kernel))
    return failure();
  FailureOr<SmallVector<int64_t, 2>> stride =
      pairArg(gen, "conv2d", args, "stride", 1);
  if (failed(stride))
    return failure();
  FailureOr<SmallVector<int64_t, 2>> dilation =
      pairArg(gen, "conv2d", args, "dilation", 1);
  if (failed(dilation))
    return failure();
  SmallVector<int64_t, 2> padding;
  if (args.get("padding")->kind == Value::Kind::String) {
    // As PyTorch: `same` keeps the size at stride 1; `valid` pads nothing.
    for (int64_t i = 0; i < 2; ++i) {
      int64_t total = (*dilation)[i] * ((*kernel)[i] - 1);
      if (args.string("padding") == "valid") {
        padding.push_back(0);
        continue;
      }
      if ((*stride)[i] != 1)
        return gen.error(args.loc("padding"))
               << "conv2d: padding = same needs stride 1, got stride "
               << (*stride)[i];
      if (total % 2 != 0)
        return gen.error(args.loc("padding"))
               << "conv2d: padding = same needs an odd kernel extent, got "
               << total + 1;
      padding.push_back(total / 2);
    }
  } else {
    FailureOr<SmallVector<int64_t, 2>> p =
        pairArg(gen, "conv2d", args, "padding", 0);
    if (failed(p))
      return failure();
    padding = *p;
  }
  int64_t in = xType.getDimSize(1), out = args.integer("out");
  int64_t groups = args.integer("groups");
  if (in % groups != 0 || out % groups != 0)
    return gen.error(args.loc("groups"))
           << "conv2d expects groups dividing both " << in << " input and "
           << out << " output channels, got " << groups;
  int64_t receptive = (*kernel)[0] * (*kernel)[1];
  if (double(out) * double(in / groups) * double(receptive) > double(1ll << 34))
    return gen.error(args.loc("out"))
           << "conv2d: a weight of " << out << " x " << in / groups << " x "
           << (*kernel)[0] << " x " << (*kernel)[1] << " elements is too large";
  Type element = xType.getElementType();
  auto wType = RankedTensorType::get(
      {out, in / groups, (*kernel)[0], (*kernel)[1]}, element);
  // Check the geometry before any parameter exists.
  FailureOr<RankedTensorType> type =
      gen.shape(loc, "conv2d", [&](const nn::ShapeDiag &d) {
        return nn::inferConv2dType(d, xType, wType, RankedTensorType(), *stride,
                                   padding, *dilation, groups);
      });
  if (failed(type))
    return failure();
  // PyTorch's fans: fan_in = in / groups * kh * kw, fan_out = out * kh * kw.
  int64_t fanIn = in / groups * receptive, fanOut = out * receptive;
  std::string layer = gen.layerName("conv", args.get("name"));
  FailureOr<mlir::Value> w = gen.makeParam(loc, layer, "weight", wType,
                                           *args.get("init"), fanIn, fanOut);
  if (failed(w))
    return failure();
  mlir::Value bias;
  if (args.boolean("bias")) {
    FailureOr<mlir::Value> b =
        gen.makeParam(loc, layer, "bias", RankedTensorType::get({out}, element),
                      *args.get("bias_init"), fanIn, fanOut);
    if (failed(b))
      return failure();
    bias = *b;
  }
  OpBuilder &b = gen.b();
  return Value::makeTensor(
      nn::Conv2dOp::create(b, loc, x, *w, bias, b.getDenseI64ArrayAttr(*stride),
                           b.getDenseI64ArrayAttr(padding),
                           b.getDenseI64ArrayAttr(*dilation),
                           b.getI64IntegerAttr(groups)),
      loc);
}

/// `max_pool2d` and `avg_pool2d`: the stride defaults to the kernel.
template <typename OpTy> Builtin pool2d(StringRef what) {
  return Builtin{
      BuiltinKind::Tensor,
      {{"x", K::FloatTensor},
       {"kernel", K::Dims},
       {"stride", K::Dims, std::nullopt, nullptr, /*optional=*/true},
       {"padding", K::Dims, 0}},
      [what](Generator &gen, Location loc,
             const Args &args) -> FailureOr<Value> {
        mlir::Value x = args.tensor("x");
        auto xType = cast<RankedTensorType>(x.getType());
        if (xType.getRank() != 4)
          return gen.error(args.loc("x"))
                 << what
                 << " expects 4-D input [batch, channels, height, width], got "
                 << spellType(xType);
        FailureOr<SmallVector<int64_t, 2>> kernel =
            pairArg(gen, what, args, "kernel", 1);
        if (failed(kernel))
          return failure();
        SmallVector<int64_t, 2> stride = *kernel;
        if (args.has("stride")) {
          FailureOr<SmallVector<int64_t, 2>> s =
              pairArg(gen, what, args, "stride", 1);
          if (failed(s))
            return failure();
          stride = *s;
        }
        FailureOr<SmallVector<int64_t, 2>> padding =
            pairArg(gen, what, args, "padding", 0);
        if (failed(padding))
          return failure();
        FailureOr<RankedTensorType> type =
            gen.shape(loc, what, [&](const nn::ShapeDiag &d) {
              return nn::inferPool2dType(d, xType, *kernel, stride, *padding);
            });
        if (failed(type))
          return failure();
        OpBuilder &b = gen.b();
        return Value::makeTensor(OpTy::create(b, loc, x,
                                              b.getDenseI64ArrayAttr(*kernel),
                                              b.getDenseI64ArrayAttr(stride),
                                              b.getDenseI64ArrayAttr(*padding)),
                                 loc);
      }};
}

FailureOr<Value> globalAvgPoolHandler(Generator &gen, Location loc,
                                      const Args &args) {
  // The mean over height and width: nn.mean already is that op.
  mlir::Value x = args.tensor("x");
  auto xType = cast<RankedTensorType>(x.getType());
  if (xType.getRank() != 4)
    return gen.error(args.loc("x")) << "global_avg_pool expects 4-D input "
                                       "[batch, channels, height, width], got "
                                    << spellType(xType);
  OpBuilder &b = gen.b();
  return Value::makeTensor(
      nn::MeanOp::create(b, loc, x, b.getDenseI64ArrayAttr({2, 3}), UnitAttr()),
      loc);
}

FailureOr<Value> batchNormHandler(Generator &gen, Location loc,
                                  const Args &args) {
  mlir::Value x = args.tensor("x");
  auto xType = cast<RankedTensorType>(x.getType());
  if (xType.getRank() < 2)
    return gen.error(args.loc("x"))
           << "batch_norm expects input [batch, channels, ...] of rank at "
              "least 2, got "
           << spellType(xType);
  double momentum = args.number("momentum"), eps = args.number("eps");
  if (!(momentum >= 0 && momentum <= 1))
    return gen.error(args.loc("momentum"))
           << "batch_norm expects a momentum in [0, 1], got "
           << formatNumber(momentum);
  if (!(eps > 0))
    return gen.error(args.loc("eps"))
           << "batch_norm expects a positive eps, got " << formatNumber(eps);
  auto type =
      RankedTensorType::get({xType.getDimSize(1)}, xType.getElementType());
  std::string layer = gen.layerName("batch_norm", args.get("name"));
  // PyTorch's initial values: weight 1, bias 0, mean 0, variance 1.
  Value ones, zeros;
  ones.kind = zeros.kind = Value::Kind::Initializer;
  ones.text = "ones";
  zeros.text = "zeros";
  FailureOr<mlir::Value> w =
      gen.makeParam(loc, layer, "weight", type, ones, type.getDimSize(0), 1);
  if (failed(w))
    return failure();
  FailureOr<mlir::Value> b =
      gen.makeParam(loc, layer, "bias", type, zeros, type.getDimSize(0), 1);
  if (failed(b))
    return failure();
  FailureOr<mlir::Value> mean =
      gen.makeBuffer(loc, layer, "running_mean", type, 0.0);
  if (failed(mean))
    return failure();
  FailureOr<mlir::Value> var =
      gen.makeBuffer(loc, layer, "running_var", type, 1.0);
  if (failed(var))
    return failure();
  OpBuilder &builder = gen.b();
  auto op = nn::BatchNormOp::create(
      builder, loc, x, *w, *b, *mean, *var, builder.getF64FloatAttr(momentum),
      builder.getF64FloatAttr(eps), builder.getUnitAttr());
  return Value::makeTensor(op.getResult(), loc);
}

FailureOr<Value> layerNormHandler(Generator &gen, Location loc,
                                  const Args &args) {
  mlir::Value x = args.tensor("x");
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t dims = args.integer("dims");
  if (dims > xType.getRank())
    return gen.error(args.loc("dims"))
           << "layer_norm expects at most " << xType.getRank()
           << " trailing dimensions for " << spellType(xType) << ", got "
           << dims;
  double eps = args.number("eps");
  if (!(eps > 0))
    return gen.error(args.loc("eps"))
           << "layer_norm expects a positive eps, got " << formatNumber(eps);
  auto type = RankedTensorType::get(xType.getShape().take_back(dims),
                                    xType.getElementType());
  std::string layer = gen.layerName("layer_norm", args.get("name"));
  Value ones, zeros;
  ones.kind = zeros.kind = Value::Kind::Initializer;
  ones.text = "ones";
  zeros.text = "zeros";
  FailureOr<mlir::Value> w =
      gen.makeParam(loc, layer, "weight", type, ones, type.getNumElements(), 1);
  if (failed(w))
    return failure();
  FailureOr<mlir::Value> b =
      gen.makeParam(loc, layer, "bias", type, zeros, type.getNumElements(), 1);
  if (failed(b))
    return failure();
  return Value::makeTensor(
      nn::LayerNormOp::create(gen.b(), loc, x, *w, *b,
                              gen.b().getF64FloatAttr(eps)),
      loc);
}

FailureOr<Value> dropoutHandler(Generator &gen, Location loc,
                                const Args &args) {
  double p = args.number("p");
  if (!(p >= 0 && p < 1))
    return gen.error(args.loc("p"))
           << "dropout expects a probability p in [0, 1), got "
           << formatNumber(p);
  int64_t seed = gen.nextDropoutSeed();
  if (args.has("seed"))
    seed = args.integer("seed");
  OpBuilder &b = gen.b();
  return Value::makeTensor(
      nn::DropoutOp::create(b, loc, args.tensor("x"), mlir::Value(),
                            mlir::Value(), b.getF64FloatAttr(p),
                            b.getI64IntegerAttr(seed), b.getUnitAttr()),
      loc);
}

FailureOr<Value> concatHandler(Generator &gen, Location loc, const Args &args) {
  SmallVector<mlir::Value> inputs;
  SmallVector<RankedTensorType> types;
  for (const Value &v : args.variadic) {
    inputs.push_back(v.tensor);
    types.push_back(v.type());
  }
  int64_t dim = args.integer("dim");
  FailureOr<RankedTensorType> type =
      gen.shape(loc, "concat", [&](const nn::ShapeDiag &d) {
        return nn::inferConcatType(d, types, dim);
      });
  if (failed(type))
    return failure();
  if (dim < 0)
    dim += types.front().getRank();
  return Value::makeTensor(nn::ConcatOp::create(gen.b(), loc, inputs, dim),
                           loc);
}

template <typename OpTy> Builtin pairwiseLoss(StringRef what) {
  return Builtin{
      BuiltinKind::Tensor,
      {{"input", K::FloatTensor}, {"target", K::FloatTensor}},
      [what](Generator &gen, Location loc,
             const Args &args) -> FailureOr<Value> {
        mlir::Value a = args.tensor("input"), t = args.tensor("target");
        FailureOr<RankedTensorType> type =
            gen.shape(loc, what, [&](const nn::ShapeDiag &d) {
              return nn::inferPairwiseLossType(
                  d, cast<RankedTensorType>(a.getType()),
                  cast<RankedTensorType>(t.getType()));
            });
        if (failed(type))
          return failure();
        return Value::makeTensor(OpTy::create(gen.b(), loc, a, t), loc);
      }};
}

FailureOr<Value> crossEntropyHandler(Generator &gen, Location loc,
                                     const Args &args) {
  mlir::Value logits = args.tensor("logits"), labels = args.tensor("labels");
  FailureOr<RankedTensorType> type =
      gen.shape(loc, "cross_entropy", [&](const nn::ShapeDiag &d) {
        return nn::inferCrossEntropyType(
            d, cast<RankedTensorType>(logits.getType()),
            cast<RankedTensorType>(labels.getType()));
      });
  if (failed(type))
    return failure();
  return Value::makeTensor(
      nn::CrossEntropyOp::create(gen.b(), loc, logits, labels), loc);
}

const llvm::StringMap<Builtin> &builtins() {
  static const llvm::StringMap<Builtin> table = [] {
    llvm::StringMap<Builtin> t;
    // Layers.
    t["dense"] = Builtin{BuiltinKind::Tensor,
                         {{"x", K::FloatTensor},
                          {"out", K::PositiveInteger},
                          {"bias", K::Bool, 1},
                          {"init", K::Initializer, std::nullopt, "torch"},
                          {"bias_init", K::Initializer, std::nullopt, "torch"},
                          {"name", K::String, std::nullopt, nullptr, true}},
                         denseHandler};
    // Activations and elementwise functions.
    t["relu"] = unary<nn::ReluOp>();
    t["sigmoid"] = unary<nn::SigmoidOp>();
    t["tanh"] = unary<nn::TanhOp>();
    t["silu"] = unary<nn::SiluOp>();
    t["exp"] = unary<nn::ExpOp>();
    t["log"] = unary<nn::LogOp>();
    t["sqrt"] = unary<nn::SqrtOp>();
    t["leaky_relu"] =
        Builtin{BuiltinKind::Tensor,
                {{"x", K::FloatTensor}, {"slope", K::Number, 0.01}},
                [](Generator &gen, Location loc, const Args &args) {
                  return FailureOr<Value>(Value::makeTensor(
                      nn::LeakyReluOp::create(
                          gen.b(), loc, args.tensor("x"),
                          gen.b().getF64FloatAttr(args.number("slope"))),
                      loc));
                }};
    t["gelu"] = Builtin{
        BuiltinKind::Tensor,
        {{"x", K::FloatTensor},
         {"approximate", K::String, std::nullopt, "none"}},
        [](Generator &gen, Location loc, const Args &args) -> FailureOr<Value> {
          StringRef mode = args.string("approximate");
          if (mode != "none" && mode != "tanh")
            return gen.error(args.loc("approximate"))
                   << "gelu expects approximate \"none\" or \"tanh\", got \""
                   << mode << "\"";
          return Value::makeTensor(
              nn::GeluOp::create(gen.b(), loc, args.tensor("x"),
                                 mode == "tanh" ? gen.b().getUnitAttr()
                                                : UnitAttr()),
              loc);
        }};
    t["softplus"] = Builtin{
        BuiltinKind::Tensor,
        {{"x", K::FloatTensor},
         {"beta", K::Number, 1.0},
         {"threshold", K::Number, 20.0}},
        [](Generator &gen, Location loc, const Args &args) -> FailureOr<Value> {
          if (args.number("beta") <= 0)
            return gen.error(args.loc("beta"))
                   << "softplus expects a positive beta, got "
                   << formatNumber(args.number("beta"));
          return Value::makeTensor(
              nn::SoftplusOp::create(
                  gen.b(), loc, args.tensor("x"),
                  gen.b().getF64FloatAttr(args.number("beta")),
                  gen.b().getF64FloatAttr(args.number("threshold"))),
              loc);
        }};
    t["elu"] = Builtin{
        BuiltinKind::Tensor,
        {{"x", K::FloatTensor}, {"alpha", K::Number, 1.0}},
        [](Generator &gen, Location loc, const Args &args) {
          return FailureOr<Value>(Value::makeTensor(
              nn::EluOp::create(gen.b(), loc, args.tensor("x"),
                                gen.b().getF64FloatAttr(args.number("alpha"))),
              loc));
        }};
    t["softmax"] = softmaxLike<nn::SoftmaxOp>("softmax");
    t["log_softmax"] = softmaxLike<nn::LogSoftmaxOp>("log_softmax");
    // Linear algebra and shapes.
    t["matmul"] = Builtin{BuiltinKind::Tensor,
                          {{"a", K::FloatTensor},
                           {"b", K::FloatTensor},
                           {"transpose_a", K::Bool, 0},
                           {"transpose_b", K::Bool, 0}},
                          matmulHandler};
    t["transpose"] =
        Builtin{BuiltinKind::Tensor,
                {{"x", K::FloatTensor},
                 {"perm", K::Dims, std::nullopt, nullptr, /*optional=*/true}},
                transposeHandler};
    t["reshape"] = Builtin{BuiltinKind::Tensor,
                           {{"x", K::AnyTensor}, {"shape", K::Dims}},
                           reshapeHandler};
    t["flatten"] = Builtin{BuiltinKind::Tensor,
                           {{"x", K::AnyTensor}, {"start_dim", K::Integer, 1}},
                           flattenHandler};
    t["conv2d"] = Builtin{BuiltinKind::Tensor,
                          {{"x", K::FloatTensor},
                           {"out", K::PositiveInteger},
                           {"kernel", K::Dims},
                           {"stride", K::Dims, 1},
                           {"padding", K::Padding, 0},
                           {"dilation", K::Dims, 1},
                           {"groups", K::PositiveInteger, 1},
                           {"bias", K::Bool, 1},
                           {"init", K::Initializer, std::nullopt, "torch"},
                           {"bias_init", K::Initializer, std::nullopt, "torch"},
                           {"name", K::String, std::nullopt, nullptr, true}},
                          conv2dHandler};
    t["batch_norm"] =
        Builtin{BuiltinKind::Tensor,
                {{"x", K::FloatTensor},
                 {"momentum", K::Number, 0.1},
                 {"eps", K::Number, 1e-5},
                 {"name", K::String, std::nullopt, nullptr, true}},
                batchNormHandler};
    t["layer_norm"] =
        Builtin{BuiltinKind::Tensor,
                {{"x", K::FloatTensor},
                 {"dims", K::PositiveInteger, 1},
                 {"eps", K::Number, 1e-5},
                 {"name", K::String, std::nullopt, nullptr, true}},
                layerNormHandler};
    t["dropout"] = Builtin{BuiltinKind::Tensor,
                           {{"x", K::FloatTensor},
                            {"p", K::Number, 0.5},
                            {"seed", K::Integer, std::nullopt, nullptr, true}},
                           dropoutHandler};
    t["max_pool2d"] = pool2d<nn::MaxPool2dOp>("max_pool2d");
    t["avg_pool2d"] = pool2d<nn::AvgPool2dOp>("avg_pool2d");
    t["global_avg_pool"] = Builtin{
        BuiltinKind::Tensor, {{"x", K::FloatTensor}}, globalAvgPoolHandler};
    t["concat"] = Builtin{BuiltinKind::Tensor,
                          {{"x", K::FloatTensor}, {"dim", K::Integer, -1}},
                          concatHandler,
                          /*variadicTensors=*/true};
    t["sum"] = reduction<nn::SumOp>("sum");
    t["mean"] = reduction<nn::MeanOp>("mean");
    // Losses.
    t["cross_entropy"] =
        Builtin{BuiltinKind::Tensor,
                {{"logits", K::FloatTensor}, {"labels", K::AnyTensor}},
                crossEntropyHandler};
    t["mse"] = pairwiseLoss<nn::MseOp>("mse");
    t["bce_with_logits"] = pairwiseLoss<nn::BceWithLogitsOp>("bce_with_logits");
    // Initializers.
    std::vector<ParamSpec> kaiming = {
        {"mode", K::String, std::nullopt, "fan_in"}, {"a", K::Number, 0.0}};
    for (const char *name :
         {"he", "he_normal", "kaiming_normal", "he_uniform", "kaiming_uniform"})
      t[name] = initializer(kaiming);
    for (const char *name :
         {"glorot", "glorot_uniform", "xavier", "xavier_uniform",
          "glorot_normal", "xavier_normal"})
      t[name] = initializer({{"gain", K::Number, 1.0}}, {"gain"});
    for (const char *name : {"lecun", "lecun_normal", "lecun_uniform", "torch",
                             "default", "zeros", "ones"})
      t[name] = initializer({});
    t["normal"] = initializer(
        {{"std", K::Number, 1.0}, {"mean", K::Number, 0.0}}, {"std"});
    t["truncated_normal"] = initializer(
        {{"std", K::Number, 1.0}, {"mean", K::Number, 0.0}}, {"std"});
    t["uniform"] = initializer({{"a", K::Number, 1.0}}, {"a"});
    t["constant"] = initializer({{"value", K::Number}});
    // Optimizers, with PyTorch's defaults.
    t["sgd"] = optimizer(
        {{"lr", K::Number},
         {"momentum", K::Number, 0.0},
         {"dampening", K::Number, 0.0},
         {"nesterov", K::Bool, 0},
         {"weight_decay", K::Number, 0.0}},
        [](Generator &gen, const Args &args) -> LogicalResult {
          if (args.number("momentum") < 0)
            return gen.error(args.loc("momentum"))
                   << "expects a non-negative momentum, got "
                   << formatNumber(args.number("momentum"));
          if (args.number("weight_decay") < 0)
            return gen.error(args.loc("weight_decay"))
                   << "expects a non-negative weight_decay, got "
                   << formatNumber(args.number("weight_decay"));
          if (args.boolean("nesterov") &&
              (args.number("momentum") <= 0 || args.number("dampening") != 0))
            return gen.error(args.loc("nesterov"))
                   << "nesterov momentum requires a positive momentum and "
                      "zero dampening";
          return success();
        });
    std::vector<ParamSpec> adam = {{"lr", K::Number, 1e-3},
                                   {"beta1", K::Number, 0.9},
                                   {"beta2", K::Number, 0.999},
                                   {"eps", K::Number, 1e-8},
                                   {"weight_decay", K::Number, 0.0}};
    t["adam"] = optimizer(adam, checkAdam);
    adam.back().number = 0.01;
    t["adamw"] = optimizer(adam, checkAdam);
    return t;
  }();
  return table;
}

} // namespace

OwningOpRef<ModuleOp> nnc::frontend::generateModule(MLIRContext *context,
                                                    const File &file) {
  context->loadDialect<nn::NNDialect, func::FuncDialect>();
  return Generator(context).run(file);
}

OwningOpRef<ModuleOp> nnc::frontend::importModelFile(MLIRContext *context,
                                                     StringRef filename,
                                                     StringRef buffer) {
  std::unique_ptr<File> file = parseFile(context, filename, buffer);
  if (!file)
    return nullptr;
  return generateModule(context, *file);
}
