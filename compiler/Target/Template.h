//===- Template.h - Generated text from templates ---------------*- C++ -*-===//
//
// nnc writes its C headers, C glue, pkg-config files and reports from
// templates that read like the files they produce: fmt format strings with
// named fields (`{model}_create`), where `{{` and `}}` are literal braces.
// Loops over tensors stay in C++ and fill fields; the text around them is
// the template.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_TARGET_TEMPLATE_H
#define NNC_COMPILER_TARGET_TEMPLATE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <string>

/// Lets fields take LLVM's strings.
template <>
struct fmt::formatter<llvm::StringRef> : fmt::formatter<fmt::string_view> {
  template <typename FormatContext>
  auto format(llvm::StringRef s, FormatContext &ctx) const {
    return fmt::formatter<fmt::string_view>::format(
        fmt::string_view(s.data(), s.size()), ctx);
  }
};

namespace nnc {

/// A named field of a template: `field("model", lib.model)`. It refers to
/// `value`, which must outlive the render call (temporaries in the call's
/// arguments do).
template <typename T> auto field(const char *name, const T &value) {
  return fmt::arg(name, value);
}

/// `text` with its fields filled from `fields` (made with `field`). Every
/// field a template names must be given: a missing one is a bug in nnc,
/// which fmt reports by aborting, and the tests render every template.
template <typename... Fields>
std::string render(llvm::StringRef text, const Fields &...fields) {
  return fmt::vformat(fmt::string_view(text.data(), text.size()),
                      fmt::make_format_args(fields...));
}

/// Writes `render(text, fields...)` to `os`.
template <typename... Fields>
void renderTo(llvm::raw_ostream &os, llvm::StringRef text,
              const Fields &...fields) {
  os << render(text, fields...);
}

} // namespace nnc

#endif // NNC_COMPILER_TARGET_TEMPLATE_H
