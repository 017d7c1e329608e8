//===- Install.h - Where nnc finds its own files ----------------*- C++ -*-===//
//
// nnc compiles the C glue of every generated library against the runtime's
// headers and archives the runtime's objects into it. Both are found
// relative to the running `nnc`, in one layout that the build tree and an
// installed prefix share:
//
//   <root>/bin/nnc
//   <root>/include/nnc/nnc_types.h, nnc_runtime.h, nnc_gpu.h
//   <root>/lib/nnc/libnnc_runtime.a
//   <root>/lib/cmake/nnc/nncConfig.cmake
//
// so that an installed nnc works from any directory and names no path of the
// tree it was built in.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_DRIVER_INSTALL_H
#define NNC_COMPILER_DRIVER_INSTALL_H

#include <string>

namespace nnc {

/// The files of nnc's runtime that a library build needs.
struct RuntimeFiles {
  std::string includeDir;  ///< <root>/include/nnc
  std::string typesHeader; ///< <root>/include/nnc/nnc_types.h
  std::string libraryDir;  ///< <root>/lib/nnc
  std::string library;     ///< <root>/lib/nnc/libnnc_runtime.a
};

/// Finds the runtime next to the running executable. On failure, returns
/// false and sets `error` to what is missing.
bool findRuntimeFiles(RuntimeFiles &files, std::string &error);

} // namespace nnc

#endif // NNC_COMPILER_DRIVER_INSTALL_H
