//===- PkgConfig.cpp - The generated <model>.pc ---------------------------===//

#include "compiler/Target/LibraryInterface.h"
#include "compiler/Target/Template.h"

using namespace nnc;

static constexpr llvm::StringLiteral pkgConfigTemplate =
    R"(# lib{m}: the training library of the nnc model '{m}', written by
# nnc {version}. The paths are relative to this file, so the directory can move.
prefix=${{pcfiledir}}
libdir=${{prefix}}
includedir=${{prefix}}

Name: {m}
Description: Training step of the nnc model '{m}' (see {m}.h)
Version: {version}
Cflags: -I${{includedir}}
Libs: -L${{libdir}} -Wl,-rpath,${{libdir}} -l{m}
Libs.private: {private_libs}
)";

void nnc::emitPkgConfig(const LibraryInterface &lib, llvm::StringRef nncVersion,
                        llvm::raw_ostream &os) {
  // -l<m> links the shared library, found at run time through the rpath;
  // a static link (--static) also needs what the archive uses, which the
  // shared library records as its own dependencies.
  std::string privateLibs = "-lm";
  if (lib.openmp)
    privateLibs += " -lomp";
  if (lib.cuda)
    privateLibs += " -ldl";
  renderTo(os, pkgConfigTemplate, field("m", lib.model),
           field("version", nncVersion), field("private_libs", privateLibs));
}
