#include "monitor/drift_charts.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/strings.h"
#include "eval/report_charts.h"
#include "eval/svg_chart.h"

namespace aif {
namespace {

using nlohmann::json;

const char* kDriftColour = "#e15759";
const char* kModerateColour = "#f28e2b";
const char* kNoneColour = "#4e79a7";

// Shares of a JSON array of counts; non-numbers count as 0.
std::vector<double> Shares(const json& counts) {
  std::vector<double> out;
  if (!counts.is_array()) return out;
  for (const json& c : counts) out.push_back(c.is_number() && std::isfinite(c.get<double>()) ? c.get<double>() : 0.0);
  const double total = std::accumulate(out.begin(), out.end(), 0.0);
  for (double& v : out) v = total > 0 ? v / total : 0;
  return out;
}

const char* LevelColour(const std::string& level) {
  return level == "drift" ? kDriftColour : level == "moderate" ? kModerateColour : kNoneColour;
}

// Grouped vertical bars: series[s][i] over categories i, shares in [0, 1].
std::string GroupedShareBars(const std::vector<std::string>& categories,
                             const std::vector<std::pair<std::string, std::vector<double>>>& series,
                             const std::string& label, const std::string& x_title, double plot_w) {
  const size_t n = categories.size();
  PlotArea area;
  area.left = 60;
  area.top = 34;
  area.width = plot_w;
  area.height = 200;
  double hi_share = 0;
  for (const auto& s : series) {
    for (double v : s.second) hi_share = std::max(hi_share, v);
  }
  double y_lo = 0, y_hi = std::max(hi_share, 0.01);
  const std::vector<double> y_ticks = NiceTicks(&y_lo, &y_hi, 5, true);
  area.y_lo = y_lo;
  area.y_hi = y_hi;
  const bool rotate = n > 12 || std::any_of(categories.begin(), categories.end(), [&](const std::string& c) {
                        return TextWidth(c, 10) > plot_w / n - 4;
                      });
  double label_h = 20;
  for (const std::string& c : categories) label_h = std::max(label_h, rotate ? TextWidth(Ellipsize(c, 18), 10) + 12 : 20);
  SvgCanvas canvas(area.Right() + 20, area.Bottom() + label_h + 28, label);
  DrawAxes(canvas, area, {}, y_ticks, "", "share");
  const double slot = plot_w / std::max<size_t>(n, 1);
  const double inner = slot * 0.8, bar = inner / std::max<size_t>(series.size(), 1);
  for (size_t i = 0; i < n; ++i) {
    const double x0 = area.left + slot * i + (slot - inner) / 2;
    for (size_t s = 0; s < series.size(); ++s) {
      if (i >= series[s].second.size()) continue;
      const double v = series[s].second[i];
      const double y = area.Y(std::clamp(v, area.y_lo, area.y_hi));
      canvas.Rect(x0 + s * bar, y, std::max(bar - (bar > 3 ? 0.5 : 0), 0.6), area.Bottom() - y, SeriesColour(static_cast<int>(s)),
                  categories[i] + ": " + series[s].first + " " + Format("%.2f%%", 100 * v));
    }
    const double x = area.left + slot * (i + 0.5);
    const std::string text = Ellipsize(categories[i], 18);
    if (rotate) {
      canvas.Text(x + 3, area.Bottom() + 8, text, "end", 10, "#444", -90);
    } else {
      canvas.Text(x, area.Bottom() + 16, text, "middle", 10, "#444");
    }
  }
  canvas.Text(area.left + plot_w / 2, area.Bottom() + label_h + 20, x_title, "middle", 12, "#333", 0, "600");
  std::vector<std::pair<std::string, std::string>> legend;
  for (size_t s = 0; s < series.size(); ++s) legend.emplace_back(series[s].first, SeriesColour(static_cast<int>(s)));
  canvas.Legend(area.left + 4, 16, legend);
  return canvas.Finish();
}

}  // namespace

std::string PsiBarsFigure(const json& report, size_t top) {
  const json& features = FieldAt(report, "features");
  if (!features.is_array() || features.empty()) return Note("No per-feature results in this report.");
  std::vector<std::pair<double, size_t>> order;
  for (size_t i = 0; i < features.size(); ++i) {
    order.emplace_back(NumberAt(features[i], "psi").value_or(0), i);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (order.size() > top) order.resize(top);
  const json& thresholds = FieldAt(report, "thresholds");
  const double moderate = NumberAt(thresholds, "psi_moderate").value_or(0.1);
  const double drift = NumberAt(thresholds, "psi_drift").value_or(0.2);
  double name_w = 0;
  for (const auto& [psi, i] : order) name_w = std::max(name_w, TextWidth(Ellipsize(StringAt(features[i], "name"), 28), 11));
  PlotArea area;
  area.left = name_w + 20;
  area.top = 30;
  area.width = 560;
  const double row = 20;
  area.height = row * order.size();
  double x_lo = 0, x_hi = std::max(order.front().first, drift * 1.25);
  const std::vector<double> x_ticks = NiceTicks(&x_lo, &x_hi, 6, true);
  area.x_lo = x_lo;
  area.x_hi = x_hi;
  SvgCanvas canvas(area.Right() + 30, area.Bottom() + 48, "PSI of the top features");
  for (double t : x_ticks) canvas.Line(area.X(t), area.top, area.X(t), area.Bottom(), "#eee");
  DrawAxes(canvas, area, x_ticks, {}, "population stability index (PSI)", "");
  for (size_t k = 0; k < order.size(); ++k) {
    const json& f = features[order[k].second];
    const std::string name = StringAt(f, "name"), level = StringAt(f, "level");
    const double y = area.top + row * k;
    const double psi = std::clamp(order[k].first, 0.0, area.x_hi);
    const std::optional<double> ks = NumberAt(f, "ks");
    canvas.Rect(area.left, y + 3, area.X(psi) - area.left, row - 6, LevelColour(level),
                Format("%s: PSI %s, KS %s (%s)", name.c_str(), FormatMetric(order[k].first).c_str(),
                       ks ? FormatMetric(*ks).c_str() : "?", level.c_str()));
    canvas.Text(area.left - 6, y + row / 2 + 4, Ellipsize(name, 28), "end", 11, "#444");
    canvas.Text(area.X(psi) + 4, y + row / 2 + 4, FormatCompact(order[k].first), "start", 10, "#555");
  }
  canvas.Line(area.X(moderate), area.top - 4, area.X(moderate), area.Bottom(), kModerateColour, 1.5, "5 3");
  canvas.Line(area.X(drift), area.top - 4, area.X(drift), area.Bottom(), kDriftColour, 1.5, "5 3");
  canvas.Legend(area.left, 16, {{"drift", kDriftColour}, {"moderate", kModerateColour}, {"no drift", kNoneColour},
                                {"thresholds", std::string("--") + "#777"}});
  return canvas.Finish();
}

std::string FeatureHistogramFigure(const json& histogram) {
  const std::vector<double> ref = Shares(FieldAt(histogram, "reference_counts"));
  const std::vector<double> cur = Shares(FieldAt(histogram, "counts"));
  const json& edges = FieldAt(histogram, "edges");
  if (ref.size() < 3 || ref.size() != cur.size() || !edges.is_array() || edges.size() + 1 != ref.size()) {
    return Note("No histogram for this feature.");
  }
  std::vector<std::string> bins;
  const double lo = edges.front().is_number() ? edges.front().get<double>() : 0;
  const double hi = edges.back().is_number() ? edges.back().get<double>() : 0;
  bins.push_back("< " + FormatCompact(lo));
  for (size_t b = 0; b + 1 < edges.size(); ++b) {
    const double e = edges[b].is_number() ? edges[b].get<double>() : 0;
    bins.push_back(FormatCompact(e));
  }
  bins.push_back("> " + FormatCompact(hi));
  return GroupedShareBars(bins, {{"reference (train)", ref}, {"new data", cur}},
                          "Histogram of " + StringAt(histogram, "name"), "bin (lower edge)", 640);
}

std::string ClassSharesFigure(const json& report) {
  const json& predictions = FieldAt(report, "predictions");
  const json& labels = FieldAt(report, "labels");
  const json& source = StringAt(predictions, "kind") == "classes" ? predictions : labels;
  if (StringAt(source, "kind") != "classes") return Note("No class distributions in this report.");
  std::vector<std::pair<std::string, std::vector<double>>> series = {
      {"reference labels (train)", Shares(FieldAt(source, "reference_counts"))}};
  if (StringAt(predictions, "kind") == "classes")
    series.emplace_back("predicted on new data", Shares(FieldAt(predictions, "counts")));
  if (StringAt(labels, "kind") == "classes") series.emplace_back("new labels", Shares(FieldAt(labels, "counts")));
  const size_t n = series.front().second.size();
  std::vector<std::string> names;
  const json& given = FieldAt(source, "class_names");
  for (size_t i = 0; i < n; ++i) {
    names.push_back(given.is_array() && i < given.size() && given[i].is_string() ? given[i].get<std::string>()
                                                                                 : "class " + std::to_string(i));
  }
  if (n == 0) return Note("No class distributions in this report.");
  return GroupedShareBars(names, series, "Class shares", "class", std::clamp(n * 70.0, 320.0, 1000.0));
}

}  // namespace aif
