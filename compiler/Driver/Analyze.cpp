//===- Analyze.cpp - Gradient-flow checks and reports ---------------------===//

#include "compiler/Driver/Analyze.h"
#include "compiler/Driver/DataSet.h"
#include "compiler/Target/Template.h"

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
    os << fmt::format("{:<{}}  {:<{}}  {:>10}  {:>10}  {:>10}  {:>10}  {:>12}  "
                      "{}\n",
                      name, nameWidth, shape, shapeWidth, grad, param, ratio,
                      signal, spread, where);
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

/// The report page; the chart, the findings and the table rows are filled
/// in by writeFlowReport.
static constexpr llvm::StringLiteral reportTemplate = R"html(<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Gradient flow of {model}</title>
<style>
body{{font-family:sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;font-size:13px}}
td,th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}}
td:first-child,th:first-child{{text-align:left}}
.warn{{color:#b35900}}.note{{color:#555;margin-left:2em}}
</style></head><body>
<h1>Gradient flow of {model}</h1>
<p>Predicted RMS of each weight's gradient at initialization, from the first layer (left) to the last (right), on a log scale.{measured_steps}</p>
<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">
{chart}<text x="{left}" y="{legend_y}" font-size="12"><tspan fill="#1f5fbf">&#9679; predicted</tspan>{measured_legend}</text>
</svg>
<h2>Findings</h2>
{findings}<h2>Parameters</h2>
<table><tr><th>parameter</th><th>shape</th><th>predicted grad RMS</th>{measured_headers}<th>param RMS</th><th>input spread</th><th>location</th></tr>
{rows}</table>
</body></html>
)html";

/// A horizontal grid line of the chart, at a power of ten.
static constexpr llvm::StringLiteral gridLineTemplate =
    R"html(<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="#eee"/>
<text x="{label_x}" y="{label_y}" font-size="12" text-anchor="end">1e{decade}</text>
)html";

/// One point of a series, with its value on hover.
static constexpr llvm::StringLiteral pointTemplate =
    R"html(<circle cx="{x}" cy="{y}" r="3" fill="{color}"><title>{name}: {label} {value}</title></circle>
)html";

/// A layer's name under the chart.
static constexpr llvm::StringLiteral layerLabelTemplate =
    R"html(<text transform="translate({x},{y}) rotate(60)" font-size="10">{name}</text>
)html";

/// One row of the parameter table.
static constexpr llvm::StringLiteral rowTemplate =
    R"html(<tr><td>{name}</td><td>{shape}</td><td>{grad}</td>{measured}<td>{param}</td><td>{spread}</td><td>{location}</td></tr>
)html";

/// A coordinate as the chart writes it (raw_ostream's exponent form).
static std::string coordinate(double v) {
  std::string s;
  llvm::raw_string_ostream(s) << v;
  return s;
}

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

  std::string chart;
  for (int decade = static_cast<int>(lo); decade <= static_cast<int>(hi);
       ++decade) {
    double yy = y(std::pow(10.0, decade));
    chart += render(
        gridLineTemplate, field("left", coordinate(left)),
        field("right", coordinate(width - right)), field("y", coordinate(yy)),
        field("label_x", coordinate(left - 6)),
        field("label_y", coordinate(yy + 4)), field("decade", decade));
  }
  auto series = [&](auto value, StringRef color, StringRef label, bool dashed) {
    std::string points;
    for (size_t i = 0; i < layers.size(); ++i) {
      double v = value(*layers[i]);
      if (!(v > 0) || !std::isfinite(v))
        continue;
      points += llvm::formatv("{0},{1} ", x(i), y(v)).str();
      chart += render(pointTemplate, field("x", coordinate(x(i))),
                      field("y", coordinate(y(v))), field("color", color),
                      field("name", escape(layers[i]->name)),
                      field("label", label), field("value", number(v)));
    }
    chart += render(
        R"html(<polyline fill="none" stroke="{color}" points="{points}"{dash}/>
)html",
        field("color", color), field("points", points),
        field("dash", dashed ? " stroke-dasharray=\"5,3\"" : ""));
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
    chart += render(layerLabelTemplate, field("x", coordinate(x(i))),
                    field("y", coordinate(height - bottom + 8)),
                    field("name", escape(layers[i]->name)));

  std::string findings;
  if (analysis.getFindings().empty())
    findings = "<p>None: gradients are predicted to flow.</p>\n";
  for (const FlowFinding &f : analysis.getFindings()) {
    findings +=
        render("<p class=\"warn\">{location}: {message} [-W{flag}]</p>\n",
               field("location", escape(locationText(f.loc))),
               field("message", escape(f.message)),
               field("flag", getFlagName(f.kind)));
    for (const auto &[loc, text] : f.notes)
      findings += render("<p class=\"note\">{location}: note: {message}</p>\n",
                         field("location", escape(locationText(loc))),
                         field("message", escape(text)));
  }

  std::string rows;
  for (const ParamFlow &p : analysis.getParams()) {
    nn::ParamOp op = p.op;
    std::string measuredCells;
    if (measured)
      measuredCells =
          render("<td>{first}</td><td>{last}</td>",
                 field("first", number(measuredOf(measured->initial, p.name))),
                 field("last", number(measuredOf(measured->final, p.name))));
    rows += render(rowTemplate, field("name", escape(p.name)),
                   field("shape", shapeText(op)),
                   field("grad", p.reached ? number(p.gradRms) : "none"),
                   field("measured", measuredCells),
                   field("param", number(p.paramRms)),
                   field("spread", number(p.inputSpread)),
                   field("location", escape(locationText(op.getLoc()))));
  }

  renderTo(
      os, reportTemplate, field("model", escape(model)),
      field("measured_steps",
            measured ? render(" Measured while training: the first {first} "
                              "steps and the last {last}.",
                              field("first", measured->initialSteps),
                              field("last", measured->finalSteps))
                     : ""),
      field("width", coordinate(width)), field("height", coordinate(height)),
      field("chart", chart), field("left", coordinate(left)),
      field("legend_y", coordinate(top - 6)),
      field("measured_legend",
            measured ? " <tspan fill=\"#d9480f\">&#9679; measured, first "
                       "steps</tspan> <tspan fill=\"#2b8a3e\">&#9679; "
                       "measured, last steps</tspan>"
                     : ""),
      field("findings", findings),
      field("measured_headers",
            measured ? "<th>measured (first)</th><th>measured (last)</th>"
                     : ""),
      field("rows", rows));
}
