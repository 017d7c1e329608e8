//===- NNDialect.cpp - The nn dialect -------------------------------------===//

#include "dialects/NN/IR/NNDialect.h"
#include "dialects/NN/IR/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::nn;

#include "dialects/NN/IR/NNDialect.cpp.inc"
#include "dialects/NN/IR/NNEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/NN/IR/NNAttrs.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/NN/IR/NNOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/NN/IR/NNAttrs.cpp.inc"
      >();
}

Operation *NNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

//===----------------------------------------------------------------------===//
// InitAttr
//===----------------------------------------------------------------------===//

namespace mlir::nn {

/// Parses `kind(a, b)` or `constant(v)`: the body shared by `#nn.init<...>`
/// and the `init = ...` clause of `nn.param`.
ParseResult parseInitBody(AsmParser &parser, InitAttr &attr) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<InitKind> kind = symbolizeInitKind(keyword);
  if (!kind)
    return parser.emitError(loc)
           << "expects an initializer kind (normal, uniform, "
              "truncated_normal or constant), got '"
           << keyword << "'";
  double a = 0, b = 0;
  if (parser.parseLParen() || parser.parseFloat(a))
    return failure();
  if (*kind != InitKind::Constant &&
      (parser.parseComma() || parser.parseFloat(b)))
    return failure();
  if (parser.parseRParen())
    return failure();
  attr = InitAttr::getChecked([&] { return parser.emitError(loc); },
                              parser.getContext(), *kind, llvm::APFloat(a),
                              llvm::APFloat(b));
  return success(static_cast<bool>(attr));
}

/// Prints the body parsed by `parseInitBody`.
void printInitBody(AsmPrinter &printer, InitAttr attr) {
  printer << stringifyInitKind(attr.getKind()) << "(";
  printer.printFloat(attr.getA());
  if (attr.getKind() != InitKind::Constant) {
    printer << ", ";
    printer.printFloat(attr.getB());
  }
  printer << ")";
}

} // namespace mlir::nn

Attribute InitAttr::parse(AsmParser &parser, Type) {
  InitAttr attr;
  if (parser.parseLess() || parseInitBody(parser, attr) ||
      parser.parseGreater())
    return {};
  return attr;
}

void InitAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printInitBody(printer, *this);
  printer << ">";
}

LogicalResult InitAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               InitKind kind, llvm::APFloat aValue,
                               llvm::APFloat bValue) {
  double a = aValue.convertToDouble(), b = bValue.convertToDouble();
  switch (kind) {
  case InitKind::Normal:
  case InitKind::TruncatedNormal:
    if (!(b >= 0))
      return emitError() << "expects a non-negative standard deviation, got "
                         << b;
    break;
  case InitKind::Uniform:
    if (!(a <= b))
      return emitError() << "expects low <= high, got " << a << " and " << b;
    break;
  case InitKind::Constant:
    break;
  }
  return success();
}

double InitAttr::getMean() const {
  double a = getA().convertToDouble(), b = getB().convertToDouble();
  switch (getKind()) {
  case InitKind::Normal:
  case InitKind::TruncatedNormal:
  case InitKind::Constant:
    return a;
  case InitKind::Uniform:
    return (a + b) / 2;
  }
  llvm_unreachable("unknown init kind");
}

double InitAttr::getVariance() const {
  double a = getA().convertToDouble(), b = getB().convertToDouble();
  switch (getKind()) {
  case InitKind::Normal:
    return b * b;
  case InitKind::TruncatedNormal:
    // Truncation at two standard deviations keeps 77.4% of the variance.
    return 0.7737413 * b * b;
  case InitKind::Uniform:
    return (b - a) * (b - a) / 12;
  case InitKind::Constant:
    return 0;
  }
  llvm_unreachable("unknown init kind");
}
