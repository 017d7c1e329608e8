//===- Glue.h - Pieces both generated glues share ---------------*- C++ -*-===//
//
// The C glue (<model>_api.c) implements the header's API over the compiled
// step functions: CGlue.cpp for the CPU, CUDAGlue.cpp for the GPU. These are
// the parts they share, each rendered from its template.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_TARGET_GLUE_H
#define NNC_COMPILER_TARGET_GLUE_H

#include "compiler/Target/LibraryInterface.h"

#include <string>

namespace nnc::glue {

/// Declares the compiled steps: one pointer per tensor (bare-pointer ABI),
/// the workspace, then `extra` (", void *" for the GPU context) if any.
std::string stepPrototypes(const LibraryInterface &lib, llvm::StringRef extra);

/// The parameters' shapes and `param_info`: name, type, shape and
/// initialization of each, for create() to walk.
std::string paramInfo(const LibraryInterface &lib);

/// `tensor_bytes`: the size of each of `tensors`, in order.
std::string tensorBytes(const std::vector<TensorInfo> &tensors);

/// `align64` and `set_error`, which both glues' create() use.
std::string helpers();

/// In create(): the learning rate, and each parameter's descriptor (its
/// data at the C expression `data`, in terms of `i`), initialized as the
/// model says.
std::string paramSetup(const LibraryInterface &lib, llvm::StringRef data);

/// `<m>_create`, which both glues define as `<m>_try_create` without the
/// reason.
std::string create(const LibraryInterface &lib);

/// The learning rate, step count and parameter list accessors (a GPU
/// build's parameters are its host copy).
std::string stateAccessors(const LibraryInterface &lib);

/// `<m>_last_error` and, with `--instrument=grad-stats`, the gradient RMS
/// accessors.
std::string diagnosticAccessors(const LibraryInterface &lib);

/// `  double grad_rms[N];` for the state struct with grad-stats, else "".
std::string gradRMSField(const LibraryInterface &lib);

/// The GPU build's glue (CUDAGlue.cpp).
void emitCUDAGlue(const LibraryInterface &lib, llvm::raw_ostream &os);

} // namespace nnc::glue

#endif // NNC_COMPILER_TARGET_GLUE_H
