// Line figures: learning curves from metrics.jsonl and the residual-quantile
// chart of a regression report.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/strings.h"
#include "eval/report_charts.h"
#include "eval/svg_chart.h"

namespace aif {
namespace {

using nlohmann::json;
using Points = std::vector<std::pair<double, double>>;

constexpr size_t kMaxLinePoints = 3000;  // longer series are thinned evenly

struct Series {
  std::string name;
  std::string colour;
  std::string dash;
  Points points;  // data coordinates
};

struct Reference {  // a horizontal line, e.g. the final test metric
  std::string name;
  double value;
  std::string colour;
};

Points Thin(const Points& points) {
  if (points.size() <= kMaxLinePoints) return points;
  Points out;
  const double stride = static_cast<double>(points.size() - 1) / (kMaxLinePoints - 1);
  for (size_t i = 0; i < kMaxLinePoints; ++i) out.push_back(points[static_cast<size_t>(i * stride)]);
  out.back() = points.back();
  return out;
}

// One panel of lines against step, with its own axes and a legend above it.
void DrawPanel(SvgCanvas& canvas, PlotArea area, const std::vector<Series>& series,
               const std::vector<Reference>& refs, bool y_from_zero, const std::string& y_title) {
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
  double y_lo = x_lo, y_hi = -x_lo;
  for (const Series& s : series) {
    for (const auto& [x, y] : s.points) {
      x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
      y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
    }
  }
  for (const Reference& r : refs) y_lo = std::min(y_lo, r.value), y_hi = std::max(y_hi, r.value);
  if (y_from_zero) y_lo = std::min(0.0, y_lo);
  x_lo = std::min(0.0, x_lo);
  const std::vector<double> x_ticks = NiceTicks(&x_lo, &x_hi, 6, true);
  const std::vector<double> y_ticks = NiceTicks(&y_lo, &y_hi, 5, true);
  area.x_lo = x_lo, area.x_hi = x_hi, area.y_lo = y_lo, area.y_hi = y_hi;
  DrawAxes(canvas, area, x_ticks, y_ticks, "step", y_title);

  std::vector<std::pair<std::string, std::string>> legend;
  for (const Reference& r : refs) {
    const double y = area.Y(r.value);
    canvas.Line(area.left, y, area.Right(), y, r.colour, 1.2, "2 3");
  }
  for (const Series& s : series) {
    Points pixels;
    for (const auto& [x, y] : Thin(s.points)) pixels.emplace_back(area.X(x), area.Y(y));
    canvas.Polyline(pixels, s.colour, s.points.size() > 200 ? 1.5 : 2, s.dash);
    if (s.points.size() <= 60) {
      for (const auto& [x, y] : s.points) {
        canvas.Circle(area.X(x), area.Y(y), 2.8, s.colour,
                      Format("%s at step %s: %s", s.name.c_str(), FormatCount(x).c_str(),
                             FormatMetric(y).c_str()));
      }
    }
    legend.emplace_back(s.name, s.dash.empty() ? s.colour : "--" + s.colour);
  }
  for (const Reference& r : refs) legend.emplace_back(r.name + " " + FormatMetric(r.value), "--" + r.colour);
  canvas.Legend(area.left, area.top - 12, legend);
}

}  // namespace

std::string LearningCurvesFigure(const json& records) {
  if (!records.is_array() || records.empty()) {
    return Note("No training records (metrics.jsonl) were given, so there are no learning curves.");
  }
  Series loss{"training loss", SeriesColour(0), "", {}};
  Series val_loss{"validation loss", SeriesColour(1), "6 3", {}};
  Series train_acc{"training accuracy", SeriesColour(0), "", {}};
  Series val_acc{"validation accuracy", SeriesColour(1), "6 3", {}};
  std::vector<Reference> loss_refs, acc_refs;
  for (size_t i = 0; i < records.size(); ++i) {
    const json& r = records[i];
    if (!r.is_object()) continue;
    if (r.value("final", false) == true) {
      // The last final record wins (a resumed run may have appended two).
      if (auto v = NumberAt(r, "test_loss")) loss_refs = {{"final test", *v, "#59a14f"}};
      if (auto v = NumberAt(r, "test_accuracy")) acc_refs = {{"final test", *v, "#59a14f"}};
      continue;
    }
    const double step = NumberAt(r, "step").value_or(static_cast<double>(i + 1));
    auto add = [&](Series& s, const char* key) {
      if (auto v = NumberAt(r, key); v && std::isfinite(*v)) s.points.emplace_back(step, *v);
    };
    add(loss, "loss");
    add(val_loss, "val_loss");
    add(train_acc, "train_accuracy");
    add(val_acc, "val_accuracy");
  }
  std::vector<Series> loss_series, acc_series;
  for (Series* s : {&loss, &val_loss, &train_acc, &val_acc}) {  // in step order, also after a resume
    std::stable_sort(s->points.begin(), s->points.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  for (Series* s : {&loss, &val_loss}) {
    if (!s->points.empty()) loss_series.push_back(*s);
  }
  for (Series* s : {&train_acc, &val_acc}) {
    if (!s->points.empty()) acc_series.push_back(*s);
  }
  const int panels = !loss_series.empty() + !acc_series.empty();
  if (panels == 0) return Note("The training records hold no loss or accuracy values to plot.");

  const double panel_w = panels == 2 ? 470 : 760, gap = 100;
  PlotArea area;
  area.left = 70;
  area.top = 34;
  area.width = panel_w;
  area.height = 250;
  SvgCanvas canvas(area.left + panels * panel_w + (panels - 1) * gap + 24, area.Bottom() + 48,
                   "Learning curves");
  if (!loss_series.empty()) {
    DrawPanel(canvas, area, loss_series, loss_refs, true, "loss");
    area.left += panel_w + gap;
  }
  if (!acc_series.empty()) DrawPanel(canvas, area, acc_series, acc_refs, false, "accuracy");
  return canvas.Finish();
}

std::string ResidualQuantilesFigure(const json& report) {
  const json rq = report.is_object() ? report.value("residual_quantiles", json()) : json();
  const json levels = rq.is_object() ? rq.value("levels", json()) : json();
  const json values = rq.is_object() ? rq.value("values", json()) : json();
  Points points;
  if (levels.is_array() && values.is_array()) {
    for (size_t i = 0; i < std::min(levels.size(), values.size()); ++i) {
      if (levels[i].is_number() && values[i].is_number()) {
        const double level = levels[i].get<double>(), value = values[i].get<double>();
        if (std::isfinite(level) && std::isfinite(value)) points.emplace_back(level, value);
      }
    }
  }
  if (points.empty()) return Note("No residual quantiles in this report.");
  std::sort(points.begin(), points.end());
  double y_lo = 0, y_hi = 0;
  for (const auto& p : points) y_lo = std::min(y_lo, p.second), y_hi = std::max(y_hi, p.second);
  PlotArea area;
  area.left = 76;
  area.top = 20;
  area.width = 760;
  area.height = 280;
  double x_lo = 0, x_hi = 1;
  const std::vector<double> x_ticks = NiceTicks(&x_lo, &x_hi, 10, true);
  const std::vector<double> y_ticks = NiceTicks(&y_lo, &y_hi, 6, true);
  area.y_lo = y_lo, area.y_hi = y_hi;
  SvgCanvas canvas(area.Right() + 24, area.Bottom() + 48, "Residual quantiles");
  DrawAxes(canvas, area, x_ticks, y_ticks, "quantile level", "residual");
  canvas.Line(area.left, area.Y(0), area.Right(), area.Y(0), "#555", 1.2, "5 4");
  Points pixels;
  for (const auto& [x, y] : points) pixels.emplace_back(area.X(x), area.Y(y));
  canvas.Polyline(pixels, SeriesColour(0), 2);
  for (const auto& [x, y] : points) {
    canvas.Circle(area.X(x), area.Y(y), 3.5, SeriesColour(0),
                  Format("quantile %s: %s", FormatCompact(x).c_str(), FormatMetric(y).c_str()));
    // A quantile function rises, so below-right of a point (left half) and
    // above-left (right half) stay clear of the line.
    if (points.size() <= 11) {
      const bool left_half = x <= 0.5;
      canvas.Text(area.X(x) + (left_half ? 7 : -7), area.Y(y) + (left_half ? 15 : -8), FormatCompact(y),
                  left_half ? "start" : "end", 10, "#333");
    }
  }
  return canvas.Finish();
}

}  // namespace aif
