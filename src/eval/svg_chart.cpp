#include "eval/svg_chart.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"

namespace aif {
namespace {

// Coordinates with one decimal keep the SVG small and sharp enough. A
// non-finite value must never reach the page ("nan" is an SVG error).
std::string N(double v) { return Format("%.1f", std::isfinite(v) ? v : 0.0); }

size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case ':': out += text.substr(i + 1, 2) == "//" ? "&#58;" : ":"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatMetric(double value) {
  if (!std::isfinite(value)) return "\u2013";
  std::string s = Format("%#.4g", value);
  if (!s.empty() && s.back() == '.') s.pop_back();  // "1234." from the '#' flag
  return s == "-0.000" ? "0.000" : s;
}

std::string FormatCompact(double value) {
  if (!std::isfinite(value)) return "\u2013";
  std::string s = Format("%.4g", value);
  return s == "-0" ? "0" : s;
}

std::string FormatCount(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return Format("%.0f", value);
  }
  return FormatMetric(value);
}

std::string FormatTick(double value, double step) {
  if (std::fabs(value) < step * 1e-6) value = 0;
  if (!(step > 0) || std::fabs(value) >= 1e6 || step < 1e-4) return Format("%g", value);
  const double exponent = std::floor(std::log10(step) + 1e-9);
  int decimals = std::max(0, static_cast<int>(-exponent));
  const double mantissa = step / std::pow(10.0, exponent);
  if (std::fabs(mantissa - std::round(mantissa)) > 1e-6 && exponent <= 0) ++decimals;  // 2.5, 0.25
  return Format("%.*f", decimals, value);
}

std::vector<double> NiceTicks(double* lo, double* hi, int target, bool extend) {
  if (!std::isfinite(*lo) || !std::isfinite(*hi)) *lo = 0, *hi = 1;
  if (*hi < *lo) std::swap(*lo, *hi);
  if (*hi - *lo < 1e-12) {
    const double pad = *lo == 0 ? 1 : std::fabs(*lo) * 0.1;
    *lo -= pad;
    *hi += pad;
  }
  const double raw = (*hi - *lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = mag * (norm < 1.5 ? 1 : norm < 2.25 ? 2 : norm < 3.5 ? 2.5 : norm < 7.5 ? 5 : 10);
  // Ticks are integer multiples of the step, so errors do not accumulate.
  const double first = extend ? std::floor(*lo / step + 1e-9) : std::ceil(*lo / step - 1e-9);
  const double last = extend ? std::ceil(*hi / step - 1e-9) : std::floor(*hi / step + 1e-9);
  std::vector<double> ticks;
  for (double k = first; k <= last && ticks.size() < 100; k += 1) ticks.push_back(k == 0 ? 0.0 : k * step);
  if (extend && !ticks.empty()) {
    *lo = ticks.front();
    *hi = ticks.back();
  }
  return ticks;
}

std::string HeatColour(double t) {
  // ColorBrewer "Blues", five stops.
  static const double kStops[5][3] = {
      {247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};
  if (!std::isfinite(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0) * 4;
  const int i = std::min(3, static_cast<int>(t));
  const double f = t - i;
  int rgb[3];
  for (int c = 0; c < 3; ++c) {
    rgb[c] = static_cast<int>(std::lround(kStops[i][c] + (kStops[i + 1][c] - kStops[i][c]) * f));
  }
  return Format("#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

const char* SeriesColour(int index) {
  static const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                   "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  const int n = sizeof(kPalette) / sizeof(kPalette[0]);
  return kPalette[((index % n) + n) % n];
}

double TextWidth(std::string_view text, double size) {
  return static_cast<double>(CodePoints(text)) * size * 0.6;
}

std::string Ellipsize(const std::string& text, size_t max_chars) {
  if (max_chars < 2 || CodePoints(text) <= max_chars) return text;
  size_t kept = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (kept == max_chars - 1) break;
      ++kept;
    }
  }
  return text.substr(0, i) + "\u2026";
}

SvgCanvas::SvgCanvas(double width, double height, const std::string& label)
    : width_(width), height_(height), label_(label) {}

void SvgCanvas::Rect(double x, double y, double w, double h, const std::string& fill,
                     const std::string& tooltip, const std::string& extra) {
  body_ += "<rect x=\"" + N(x) + "\" y=\"" + N(y) + "\" width=\"" + N(std::max(0.0, w)) +
           "\" height=\"" + N(std::max(0.0, h)) + "\" fill=\"" + fill + "\"";
  if (!extra.empty()) body_ += " " + extra;
  if (tooltip.empty()) {
    body_ += "/>";
  } else {
    body_ += "><title>" + HtmlEscape(tooltip) + "</title></rect>";
  }
}

void SvgCanvas::Line(double x1, double y1, double x2, double y2, const std::string& stroke,
                     double width, const std::string& dash) {
  body_ += "<line x1=\"" + N(x1) + "\" y1=\"" + N(y1) + "\" x2=\"" + N(x2) + "\" y2=\"" + N(y2) +
           "\" stroke=\"" + stroke + "\" stroke-width=\"" + N(width) + "\"";
  if (!dash.empty()) body_ += " stroke-dasharray=\"" + dash + "\"";
  body_ += "/>";
}

void SvgCanvas::Text(double x, double y, const std::string& text, const char* anchor, double size,
                     const std::string& fill, double rotate, const std::string& weight) {
  body_ += "<text x=\"" + N(x) + "\" y=\"" + N(y) + "\" text-anchor=\"" + anchor +
           "\" font-size=\"" + N(size) + "\" fill=\"" + fill + "\"";
  if (weight != "normal") body_ += " font-weight=\"" + weight + "\"";
  if (rotate != 0) body_ += " transform=\"rotate(" + N(rotate) + " " + N(x) + " " + N(y) + ")\"";
  body_ += ">" + HtmlEscape(text) + "</text>";
}

void SvgCanvas::Polyline(const std::vector<std::pair<double, double>>& points,
                         const std::string& stroke, double width, const std::string& dash) {
  if (points.empty()) return;
  body_ += "<polyline fill=\"none\" stroke=\"" + stroke + "\" stroke-width=\"" + N(width) +
           "\" stroke-linejoin=\"round\"";
  if (!dash.empty()) body_ += " stroke-dasharray=\"" + dash + "\"";
  body_ += " points=\"";
  for (size_t i = 0; i < points.size(); ++i) {
    if (i) body_ += ' ';
    body_ += N(points[i].first) + "," + N(points[i].second);
  }
  body_ += "\"/>";
}

void SvgCanvas::Circle(double x, double y, double r, const std::string& fill,
                       const std::string& tooltip) {
  body_ += "<circle cx=\"" + N(x) + "\" cy=\"" + N(y) + "\" r=\"" + N(r) + "\" fill=\"" + fill + "\"";
  if (tooltip.empty()) {
    body_ += "/>";
  } else {
    body_ += "><title>" + HtmlEscape(tooltip) + "</title></circle>";
  }
}

double SvgCanvas::Legend(double x, double y,
                         const std::vector<std::pair<std::string, std::string>>& items,
                         bool vertical) {
  const double start = x;
  double widest = 0;
  for (const auto& [name, colour] : items) {
    if (colour.rfind("--", 0) == 0) {
      Line(x, y - 4, x + 12, y - 4, colour.substr(2), 1.5, "4 2");
    } else {
      Rect(x, y - 10, 12, 12, colour, "", "rx=\"2\"");
    }
    Text(x + 17, y, name, "start", 12);
    const double w = 17 + TextWidth(name, 12);
    widest = std::max(widest, w);
    if (vertical) {
      y += 18;
    } else {
      x += w + 18;
    }
  }
  return vertical ? widest : x - start - 18;
}

std::string SvgCanvas::Finish() const {
  return "<svg viewBox=\"0 0 " + N(width_) + " " + N(height_) + "\" width=\"" + N(width_) +
         "\" height=\"" + N(height_) + "\" role=\"img\" aria-label=\"" + HtmlEscape(label_) +
         "\">" + body_ + "</svg>";
}

double PlotArea::X(double v) const {
  return x_hi == x_lo ? left : left + (v - x_lo) / (x_hi - x_lo) * width;
}

double PlotArea::Y(double v) const {
  return y_hi == y_lo ? top + height : top + height - (v - y_lo) / (y_hi - y_lo) * height;
}

void DrawAxes(SvgCanvas& canvas, const PlotArea& area, const std::vector<double>& x_ticks,
              const std::vector<double>& y_ticks, const std::string& x_title,
              const std::string& y_title) {
  const double y_step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;
  const double x_step = x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1;
  double widest = 0;
  for (double t : y_ticks) {
    const double y = area.Y(t);
    if (y < area.top - 0.5 || y > area.Bottom() + 0.5) continue;
    canvas.Line(area.left, y, area.Right(), y, "#e6e6e6");
    const std::string label = FormatTick(t, y_step);
    canvas.Text(area.left - 7, y + 4, label, "end", 11, "#555");
    widest = std::max(widest, TextWidth(label, 11));
  }
  for (double t : x_ticks) {
    const double x = area.X(t);
    if (x < area.left - 0.5 || x > area.Right() + 0.5) continue;
    canvas.Line(x, area.Bottom(), x, area.Bottom() + 5, "#888");
    canvas.Text(x, area.Bottom() + 18, FormatTick(t, x_step), "middle", 11, "#555");
  }
  canvas.Line(area.left, area.top, area.left, area.Bottom(), "#888");
  canvas.Line(area.left, area.Bottom(), area.Right(), area.Bottom(), "#888");
  if (!x_title.empty()) {
    canvas.Text(area.left + area.width / 2, area.Bottom() + 38, x_title, "middle", 12, "#333");
  }
  if (!y_title.empty()) {
    const double x = area.left - widest - 20;
    canvas.Text(x, area.top + area.height / 2, y_title, "middle", 12, "#333", -90);
  }
}

}  // namespace aif
