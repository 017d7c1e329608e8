//===- Lexer.h - Tokens of the nnc model language ---------------*- C++ -*-===//
//
// Splits a `.nn` model file into tokens, each with its line and column.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_FRONTEND_LEXER_H
#define NNC_COMPILER_FRONTEND_LEXER_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace nnc::frontend {

/// The kinds of token of the model language.
enum class TokenKind {
  Eof,
  Error, ///< A lexical error; the lexer has already reported it.
  Identifier,
  Integer,
  Float,
  String,
  // Keywords.
  KwModel,
  KwBlock,
  KwTrain,
  KwInput,
  KwLabel,
  KwOutput,
  KwRepeat,
  KwAs,
  KwReturn,
  // Punctuation.
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Equal,
  Plus,
  Minus,
  Star,
  Slash,
};

/// Returns how a token kind is spelled in messages (`'{'`, `identifier`).
llvm::StringRef spell(TokenKind kind);

/// One token: its kind, its text, its value for literals, its location.
struct Token {
  TokenKind kind = TokenKind::Eof;
  llvm::StringRef text;
  double number = 0;       ///< Value of Integer and Float tokens.
  std::string stringValue; ///< Contents of String tokens; Error messages.
  mlir::LocationAttr loc;
};

/// A hand-written lexer over one buffer. `#` starts a comment that runs to the
/// end of the line. A lexical error yields an Error token carrying its
/// message; the parser reports it when it reaches the token, so that errors
/// come out in source order.
class Lexer {
public:
  /// Lexes `buffer`, naming locations after `filename`.
  Lexer(mlir::MLIRContext *context, llvm::StringRef filename,
        llvm::StringRef buffer);

  /// Returns the next token.
  Token next();

  /// Returns the location of the start of the buffer.
  mlir::LocationAttr startLoc() const {
    return mlir::FileLineColLoc::get(filename, 1, 1);
  }

private:
  mlir::LocationAttr locAt(const char *p) const;
  Token make(TokenKind kind, const char *start);
  Token error(const char *at, const llvm::Twine &message);
  Token lexNumber(const char *start);
  Token lexString(const char *start);

  mlir::StringAttr filename;
  llvm::StringRef buffer;
  const char *pos;
  unsigned line = 1;
  const char *lineStart;
};

} // namespace nnc::frontend

#endif // NNC_COMPILER_FRONTEND_LEXER_H
