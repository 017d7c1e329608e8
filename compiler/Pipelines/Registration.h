//===- Registration.h - Dialects and passes nnc uses ------------*- C++ -*-===//
//
// One place that lists every dialect, extension and pass nnc tools know.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_PIPELINES_REGISTRATION_H
#define NNC_COMPILER_PIPELINES_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace nnc {

/// Adds the `nn` dialect and every upstream dialect and interface extension
/// that nnc lowers through to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers every nnc pass and the upstream passes, for textual pipelines.
void registerAllPasses();

} // namespace nnc

#endif // NNC_COMPILER_PIPELINES_REGISTRATION_H
