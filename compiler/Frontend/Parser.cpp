//===- Parser.cpp - Parser of the nnc model language ----------------------===//

#include "compiler/Frontend/Parser.h"
#include "compiler/Frontend/Lexer.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/ScopeExit.h"

using namespace nnc::frontend;
using mlir::failure;
using mlir::FailureOr;
using mlir::LogicalResult;
using mlir::success;

namespace {

/// Recursive descent with one token of lookahead (two for `name =` in
/// argument lists). Stops at the first error.
class Parser {
public:
  Parser(mlir::MLIRContext *context, llvm::StringRef filename,
         llvm::StringRef buffer)
      : lexer(context, filename, buffer) {
    tok = lexer.next();
    peeked = lexer.next();
  }

  std::unique_ptr<File> parseFile();

private:
  void consume() {
    tok = std::move(peeked);
    peeked = tok.kind == TokenKind::Eof || tok.kind == TokenKind::Error
                 ? Token{TokenKind::Eof, {}, 0, {}, tok.loc}
                 : lexer.next();
  }
  bool is(TokenKind kind) const { return tok.kind == kind; }

  /// Reports "expects X, got Y" at the current token.
  LogicalResult expected(const llvm::Twine &what) {
    if (is(TokenKind::Error)) {
      mlir::emitError(tok.loc) << tok.stringValue;
      return failure();
    }
    mlir::InFlightDiagnostic diag = mlir::emitError(tok.loc)
                                    << "expects " << what << ", got ";
    if (is(TokenKind::Eof))
      diag << "end of file";
    else
      diag << "'" << tok.text << "'";
    return failure();
  }
  LogicalResult expect(TokenKind kind, const llvm::Twine &context = "") {
    if (!is(kind))
      return expected(context.isTriviallyEmpty()
                          ? llvm::Twine(spell(kind))
                          : llvm::Twine(spell(kind)) + " " + context);
    consume();
    return success();
  }
  LogicalResult parseIdentifier(std::string &name, mlir::LocationAttr &loc,
                                const llvm::Twine &what) {
    if (!is(TokenKind::Identifier))
      return expected(what);
    name = tok.text.str();
    loc = tok.loc;
    consume();
    return success();
  }

  std::unique_ptr<ModelDef> parseModel();
  std::unique_ptr<BlockDef> parseBlock();
  std::unique_ptr<TrainDef> parseTrain();
  LogicalResult parseBody(StmtList &body, bool inBlock);
  std::unique_ptr<Stmt> parseStmt();
  LogicalResult parseType(TypeSpec &type);
  ExprPtr parseExpr();
  ExprPtr parseTerm();
  ExprPtr parseUnary();
  ExprPtr parsePrimary();

  Lexer lexer;
  Token tok, peeked;
  unsigned depth = 0;     ///< Expression nesting.
  unsigned bodyDepth = 0; ///< Statement-body nesting.
};

} // namespace

std::unique_ptr<File> Parser::parseFile() {
  auto file = std::make_unique<File>();
  file->loc = lexer.startLoc();
  while (!is(TokenKind::Eof)) {
    switch (tok.kind) {
    case TokenKind::KwModel:
      if (auto model = parseModel())
        file->models.push_back(std::move(model));
      else
        return nullptr;
      break;
    case TokenKind::KwBlock:
      if (auto block = parseBlock())
        file->blocks.push_back(std::move(block));
      else
        return nullptr;
      break;
    case TokenKind::KwTrain:
      if (auto train = parseTrain())
        file->trains.push_back(std::move(train));
      else
        return nullptr;
      break;
    default:
      (void)expected("'model', 'block' or 'train' at the top level");
      return nullptr;
    }
  }
  return file;
}

std::unique_ptr<ModelDef> Parser::parseModel() {
  auto model = std::make_unique<ModelDef>();
  model->loc = tok.loc;
  consume();
  if (failed(parseIdentifier(model->name, model->loc, "a model name")) ||
      failed(expect(TokenKind::LBrace, "after the model name")) ||
      failed(parseBody(model->body, /*inBlock=*/false)))
    return nullptr;
  return model;
}

std::unique_ptr<BlockDef> Parser::parseBlock() {
  auto block = std::make_unique<BlockDef>();
  block->loc = tok.loc;
  consume();
  if (failed(parseIdentifier(block->name, block->loc, "a block name")) ||
      failed(expect(TokenKind::LParen, "after the block name")))
    return nullptr;
  while (!is(TokenKind::RParen)) {
    BlockParam param;
    if (failed(parseIdentifier(param.name, param.loc, "a parameter name")))
      return nullptr;
    if (is(TokenKind::Equal)) {
      consume();
      if (!(param.defaultValue = parseExpr()))
        return nullptr;
    }
    block->params.push_back(std::move(param));
    if (!is(TokenKind::Comma))
      break;
    consume();
  }
  if (failed(expect(TokenKind::RParen, "to close the parameter list")) ||
      failed(expect(TokenKind::LBrace, "to open the block body")))
    return nullptr;
  // The body ends with `return expr`, then '}'.
  while (!is(TokenKind::KwReturn)) {
    if (is(TokenKind::RBrace)) {
      mlir::emitError(tok.loc)
          << "expects 'return' before the end of block '" << block->name << "'";
      return nullptr;
    }
    auto stmt = parseStmt();
    if (!stmt)
      return nullptr;
    block->body.push_back(std::move(stmt));
  }
  block->returnLoc = tok.loc;
  consume();
  if (!(block->result = parseExpr()) ||
      failed(expect(TokenKind::RBrace, "after the return value")))
    return nullptr;
  return block;
}

std::unique_ptr<TrainDef> Parser::parseTrain() {
  auto train = std::make_unique<TrainDef>();
  train->loc = tok.loc;
  consume();
  if (failed(expect(TokenKind::LBrace, "after 'train'")))
    return nullptr;
  while (!is(TokenKind::RBrace)) {
    TrainEntry entry;
    if (failed(parseIdentifier(entry.key, entry.loc,
                               "a training setting or '}'")) ||
        failed(expect(TokenKind::Equal, "after the setting name")))
      return nullptr;
    if (!(entry.value = parseExpr()))
      return nullptr;
    train->entries.push_back(std::move(entry));
  }
  consume();
  return train;
}

LogicalResult Parser::parseBody(StmtList &body, bool inBlock) {
  // Bounded nesting keeps pathological inputs from exhausting the stack.
  if (++bodyDepth > 256) {
    mlir::emitError(tok.loc) << "statements nest deeper than 256 levels";
    return failure();
  }
  auto restore = llvm::scope_exit([&] { --bodyDepth; });
  while (!is(TokenKind::RBrace)) {
    if (is(TokenKind::Eof))
      return expected("'}'");
    auto stmt = parseStmt();
    if (!stmt)
      return failure();
    body.push_back(std::move(stmt));
  }
  consume();
  return success();
}

std::unique_ptr<Stmt> Parser::parseStmt() {
  auto stmt = std::make_unique<Stmt>();
  stmt->loc = tok.loc;
  switch (tok.kind) {
  case TokenKind::KwInput:
  case TokenKind::KwLabel: {
    stmt->kind = is(TokenKind::KwInput) ? Stmt::Kind::Input : Stmt::Kind::Label;
    consume();
    if (failed(parseIdentifier(stmt->name, stmt->nameLoc, "a name")) ||
        failed(expect(TokenKind::Colon, "and a type after the name")) ||
        failed(parseType(stmt->type)))
      return nullptr;
    // Optional statistics of an input: `(mean = 0.29, std = 0.35)`.
    if (stmt->kind == Stmt::Kind::Input && is(TokenKind::LParen)) {
      consume();
      do {
        Arg arg;
        if (failed(parseIdentifier(arg.name, arg.nameLoc,
                                   "a statistic (mean or std)")) ||
            failed(expect(TokenKind::Equal, "after the statistic's name")) ||
            !(arg.value = parseExpr()))
          return nullptr;
        stmt->stats.push_back(std::move(arg));
        if (!is(TokenKind::Comma))
          break;
        consume();
      } while (true);
      if (failed(expect(TokenKind::RParen, "to close the input statistics")))
        return nullptr;
    }
    return stmt;
  }
  case TokenKind::KwOutput: {
    stmt->kind = Stmt::Kind::Output;
    consume();
    do {
      std::string name;
      mlir::LocationAttr loc;
      if (failed(parseIdentifier(name, loc, "the name of a value")))
        return nullptr;
      stmt->outputs.emplace_back(std::move(name), loc);
      if (!is(TokenKind::Comma))
        break;
      consume();
    } while (true);
    return stmt;
  }
  case TokenKind::KwRepeat: {
    stmt->kind = Stmt::Kind::Repeat;
    consume();
    if (!is(TokenKind::Integer))
      return (void)expected("a repeat count"), nullptr;
    stmt->count = static_cast<int64_t>(tok.number);
    stmt->countLoc = tok.loc;
    consume();
    if (is(TokenKind::KwAs)) {
      consume();
      if (failed(
              parseIdentifier(stmt->name, stmt->nameLoc, "a name after 'as'")))
        return nullptr;
    }
    if (failed(expect(TokenKind::LBrace, "to open the repeated body")) ||
        failed(parseBody(stmt->body, /*inBlock=*/false)))
      return nullptr;
    return stmt;
  }
  case TokenKind::Identifier: {
    stmt->kind = Stmt::Kind::Assign;
    stmt->name = tok.text.str();
    stmt->nameLoc = tok.loc;
    consume();
    if (failed(expect(TokenKind::Equal, "after '" + stmt->name + "'")))
      return nullptr;
    if (!(stmt->value = parseExpr()))
      return nullptr;
    return stmt;
  }
  default:
    return (void)expected("a statement (input, label, output, repeat or "
                          "'name = expression')"),
           nullptr;
  }
}

LogicalResult Parser::parseType(TypeSpec &type) {
  if (failed(parseIdentifier(type.elementType, type.elementTypeLoc,
                             "an element type such as f32")) ||
      failed(expect(TokenKind::LBracket, "after the element type")))
    return failure();
  while (!is(TokenKind::RBracket)) {
    if (!is(TokenKind::Integer))
      return expected("a dimension size");
    type.shape.push_back(static_cast<int64_t>(tok.number));
    type.dimLocs.push_back(tok.loc);
    consume();
    if (!is(TokenKind::Comma))
      break;
    consume();
  }
  return expect(TokenKind::RBracket, "to close the shape");
}

ExprPtr Parser::parseExpr() {
  // Bounded nesting keeps pathological inputs from exhausting the stack.
  if (++depth > 256) {
    mlir::emitError(tok.loc) << "expression nests deeper than 256 levels";
    return nullptr;
  }
  ExprPtr lhs = parseTerm();
  while (lhs && (is(TokenKind::Plus) || is(TokenKind::Minus))) {
    auto bin = std::make_unique<Expr>();
    bin->kind = Expr::Kind::Binary;
    bin->op = tok.text[0];
    bin->loc = tok.loc;
    consume();
    ExprPtr rhs = parseTerm();
    if (!rhs)
      return nullptr;
    bin->operands.push_back(std::move(lhs));
    bin->operands.push_back(std::move(rhs));
    lhs = std::move(bin);
  }
  --depth;
  return lhs;
}

ExprPtr Parser::parseTerm() {
  ExprPtr lhs = parseUnary();
  while (lhs && (is(TokenKind::Star) || is(TokenKind::Slash))) {
    auto bin = std::make_unique<Expr>();
    bin->kind = Expr::Kind::Binary;
    bin->op = tok.text[0];
    bin->loc = tok.loc;
    consume();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    bin->operands.push_back(std::move(lhs));
    bin->operands.push_back(std::move(rhs));
    lhs = std::move(bin);
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (!is(TokenKind::Minus))
    return parsePrimary();
  auto neg = std::make_unique<Expr>();
  neg->kind = Expr::Kind::Negate;
  neg->loc = tok.loc;
  consume();
  if (++depth > 256) {
    mlir::emitError(tok.loc) << "expression nests deeper than 256 levels";
    return nullptr;
  }
  ExprPtr operand = parseUnary();
  --depth;
  if (!operand)
    return nullptr;
  neg->operands.push_back(std::move(operand));
  return neg;
}

ExprPtr Parser::parsePrimary() {
  auto expr = std::make_unique<Expr>();
  expr->loc = tok.loc;
  switch (tok.kind) {
  case TokenKind::Integer:
  case TokenKind::Float:
    expr->kind = Expr::Kind::Number;
    expr->number = tok.number;
    expr->isInteger = is(TokenKind::Integer);
    consume();
    return expr;
  case TokenKind::String:
    expr->kind = Expr::Kind::String;
    expr->text = tok.stringValue;
    consume();
    return expr;
  case TokenKind::LParen: {
    consume();
    ExprPtr inner = parseExpr();
    if (!inner || failed(expect(TokenKind::RParen, "to close '('")))
      return nullptr;
    return inner;
  }
  case TokenKind::LBracket: {
    expr->kind = Expr::Kind::List;
    consume();
    while (!is(TokenKind::RBracket)) {
      ExprPtr element = parseExpr();
      if (!element)
        return nullptr;
      expr->operands.push_back(std::move(element));
      if (!is(TokenKind::Comma))
        break;
      consume();
    }
    if (failed(expect(TokenKind::RBracket, "to close the list")))
      return nullptr;
    return expr;
  }
  case TokenKind::Identifier: {
    expr->text = tok.text.str();
    consume();
    if (!is(TokenKind::LParen)) {
      expr->kind = Expr::Kind::Identifier;
      return expr;
    }
    expr->kind = Expr::Kind::Call;
    consume();
    while (!is(TokenKind::RParen)) {
      Arg arg;
      // `input`, `label` and `output` are keywords only at the start of a
      // statement; as argument names (mse(input = p)) they are plain names.
      bool nameLike = is(TokenKind::Identifier) || is(TokenKind::KwInput) ||
                      is(TokenKind::KwLabel) || is(TokenKind::KwOutput);
      if (nameLike && peeked.kind == TokenKind::Equal) {
        arg.name = tok.text.str();
        arg.nameLoc = tok.loc;
        consume();
        consume();
      }
      if (!(arg.value = parseExpr()))
        return nullptr;
      if (!arg.nameLoc)
        arg.nameLoc = arg.value->loc;
      expr->args.push_back(std::move(arg));
      if (!is(TokenKind::Comma))
        break;
      consume();
    }
    if (failed(expect(TokenKind::RParen,
                      "to close the argument list of '" + expr->text + "'")))
      return nullptr;
    return expr;
  }
  default:
    return (void)expected("an expression"), nullptr;
  }
}

std::unique_ptr<File> nnc::frontend::parseFile(mlir::MLIRContext *context,
                                               llvm::StringRef filename,
                                               llvm::StringRef buffer) {
  return Parser(context, filename, buffer).parseFile();
}
