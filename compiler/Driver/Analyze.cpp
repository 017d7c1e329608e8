//===- Analyze.cpp - Gradient-flow checks and reports ---------------------===//

#include "compiler/Driver/Analyze.h"
#include "compiler/Driver/DataSet.h"

#include "nnc_runtime.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace nnc;

std::string nnc::locationText(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + llvm::Twine(file.getLine()) +
            ":" + llvm::Twine(file.getColumn()))
        .str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (isa<FileLineColLoc>(inner))
        return locationText(inner);
  if (auto name = dyn_cast<NameLoc>(loc))
    return locationText(name.getChildLoc());
  return "unknown";
}

func::FuncOp nnc::findModel(ModuleOp module) {
  for (auto func : module.getOps<func::FuncOp>())
    if (nn::isModel(func))
      return func;
  emitError(module.getLoc()) << "expects a model function (nn.model)";
  return nullptr;
}

LogicalResult nnc::prepareFlowOptions(func::FuncOp model,
                                      FlowCheckOptions &options,
                                      std::string &error) {
  if (options.calibrate.empty())
    return success();
  std::optional<DataFiles> files = findDataSet(options.calibrate, error);
  if (!files)
    return failure();
  nnc_dataset data{};
  char message[512];
  if (nnc_dataset_load(&data, files->trainInputs.c_str(),
                       files->trainLabels.c_str(), message, sizeof(message))) {
    error = message;
    return failure();
  }
  auto release = llvm::scope_exit([&] { nnc_dataset_free(&data); });
  // Every float input of the model sees the data set's features.
  double sum = 0, sumSquares = 0;
  size_t n = data.count * data.features;
  for (size_t i = 0; i < n; ++i) {
    sum += data.inputs[i];
    sumSquares += static_cast<double>(data.inputs[i]) * data.inputs[i];
  }
  if (n == 0) {
    error = "the calibration data set '" + options.calibrate + "' is empty";
    return failure();
  }
  for (BlockArgument arg : model.getArguments())
    if (isa<FloatType>(getElementTypeOrSelf(arg.getType())))
      options.flow.inputMoments[arg.getArgNumber()] = {sum / n, sumSquares / n};
  return success();
}

LogicalResult nnc::checkGradientFlow(ModuleOp module,
                                     FlowCheckOptions options) {
  func::FuncOp model = findModel(module);
  if (!model)
    return failure();
  std::string error;
  if (failed(prepareFlowOptions(model, options, error))) {
    llvm::errs() << "nnc: error: --calibrate: " << error << "\n";
    return failure();
  }
  GradientFlowAnalysis analysis(model, options.flow);
  return emitFlowFindings(analysis.getFindings(), options.policy);
}

//===----------------------------------------------------------------------===//
// Table and JSON
//===----------------------------------------------------------------------===//

namespace {
std::string shapeText(nn::ParamOp op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(cast<ShapedType>(op.getType()).getShape(), os, "x");
  return s;
}

std::string number(double v) {
  if (v == 0)
    return "0";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%.3g", v);
  return s;
}
} // namespace

void nnc::printFlowTable(const GradientFlowAnalysis &analysis,
                         llvm::raw_ostream &os) {
  size_t nameWidth = 9, shapeWidth = 5;
  for (const ParamFlow &p : analysis.getParams()) {
    nameWidth = std::max(nameWidth, p.name.size());
    shapeWidth = std::max(shapeWidth, shapeText(p.op).size());
  }
  auto row = [&](StringRef name, StringRef shape, StringRef grad,
                 StringRef param, StringRef ratio, StringRef signal,
                 StringRef spread, StringRef where) {
    os << llvm::left_justify(name, nameWidth) << "  "
       << llvm::left_justify(shape, shapeWidth) << "  "
       << llvm::right_justify(grad, 10) << "  "
       << llvm::right_justify(param, 10) << "  "
       << llvm::right_justify(ratio, 10) << "  "
       << llvm::right_justify(signal, 10) << "  "
       << llvm::right_justify(spread, 12) << "  " << where << "\n";
  };
  // The signal is the gradient reaching the output of the parameter's
  // layer; weight gradients also scale with the layer's input.
  row("parameter", "shape", "grad RMS", "param RMS", "grad/param", "signal RMS",
      "input spread", "location");
  for (const ParamFlow &p : analysis.getParams()) {
    nn::ParamOp op = p.op;
    row(p.name, shapeText(op), p.reached ? number(p.gradRms) : "none",
        number(p.paramRms),
        p.reached && p.paramRms > 0 ? number(p.gradRms / p.paramRms) : "-",
        number(p.signalRms), number(p.inputSpread), locationText(op.getLoc()));
  }
}

void nnc::printFlowJSON(const GradientFlowAnalysis &analysis, StringRef model,
                        llvm::raw_ostream &os) {
  llvm::json::Array params, findings;
  for (const ParamFlow &p : analysis.getParams()) {
    nn::ParamOp op = p.op;
    llvm::json::Array shape;
    for (int64_t d : cast<ShapedType>(op.getType()).getShape())
      shape.push_back(d);
    params.push_back(llvm::json::Object{
        {"name", p.name},
        {"location", locationText(op.getLoc())},
        {"shape", std::move(shape)},
        {"predicted_grad_rms", p.gradRms},
        {"param_rms", p.paramRms},
        {"ratio", p.paramRms > 0 ? p.gradRms / p.paramRms : 0.0},
        {"input_spread", p.inputSpread},
        {"signal_rms", p.signalRms},
        {"receives_gradient", p.reached},
    });
  }
  for (const FlowFinding &f : analysis.getFindings()) {
    llvm::json::Array notes;
    for (const auto &[loc, text] : f.notes)
      notes.push_back(llvm::json::Object{{"location", locationText(loc)},
                                         {"message", text}});
    findings.push_back(llvm::json::Object{
        {"flag", ("-W" + getFlagName(f.kind)).str()},
        {"location", locationText(f.loc)},
        {"message", f.message},
        {"notes", std::move(notes)},
    });
  }
  llvm::json::Object root{{"model", model.str()},
                          {"params", std::move(params)},
                          {"findings", std::move(findings)}};
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}

//===----------------------------------------------------------------------===//
// HTML report
//===----------------------------------------------------------------------===//

namespace {
std::string escape(StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}
} // namespace

void nnc::writeFlowReport(const GradientFlowAnalysis &analysis, StringRef model,
                          const MeasuredGradients *measured,
                          llvm::raw_ostream &os) {
  // The chart shows the weights (rank >= 2): biases would only add noise.
  std::vector<const ParamFlow *> layers;
  for (const ParamFlow &p : analysis.getParams())
    if (p.rank >= 2)
      layers.push_back(&p);
  auto measuredOf = [&](const std::vector<double> &values,
                        const std::string &name) -> double {
    if (!measured)
      return 0;
    for (size_t i = 0; i < measured->names.size(); ++i)
      if (measured->names[i] == name && i < values.size())
        return values[i];
    return 0;
  };
  double lo = INFINITY, hi = -INFINITY;
  auto extend = [&](double v) {
    if (v > 0 && std::isfinite(v)) {
      lo = std::min(lo, std::log10(v));
      hi = std::max(hi, std::log10(v));
    }
  };
  for (const ParamFlow *p : layers) {
    extend(p->gradRms);
    if (measured) {
      extend(measuredOf(measured->initial, p->name));
      extend(measuredOf(measured->final, p->name));
    }
  }
  if (!std::isfinite(lo)) {
    lo = -1;
    hi = 1;
  }
  lo = std::floor(lo);
  hi = std::max(std::ceil(hi), lo + 1);
  const double width = 900, height = 420, left = 70, right = 20, top = 20,
               bottom = 120;
  const double plotW = width - left - right, plotH = height - top - bottom;
  auto x = [&](size_t i) {
    return left + (layers.size() <= 1
                       ? plotW / 2
                       : plotW * static_cast<double>(i) / (layers.size() - 1));
  };
  auto y = [&](double v) {
    return top + plotH * (hi - std::log10(v)) / (hi - lo);
  };

  os << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>"
     << "Gradient flow of " << escape(model) << "</title>\n<style>\n"
     << "body{font-family:sans-serif;margin:2em;color:#222}\n"
     << "table{border-collapse:collapse;font-size:13px}\n"
     << "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}\n"
     << "td:first-child,th:first-child{text-align:left}\n"
     << ".warn{color:#b35900}.note{color:#555;margin-left:2em}\n"
     << "</style></head><body>\n<h1>Gradient flow of " << escape(model)
     << "</h1>\n<p>Predicted RMS of each weight's gradient at "
        "initialization, from the first layer (left) to the last "
        "(right), on a log scale.";
  if (measured)
    os << " Measured while training: the first " << measured->initialSteps
       << " steps and the last " << measured->finalSteps << ".";
  os << "</p>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
     << "\" height=\"" << height << "\">\n";
  for (int decade = static_cast<int>(lo); decade <= static_cast<int>(hi);
       ++decade) {
    double yy = y(std::pow(10.0, decade));
    os << "<line x1=\"" << left << "\" x2=\"" << width - right << "\" y1=\""
       << yy << "\" y2=\"" << yy << "\" stroke=\"#eee\"/>\n"
       << "<text x=\"" << left - 6 << "\" y=\"" << yy + 4
       << "\" font-size=\"12\" text-anchor=\"end\">1e" << decade << "</text>\n";
  }
  auto series = [&](auto value, StringRef color, StringRef label, bool dashed) {
    std::string points;
    for (size_t i = 0; i < layers.size(); ++i) {
      double v = value(*layers[i]);
      if (!(v > 0) || !std::isfinite(v))
        continue;
      points += llvm::formatv("{0},{1} ", x(i), y(v)).str();
      os << "<circle cx=\"" << x(i) << "\" cy=\"" << y(v)
         << "\" r=\"3\" fill=\"" << color << "\"><title>"
         << escape(layers[i]->name) << ": " << label << " " << number(v)
         << "</title></circle>\n";
    }
    os << "<polyline fill=\"none\" stroke=\"" << color << "\" points=\""
       << points << "\"" << (dashed ? " stroke-dasharray=\"5,3\"" : "")
       << "/>\n";
  };
  series([](const ParamFlow &p) { return p.gradRms; }, "#1f5fbf", "predicted",
         false);
  if (measured) {
    series(
        [&](const ParamFlow &p) {
          return measuredOf(measured->initial, p.name);
        },
        "#d9480f", "measured (first steps)", true);
    series(
        [&](const ParamFlow &p) { return measuredOf(measured->final, p.name); },
        "#2b8a3e", "measured (last steps)", true);
  }
  for (size_t i = 0; i < layers.size(); ++i)
    os << "<text transform=\"translate(" << x(i) << "," << height - bottom + 8
       << ") rotate(60)\" font-size=\"10\">" << escape(layers[i]->name)
       << "</text>\n";
  os << "<text x=\"" << left << "\" y=\"" << top - 6
     << "\" font-size=\"12\"><tspan fill=\"#1f5fbf\">&#9679; predicted</tspan>";
  if (measured)
    os << " <tspan fill=\"#d9480f\">&#9679; measured, first steps</tspan>"
       << " <tspan fill=\"#2b8a3e\">&#9679; measured, last steps</tspan>";
  os << "</text>\n</svg>\n<h2>Findings</h2>\n";
  if (analysis.getFindings().empty())
    os << "<p>None: gradients are predicted to flow.</p>\n";
  for (const FlowFinding &f : analysis.getFindings()) {
    os << "<p class=\"warn\">" << escape(locationText(f.loc)) << ": "
       << escape(f.message) << " [-W" << getFlagName(f.kind) << "]</p>\n";
    for (const auto &[loc, text] : f.notes)
      os << "<p class=\"note\">" << escape(locationText(loc))
         << ": note: " << escape(text) << "</p>\n";
  }
  os << "<h2>Parameters</h2>\n<table><tr><th>parameter</th><th>shape</th>"
        "<th>predicted grad RMS</th>";
  if (measured)
    os << "<th>measured (first)</th><th>measured (last)</th>";
  os << "<th>param RMS</th><th>input spread</th><th>location</th></tr>\n";
  for (const ParamFlow &p : analysis.getParams()) {
    nn::ParamOp op = p.op;
    os << "<tr><td>" << escape(p.name) << "</td><td>" << shapeText(op)
       << "</td><td>" << (p.reached ? number(p.gradRms) : "none") << "</td>";
    if (measured)
      os << "<td>" << number(measuredOf(measured->initial, p.name))
         << "</td><td>" << number(measuredOf(measured->final, p.name))
         << "</td>";
    os << "<td>" << number(p.paramRms) << "</td><td>" << number(p.inputSpread)
       << "</td><td>" << escape(locationText(op.getLoc())) << "</td></tr>\n";
  }
  os << "</table>\n</body></html>\n";
}
