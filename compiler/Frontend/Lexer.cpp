//===- Lexer.cpp - Tokens of the nnc model language -----------------------===//

#include "compiler/Frontend/Lexer.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <cerrno>
#include <cstdlib>

using namespace nnc::frontend;

llvm::StringRef nnc::frontend::spell(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Error:
    return "invalid token";
  case TokenKind::Identifier:
    return "identifier";
  case TokenKind::Integer:
    return "integer";
  case TokenKind::Float:
    return "number";
  case TokenKind::String:
    return "string";
  case TokenKind::KwModel:
    return "'model'";
  case TokenKind::KwBlock:
    return "'block'";
  case TokenKind::KwTrain:
    return "'train'";
  case TokenKind::KwInput:
    return "'input'";
  case TokenKind::KwLabel:
    return "'label'";
  case TokenKind::KwOutput:
    return "'output'";
  case TokenKind::KwRepeat:
    return "'repeat'";
  case TokenKind::KwAs:
    return "'as'";
  case TokenKind::KwReturn:
    return "'return'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::Plus:
    return "'+'";
  case TokenKind::Minus:
    return "'-'";
  case TokenKind::Star:
    return "'*'";
  case TokenKind::Slash:
    return "'/'";
  }
  return "token";
}

Lexer::Lexer(mlir::MLIRContext *context, llvm::StringRef filename,
             llvm::StringRef buffer)
    : filename(mlir::StringAttr::get(context, filename)), buffer(buffer),
      pos(buffer.begin()), lineStart(buffer.begin()) {}

mlir::LocationAttr Lexer::locAt(const char *p) const {
  return mlir::FileLineColLoc::get(filename, line,
                                   static_cast<unsigned>(p - lineStart) + 1);
}

Token Lexer::make(TokenKind kind, const char *start) {
  Token tok;
  tok.kind = kind;
  tok.text = llvm::StringRef(start, pos - start);
  tok.loc = locAt(start);
  return tok;
}

Token Lexer::error(const char *at, const llvm::Twine &message) {
  Token tok = make(TokenKind::Error, at);
  tok.stringValue = message.str();
  pos = buffer.end();
  return tok;
}

Token Lexer::next() {
  // Skip whitespace and comments, tracking lines for locations.
  while (pos != buffer.end()) {
    char c = *pos;
    if (c == '\n') {
      ++pos;
      ++line;
      lineStart = pos;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++pos;
    } else if (c == '#') {
      while (pos != buffer.end() && *pos != '\n')
        ++pos;
    } else {
      break;
    }
  }
  const char *start = pos;
  if (pos == buffer.end())
    return make(TokenKind::Eof, start);

  char c = *pos++;
  if (llvm::isAlpha(c) || c == '_') {
    while (pos != buffer.end() && (llvm::isAlnum(*pos) || *pos == '_'))
      ++pos;
    llvm::StringRef text(start, pos - start);
    TokenKind kind = llvm::StringSwitch<TokenKind>(text)
                         .Case("model", TokenKind::KwModel)
                         .Case("block", TokenKind::KwBlock)
                         .Case("train", TokenKind::KwTrain)
                         .Case("input", TokenKind::KwInput)
                         .Case("label", TokenKind::KwLabel)
                         .Case("output", TokenKind::KwOutput)
                         .Case("repeat", TokenKind::KwRepeat)
                         .Case("as", TokenKind::KwAs)
                         .Case("return", TokenKind::KwReturn)
                         .Default(TokenKind::Identifier);
    return make(kind, start);
  }
  if (llvm::isDigit(c) ||
      (c == '.' && pos != buffer.end() && llvm::isDigit(*pos)))
    return lexNumber(start);

  switch (c) {
  case '"':
    return lexString(start);
  case '{':
    return make(TokenKind::LBrace, start);
  case '}':
    return make(TokenKind::RBrace, start);
  case '(':
    return make(TokenKind::LParen, start);
  case ')':
    return make(TokenKind::RParen, start);
  case '[':
    return make(TokenKind::LBracket, start);
  case ']':
    return make(TokenKind::RBracket, start);
  case ',':
    return make(TokenKind::Comma, start);
  case ':':
    return make(TokenKind::Colon, start);
  case '=':
    return make(TokenKind::Equal, start);
  case '+':
    return make(TokenKind::Plus, start);
  case '-':
    return make(TokenKind::Minus, start);
  case '*':
    return make(TokenKind::Star, start);
  case '/':
    return make(TokenKind::Slash, start);
  default:
    break;
  }
  if (llvm::isPrint(c))
    return error(start,
                 llvm::Twine("unexpected character '") + llvm::Twine(c) + "'");
  return error(start, "unexpected byte 0x" +
                          llvm::utohexstr(static_cast<unsigned char>(c)) +
                          " (model files are ASCII text)");
}

Token Lexer::lexNumber(const char *start) {
  // A number may start with its decimal point: `.5`.
  bool isFloat = *start == '.';
  auto digits = [&] {
    while (pos != buffer.end() && llvm::isDigit(*pos))
      ++pos;
  };
  digits();
  if (pos != buffer.end() && *pos == '.') {
    isFloat = true;
    ++pos;
    digits();
  }
  if (pos != buffer.end() && (*pos == 'e' || *pos == 'E')) {
    isFloat = true;
    ++pos;
    if (pos != buffer.end() && (*pos == '+' || *pos == '-'))
      ++pos;
    if (pos == buffer.end() || !llvm::isDigit(*pos))
      return error(start, "expects digits in the exponent of '" +
                              llvm::StringRef(start, pos - start) + "'");
    digits();
  }
  if (pos != buffer.end() && (llvm::isAlpha(*pos) || *pos == '_'))
    return error(start,
                 "expects an operator or a separator after the number '" +
                     llvm::StringRef(start, pos - start) + "', got '" +
                     llvm::Twine(*pos) + "'");
  Token tok = make(isFloat ? TokenKind::Float : TokenKind::Integer, start);
  std::string text = tok.text.str();
  errno = 0;
  tok.number = std::strtod(text.c_str(), nullptr);
  // Integers must be exact in a double: at most 2^53.
  uint64_t exact = 0;
  if (errno == ERANGE || (!isFloat && (tok.text.getAsInteger(10, exact) ||
                                       exact > (uint64_t(1) << 53))))
    return error(start, "number '" + text + "' is out of range");
  return tok;
}

Token Lexer::lexString(const char *start) {
  std::string value;
  while (pos != buffer.end() && *pos != '"' && *pos != '\n')
    value.push_back(*pos++);
  if (pos == buffer.end() || *pos != '"')
    return error(start, "unterminated string");
  ++pos;
  Token tok = make(TokenKind::String, start);
  tok.stringValue = std::move(value);
  return tok;
}
