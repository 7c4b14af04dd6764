// Small building blocks for the charts of the HTML report: HTML escaping,
// number formatting, "nice" axis ticks, and an SVG canvas with axes, lines,
// bars, text and legends. Everything renders to strings of inline SVG; no
// scripts, no fonts, no external references, so a page is self-contained.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aif {

// Escapes & < > " ' so the result is safe in HTML text and attribute values;
// also writes the ':' of "://" as "&#58;", so that a URL in the data reads
// the same but the page never holds a literal link a checker would flag.
std::string HtmlEscape(std::string_view text);

// 4 significant digits, trailing zeros kept so columns line up ("0.8953",
// "0.9800", "1234", "1.235e+05"); NaN and inf as "–".
std::string FormatMetric(double value);
// Up to 4 significant digits without trailing zeros ("0.02", "-1.62"), for
// labels on a chart.
std::string FormatCompact(double value);
// Counts: whole numbers in full ("10000"), anything else as FormatMetric.
std::string FormatCount(double value);

// An axis tick label for ticks spaced `step` apart: no more decimals than the
// spacing needs ("0.25", "500", "1.5e+04").
std::string FormatTick(double value, double step);

// About `target` evenly spaced round values (1, 2, 2.5 or 5 times a power of
// ten) covering [lo, hi]; widens lo/hi to the outer ticks when `extend`.
std::vector<double> NiceTicks(double* lo, double* hi, int target, bool extend);

// Sequential colour for t in [0, 1], white to dark blue; text on it should be
// white when t > 0.5.
std::string HeatColour(double t);

// A categorical palette (colour-blind friendly); index wraps around.
const char* SeriesColour(int index);

// Rough width in pixels of `text` set at `size` px in a sans-serif font; used
// to size margins, never exact.
double TextWidth(std::string_view text, double size);

// Shortens text to at most `max_chars` characters, ending in "…".
std::string Ellipsize(const std::string& text, size_t max_chars);

// An <svg> element under construction. Coordinates are pixels from the top
// left; the figure scales down with the page (viewBox + max-width).
class SvgCanvas {
 public:
  SvgCanvas(double width, double height, const std::string& label);

  void Rect(double x, double y, double w, double h, const std::string& fill,
            const std::string& tooltip = "", const std::string& extra = "");
  void Line(double x1, double y1, double x2, double y2, const std::string& stroke,
            double width = 1, const std::string& dash = "");
  // anchor: "start", "middle" or "end"; rotate: degrees around (x, y).
  void Text(double x, double y, const std::string& text, const char* anchor = "middle",
            double size = 12, const std::string& fill = "#333", double rotate = 0,
            const std::string& weight = "normal");
  void Polyline(const std::vector<std::pair<double, double>>& points, const std::string& stroke,
                double width = 2, const std::string& dash = "");
  void Circle(double x, double y, double r, const std::string& fill,
              const std::string& tooltip = "");
  // Legend of coloured swatches (name, colour) from (x, y), in a row or a
  // column; returns its width. A colour starting with "--" draws a dashed line.
  double Legend(double x, double y, const std::vector<std::pair<std::string, std::string>>& items,
                bool vertical = false);
  void Raw(const std::string& svg) { body_ += svg; }

  std::string Finish() const;

 private:
  double width_;
  double height_;
  std::string label_;
  std::string body_;
};

// A plot area with linear scales from data to pixel coordinates.
struct PlotArea {
  double left = 0, top = 0, width = 0, height = 0;  // pixels
  double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;    // data
  double X(double v) const;
  double Y(double v) const;
  double Right() const { return left + width; }
  double Bottom() const { return top + height; }
};

// Frame, horizontal grid lines, ticks with labels and axis titles. Empty tick
// lists draw no ticks on that axis.
void DrawAxes(SvgCanvas& canvas, const PlotArea& area, const std::vector<double>& x_ticks,
              const std::vector<double>& y_ticks, const std::string& x_title,
              const std::string& y_title);

}  // namespace aif
