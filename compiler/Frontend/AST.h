//===- AST.h - Syntax tree of the nnc model language ------------*- C++ -*-===//
//
// The syntax tree the parser builds and MLIRGen walks. Every node keeps the
// location of its first token.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_FRONTEND_AST_H
#define NNC_COMPILER_FRONTEND_AST_H

#include "mlir/IR/Location.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc::frontend {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// One argument of a call: positional when `name` is empty.
struct Arg {
  std::string name;
  mlir::LocationAttr nameLoc;
  ExprPtr value;
};

/// An expression.
struct Expr {
  enum class Kind {
    Number,     ///< `3`, `1e-3`
    String,     ///< `"tanh"`
    Identifier, ///< `h`, `relu`, `he`
    Call,       ///< `dense(h, 512, init = he)`
    Binary,     ///< `a + b`, `a - b`, `a * b`, `a / b`
    Negate,     ///< `-a`
    List,       ///< `[64, -1]`
  };
  Kind kind;
  mlir::LocationAttr loc;
  double number = 0;             ///< Number.
  bool isInteger = false;        ///< Number written without '.' or exponent.
  std::string text;              ///< String contents, identifier, callee.
  char op = 0;                   ///< Binary operator.
  std::vector<ExprPtr> operands; ///< Binary (2), Negate (1), List elements.
  std::vector<Arg> args;         ///< Call arguments, in source order.
};

/// An element type and a static shape: `f32[128, 784]`.
struct TypeSpec {
  std::string elementType;
  mlir::LocationAttr elementTypeLoc;
  std::vector<int64_t> shape;
  std::vector<mlir::LocationAttr> dimLocs;
};

struct Stmt;
using StmtList = std::vector<std::unique_ptr<Stmt>>;

/// A statement in a model or block body.
struct Stmt {
  enum class Kind {
    Input,  ///< `input x: f32[128, 784]`
    Label,  ///< `label y: i32[128]`
    Output, ///< `output logits, probs`
    Assign, ///< `h = relu(dense(x, 512))`
    Repeat, ///< `repeat 18 as stack { ... }`
  };
  Kind kind;
  mlir::LocationAttr loc;
  std::string name; ///< Input, Label, Assign target, Repeat's `as`.
  mlir::LocationAttr nameLoc;
  TypeSpec type; ///< Input, Label.
  /// Input: declared statistics, `(mean = 0.29, std = 0.35)`.
  std::vector<Arg> stats;
  ExprPtr value;                                                   ///< Assign.
  std::vector<std::pair<std::string, mlir::LocationAttr>> outputs; ///< Output.
  int64_t count = 0;                                               ///< Repeat.
  mlir::LocationAttr countLoc;
  StmtList body; ///< Repeat.
};

/// A parameter of a block definition, with an optional default.
struct BlockParam {
  std::string name;
  mlir::LocationAttr loc;
  ExprPtr defaultValue;
};

/// `block name(params) { body; return expr }`.
struct BlockDef {
  std::string name;
  mlir::LocationAttr loc;
  std::vector<BlockParam> params;
  StmtList body;
  ExprPtr result;
  mlir::LocationAttr returnLoc;
};

/// `model name { body }`.
struct ModelDef {
  std::string name;
  mlir::LocationAttr loc;
  StmtList body;
};

/// One `key = value` line of the `train` section.
struct TrainEntry {
  std::string key;
  mlir::LocationAttr loc;
  ExprPtr value;
};

/// `train { entries }`.
struct TrainDef {
  mlir::LocationAttr loc;
  std::vector<TrainEntry> entries;
};

/// A whole model file.
struct File {
  mlir::LocationAttr loc; ///< The start of the file.
  std::vector<std::unique_ptr<ModelDef>> models;
  std::vector<std::unique_ptr<BlockDef>> blocks;
  std::vector<std::unique_ptr<TrainDef>> trains;
};

} // namespace nnc::frontend

#endif // NNC_COMPILER_FRONTEND_AST_H
