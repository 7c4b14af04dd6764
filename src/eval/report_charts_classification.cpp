// Classification figures: confusion heat map, per-class bars, reliability
// diagram; plus the lenient JSON accessors every figure uses.
#include <algorithm>
#include <cmath>

#include "core/strings.h"
#include "eval/report_charts.h"
#include "eval/svg_chart.h"

namespace aif {
namespace {

using nlohmann::json;

constexpr int kMaxNamedClasses = 30;  // beyond this, axes show class indices

double NumberOr(const json& object, const char* key, double fallback) {
  return NumberAt(object, key).value_or(fallback);
}

// How the labels of a category axis fit: names (horizontal or rotated) or,
// for many classes, every k-th class index.
struct CategoryLabels {
  bool indices = false;
  double angle = 0;  // degrees: 0, -40, or -90 when slots are too narrow for a slant
  double font = 11;
  int every = 1;
  std::vector<std::string> text;
  double height = 0;  // pixels below the axis line
};

CategoryLabels LayoutCategoryLabels(const std::vector<std::string>& names, double slot, double max_px) {
  CategoryLabels out;
  const int n = static_cast<int>(names.size());
  if (n > kMaxNamedClasses) {
    out.indices = true;
    for (int k : {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}) {
      out.every = k;
      if (n / k <= 12) break;
    }
    for (int i = 0; i < n; ++i) out.text.push_back(i % out.every ? "" : std::to_string(i));
    out.height = 20;
    return out;
  }
  double widest = 0;
  for (const std::string& name : names) {
    out.text.push_back(Ellipsize(name, static_cast<size_t>(max_px / (11 * 0.6))));
    widest = std::max(widest, TextWidth(out.text.back(), 11));
  }
  if (widest > slot - 4) out.angle = slot * std::sin(40 * M_PI / 180) >= 12 ? -40 : -90;
  out.font = out.angle == -90 ? std::min(11.0, std::max(7.0, slot - 2)) : 11;
  const double drop = widest * out.font / 11;
  out.height = out.angle == 0 ? 20 : out.angle == -40 ? drop * std::sin(40 * M_PI / 180) + 22 : drop + 14;
  return out;
}

// Labels under an axis at y; category i is centred at x0 + slot * (i + 0.5).
void DrawCategoryLabels(SvgCanvas& canvas, const CategoryLabels& labels,
                        const std::vector<std::string>& names, double x0, double slot, double y) {
  for (size_t i = 0; i < labels.text.size(); ++i) {
    if (labels.text[i].empty()) continue;
    const double x = x0 + slot * (i + 0.5);
    if (labels.indices) canvas.Line(x, y, x, y + 4, "#888");
    if (labels.angle != 0) {
      canvas.Raw("<g><title>" + HtmlEscape(names[i]) + "</title>");
      if (labels.angle == -90) {
        canvas.Text(x + labels.font * 0.35, y + 7, labels.text[i], "end", labels.font, "#444", -90);
      } else {
        canvas.Text(x + 3, y + 12, labels.text[i], "end", labels.font, "#444", -40);
      }
      canvas.Raw("</g>");
    } else {
      canvas.Text(x, y + 16, labels.text[i], "middle", 11, "#444");
    }
  }
}

double CellCount(const json& matrix, size_t row, size_t col) {
  if (row >= matrix.size() || !matrix[row].is_array() || col >= matrix[row].size()) return 0;
  const json& v = matrix[row][col];
  const double count = v.is_number() ? v.get<double>() : 0;
  return std::isfinite(count) ? count : 0;
}

}  // namespace

const json& FieldAt(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::optional<double> NumberAt(const json& object, const char* key) {
  const json& field = FieldAt(object, key);
  if (!field.is_number()) return std::nullopt;
  const double v = field.get<double>();
  if (!std::isfinite(v)) return std::nullopt;  // NaN would become "nan" coordinates
  return v;
}

std::string StringAt(const json& object, const char* key) {
  const json& field = FieldAt(object, key);
  if (field.is_null()) return "";
  return field.is_string() ? field.get<std::string>() : field.dump();
}

std::vector<std::string> ClassNames(const json& report, size_t n) {
  std::vector<std::string> names(n);
  const json empty = json::array();
  const json& given = report.is_object() && report.contains("class_names") ? report["class_names"] : empty;
  const json& per_class = report.is_object() && report.contains("per_class") ? report["per_class"] : empty;
  for (size_t i = 0; i < n; ++i) {
    if (given.is_array() && i < given.size() && given[i].is_string()) {
      names[i] = given[i].get<std::string>();
    } else if (per_class.is_array() && i < per_class.size() && !StringAt(per_class[i], "name").empty()) {
      names[i] = StringAt(per_class[i], "name");
    } else {
      names[i] = "class " + std::to_string(i);
    }
  }
  return names;
}

std::string Note(const std::string& text) { return "<p class=\"note\">" + HtmlEscape(text) + "</p>"; }

std::string ConfusionMatrixFigure(const json& report) {
  const json matrix = report.is_object() ? report.value("confusion_matrix", json()) : json();
  if (!matrix.is_array() || matrix.empty()) return Note("No confusion matrix in this report.");
  const size_t n = matrix.size();
  const std::vector<std::string> names = ClassNames(report, n);
  const double cell = std::clamp(std::floor(440.0 / n), 4.0, 44.0);
  const double side = cell * n;
  const CategoryLabels cols = LayoutCategoryLabels(names, cell, 150);

  double row_label_w = 0;  // row labels are never rotated: names or indices
  std::vector<std::string> row_text(n);
  for (size_t i = 0; i < n; ++i) {
    row_text[i] = cols.indices ? cols.text[i] : Ellipsize(names[i], 150 / (11 * 0.6));
    row_label_w = std::max(row_label_w, TextWidth(row_text[i], 11));
  }
  const double left = 30 + row_label_w + 10, top = 12;
  const double bar_h = std::max(side, 140.0);
  const double span = std::max(side, 130.0);  // room for the axis title under a tiny matrix
  const double width = left + span + 24 + 14 + 70;
  const double height = top + std::max(side + cols.height + 30, bar_h + 20);
  SvgCanvas canvas(width, height, "Confusion matrix");

  std::vector<double> row_sum(n, 0);
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < n; ++c) row_sum[r] += CellCount(matrix, r, c);
  }
  const bool sparse = n > kMaxNamedClasses;  // many cells: draw only the non-zero ones
  if (sparse) canvas.Rect(left, top, side, side, HeatColour(0));
  const double font = cell >= 40 ? 12 : 10;
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < n; ++c) {
      const double count = CellCount(matrix, r, c);
      if (sparse && count == 0) continue;
      const double share = row_sum[r] > 0 ? count / row_sum[r] : 0;
      const double x = left + c * cell, y = top + r * cell;
      const std::string tip = Format("true %s, predicted %s: %s (%.1f%% of row)", names[r].c_str(),
                                     names[c].c_str(), FormatCount(count).c_str(), 100 * share);
      canvas.Rect(x, y, cell, cell, HeatColour(share), tip);
      const std::string label = FormatCount(count);
      if (cell >= 24 && TextWidth(label, font) <= cell - 4) {
        canvas.Text(x + cell / 2, y + cell / 2 + font * 0.35, label, "middle", font,
                    share > 0.5 ? "#fff" : "#222");
      }
    }
  }
  if (!sparse && n > 1) {  // thin separators keep a large grid readable
    canvas.Rect(left, top, side, side, "none", "", "stroke=\"#ccc\" stroke-width=\"0.5\"");
  }
  for (size_t i = 0; i < n; ++i) {
    if (row_text[i].empty()) continue;
    const double y = top + cell * (i + 0.5);
    canvas.Text(left - 8, y + 4, row_text[i], "end", 11, "#444");
  }
  DrawCategoryLabels(canvas, cols, names, left, cell, top + side);
  canvas.Text(left + side / 2, top + side + cols.height + 18, "Predicted class", "middle", 12, "#333",
              0, "600");
  canvas.Text(14, top + std::max(side, 90.0) / 2, "True class", "middle", 12, "#333", -90, "600");

  // Colour scale: share of the true class's samples.
  const double bx = left + span + 24;
  canvas.Raw("<defs><linearGradient id=\"aif-cm-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
  for (int s = 0; s <= 4; ++s) {
    canvas.Raw(Format("<stop offset=\"%d%%\" stop-color=\"%s\"/>", s * 25, HeatColour(s / 4.0).c_str()));
  }
  canvas.Raw("</linearGradient></defs>");
  canvas.Rect(bx, top, 14, bar_h, "url(#aif-cm-scale)", "", "stroke=\"#bbb\" stroke-width=\"0.5\"");
  for (int s = 0; s <= 4; ++s) {
    const double y = top + bar_h - bar_h * s / 4.0;
    canvas.Line(bx + 14, y, bx + 18, y, "#888");
    canvas.Text(bx + 21, y + 4, Format("%d%%", s * 25), "start", 10, "#555");
  }
  canvas.Text(bx + 60, top + bar_h / 2, "share of true class", "middle", 11, "#555", 90);
  std::string html = canvas.Finish();
  if (cols.indices) html += Note("Classes are shown by index; their names are in the per-class table.");
  return html;
}

std::string PerClassBarsFigure(const json& report) {
  const json rows = report.is_object() ? report.value("per_class", json()) : json();
  if (!rows.is_array() || rows.empty()) return Note("No per-class metrics in this report.");
  const size_t n = rows.size();
  std::vector<std::string> names = ClassNames(json::object(), n);
  for (size_t i = 0; i < n; ++i) {
    if (!StringAt(rows[i], "name").empty()) names[i] = StringAt(rows[i], "name");
  }
  const double plot_w = std::clamp(n * 90.0, 360.0, 1040.0);
  const double slot = plot_w / n;
  const CategoryLabels labels = LayoutCategoryLabels(names, slot, 130);
  PlotArea area;
  area.left = 64;
  area.top = 34;
  area.width = plot_w;
  area.height = 240;
  double y_lo = 0, y_hi = 1;
  const std::vector<double> y_ticks = NiceTicks(&y_lo, &y_hi, 5, true);
  area.y_lo = y_lo;
  area.y_hi = y_hi;
  SvgCanvas canvas(area.Right() + 24, area.Bottom() + labels.height + 30, "Per-class metrics");
  DrawAxes(canvas, area, {}, y_ticks, "", "score");

  static const char* kKeys[3] = {"precision", "recall", "f1"};
  static const char* kLabels[3] = {"precision", "recall", "F1"};
  // Few classes: three bars per class. Many: an F1 bar with precision and
  // recall as dots, since bars a pixel wide read as a barcode.
  const bool dots = n > kMaxNamedClasses;
  const double inner = slot * (n == 1 ? 0.5 : dots ? 0.7 : 0.8);
  const double bar = dots ? inner : inner / 3;
  for (size_t i = 0; i < n; ++i) {
    const double x0 = area.left + slot * i + (slot - inner) / 2;
    for (int k : {2, 0, 1}) {  // F1 first, so the dots stay on top of its bar
      const std::optional<double> v = NumberAt(rows[i], kKeys[k]);
      if (!v || !std::isfinite(*v)) continue;
      const double y = area.Y(std::clamp(*v, area.y_lo, area.y_hi));
      const std::string tip = names[i] + ": " + kLabels[k] + " " + FormatMetric(*v);
      if (dots && k != 2) {
        canvas.Circle(x0 + inner / 2, y, std::clamp(slot * 0.3, 1.5, 3.0), SeriesColour(k), tip);
      } else {
        const double x = dots ? x0 : x0 + k * bar;
        canvas.Rect(x, y, std::max(bar - (bar > 4 ? 1 : 0), 0.8), area.Bottom() - y, SeriesColour(k), tip,
                    dots ? "fill-opacity=\"0.55\"" : "");
      }
    }
  }
  canvas.Line(area.left, area.Bottom(), area.Right(), area.Bottom(), "#888");
  DrawCategoryLabels(canvas, labels, names, area.left, slot, area.Bottom());
  canvas.Text(area.left + plot_w / 2, area.Bottom() + labels.height + 18, "Class", "middle", 12, "#333",
              0, "600");
  const std::vector<std::pair<std::string, std::string>> legend = {
      {kLabels[0], SeriesColour(0)}, {kLabels[1], SeriesColour(1)}, {kLabels[2], SeriesColour(2)}};
  const double legend_w = 3 * 35 + TextWidth("precisionrecallF1", 12) - 18;
  canvas.Legend(area.Right() - legend_w, 16, legend);
  std::string html = canvas.Finish();
  if (labels.indices) html += Note("Classes are shown by index; their names are in the per-class table.");
  return html;
}

std::string ReliabilityFigure(const json& report) {
  const json calibration = report.is_object() ? report.value("calibration", json()) : json();
  const json bins = calibration.is_object() ? calibration.value("bins", json()) : json();
  if (!bins.is_array() || bins.empty()) return Note("No calibration bins in this report.");
  PlotArea area;
  area.left = 64;
  area.top = 14;
  area.width = 340;
  area.height = 300;
  PlotArea counts = area;
  counts.top = area.Bottom() + 18;
  counts.height = 70;
  double max_count = 0;
  for (const json& b : bins) max_count = std::max(max_count, NumberOr(b, "count", 0));
  double c_lo = 0, c_hi = std::max(1.0, max_count);
  const std::vector<double> c_ticks = NiceTicks(&c_lo, &c_hi, 2, true);
  counts.y_hi = c_hi;
  SvgCanvas canvas(area.Right() + 24, counts.Bottom() + 50, "Reliability diagram");
  const std::vector<double> ticks = {0, 0.2, 0.4, 0.6, 0.8, 1.0};
  DrawAxes(canvas, area, {}, ticks, "", "accuracy");
  DrawAxes(canvas, counts, ticks, c_ticks, "confidence", "count");

  const std::string gap_colour = "#e15759";
  const bool label_counts = bins.size() <= 15;
  for (const json& b : bins) {
    const double lo = NumberOr(b, "lower", 0), hi = NumberOr(b, "upper", 0);
    const double count = NumberOr(b, "count", 0);
    if (!(hi > lo)) continue;
    const double x = area.X(lo) + 1, w = area.X(hi) - area.X(lo) - 2;
    const double cy = counts.Y(count);
    canvas.Rect(x, cy, w, counts.Bottom() - cy, "#9aa9bd", Format("%s samples", FormatCount(count).c_str()));
    if (label_counts && count > 0) canvas.Text(x + w / 2, cy - 3, FormatCount(count), "middle", 9, "#555");
    const std::optional<double> acc = NumberAt(b, "accuracy"), conf = NumberAt(b, "confidence");
    if (count <= 0 || !acc) continue;
    const std::string tip = Format("confidence %s to %s: accuracy %s, mean confidence %s, %s samples",
                                   FormatCompact(lo).c_str(), FormatCompact(hi).c_str(),
                                   FormatMetric(*acc).c_str(), conf ? FormatMetric(*conf).c_str() : "?",
                                   FormatCount(count).c_str());
    canvas.Rect(x, area.Y(*acc), w, area.Bottom() - area.Y(*acc), SeriesColour(0), tip,
                "fill-opacity=\"0.85\"");
    if (conf) {
      const double y1 = area.Y(std::max(*acc, *conf)), y2 = area.Y(std::min(*acc, *conf));
      canvas.Rect(x, y1, w, y2 - y1, gap_colour, tip, "fill-opacity=\"0.3\" stroke=\"" + gap_colour +
                  "\" stroke-width=\"0.8\"");
    }
  }
  canvas.Line(area.X(0), area.Y(0), area.X(1), area.Y(1), "#555", 1.2, "5 4");
  canvas.Rect(area.left + 8, area.top + 6, 162, 62, "#fff", "", "fill-opacity=\"0.9\" stroke=\"#ddd\" rx=\"3\"");
  canvas.Legend(area.left + 14, area.top + 22,
                {{"accuracy", SeriesColour(0)}, {"gap to confidence", gap_colour},
                 {"perfect calibration", "--#555"}}, true);
  return canvas.Finish();
}

}  // namespace aif
