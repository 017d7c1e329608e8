//===- Install.cpp - Where nnc finds its own files ------------------------===//

#include "compiler/Driver/Install.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace llvm;

bool nnc::findRuntimeFiles(RuntimeFiles &files, std::string &error) {
  // Any address in this binary names it; argv[0] is not needed on the
  // systems nnc supports (/proc/self/exe).
  static int anchor;
  std::string exe = sys::fs::getMainExecutable(nullptr, &anchor);
  if (exe.empty()) {
    error = "cannot locate the running nnc executable";
    return false;
  }
  SmallString<256> root(exe);
  sys::path::remove_filename(root); // <root>/bin
  sys::path::remove_filename(root); // <root>
  auto under = [&](const Twine &a, const Twine &b = "", const Twine &c = "") {
    SmallString<256> path(root);
    sys::path::append(path, a, b, c);
    return std::string(path);
  };
  files.includeDir = under("include", "nnc");
  files.typesHeader = under("include", "nnc", "nnc_types.h");
  files.libraryDir = under("lib", "nnc");
  files.library = under("lib", "nnc", "libnnc_runtime.a");
  for (const std::string &needed : {files.library, files.typesHeader,
                                    under("include", "nnc", "nnc_runtime.h")}) {
    if (!sys::fs::exists(needed)) {
      error = "nnc's runtime is incomplete: no '" + needed +
              "' (reinstall nnc, or rebuild it)";
      return false;
    }
  }
  return true;
}
