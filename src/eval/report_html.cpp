#include "eval/report_html.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"
#include "eval/html_page.h"
#include "eval/report_charts.h"
#include "eval/svg_chart.h"

namespace aif {
namespace {

using nlohmann::json;

constexpr size_t kMaxLineageRows = 1000;  // a runaway lineage must not bloat the page

// Rules of this page only, after BaseReportStyle(): zebra rows, the lineage
// key column, full-width figures.
const char* kStyle = R"CSS(
tbody tr:nth-child(even) td { background: #fafbfc; }
table.lineage th:first-child { width: 34%; }
figure.wide { flex: 1 1 100%; }
)CSS";

// JSON integers (counts) print in full, other numbers with 4 significant digits.
std::string Metric(const json& object, const char* key) {
  const std::optional<double> v = NumberAt(object, key);
  if (!v) return "";
  return object[key].is_number_integer() ? FormatCount(*v) : FormatMetric(*v);
}

// One row of a key/value table; `html` is already escaped. Empty values are left out.
void KvRow(std::string& out, const std::string& key, const std::string& html) {
  if (html.empty()) return;
  out += "<tr><th>" + HtmlEscape(key) + "</th><td>" + html + "</td></tr>";
}

std::string Code(const std::string& text) {
  return text.empty() ? "" : "<code>" + HtmlEscape(text) + "</code>";
}

std::string TopK(const json& report) {
  const json& top_k = FieldAt(report, "top_k");
  if (!top_k.is_object()) return "";
  std::vector<std::pair<double, std::string>> items;
  for (auto it = top_k.begin(); it != top_k.end(); ++it) {
    if (!it.value().is_number()) continue;
    items.emplace_back(ParseDouble(it.key()).value_or(1e9),
                       "top-" + HtmlEscape(it.key()) + " " + FormatMetric(it.value().get<double>()));
  }
  std::sort(items.begin(), items.end());
  std::vector<std::string> parts;
  for (auto& item : items) parts.push_back(item.second);
  return Join(parts, " &middot; ");
}

bool IsRegression(const json& report) { return StringAt(report, "task") == "regression"; }

std::string Tiles(const json& report) {
  std::vector<std::pair<const char*, std::string>> tiles;
  if (IsRegression(report)) {
    tiles = {{"MAE", Metric(report, "mae")}, {"RMSE", Metric(report, "rmse")}, {"R\u00b2", Metric(report, "r2")}};
  } else {
    tiles = {{"accuracy", Metric(report, "accuracy")},
             {"macro F1", Metric(report, "macro_f1")},
             {"loss", Metric(report, "loss")},
             {"ECE", Metric(FieldAt(report, "calibration"), "ece")}};
  }
  std::string out;
  for (const auto& [name, value] : tiles) {
    if (!value.empty()) out += "<div class=\"tile\"><div class=\"k\">" + HtmlEscape(name) +
                               "</div><div class=\"v\">" + value + "</div></div>";
  }
  return out.empty() ? "" : "<section class=\"tiles\">" + out + "</section>";
}

std::string SummaryTable(const json& report) {
  std::string rows;
  KvRow(rows, "Task", HtmlEscape(StringAt(report, "task")));
  KvRow(rows, "Split", HtmlEscape(StringAt(report, "split")));
  KvRow(rows, "Samples", NumberAt(report, "samples") ? FormatCount(*NumberAt(report, "samples")) : "");
  if (IsRegression(report)) {
    KvRow(rows, "MAE", Metric(report, "mae"));
    KvRow(rows, "RMSE", Metric(report, "rmse"));
    KvRow(rows, "R\u00b2", Metric(report, "r2"));
  } else {
    KvRow(rows, "Accuracy", Metric(report, "accuracy"));
    KvRow(rows, "Top-k accuracy", TopK(report));
    KvRow(rows, "Loss", Metric(report, "loss"));
    KvRow(rows, "Macro F1", Metric(report, "macro_f1"));
    KvRow(rows, "Weighted F1", Metric(report, "weighted_f1"));
    KvRow(rows, "Expected calibration error", Metric(FieldAt(report, "calibration"), "ece"));
  }
  const json& model = FieldAt(report, "model");
  const json& dataset = FieldAt(report, "dataset");
  KvRow(rows, "Model spec", Code(StringAt(model, "spec")));
  KvRow(rows, "Model file", Code(StringAt(model, "path")));
  KvRow(rows, "Parameters SHA-256", Code(StringAt(model, "params_sha256")));
  KvRow(rows, "Dataset", Code(StringAt(dataset, "path")));
  KvRow(rows, "Dataset fingerprint", Code(StringAt(dataset, "fingerprint")));
  const json& timing = FieldAt(report, "timing");
  if (NumberAt(timing, "seconds")) {
    std::string t = Metric(timing, "seconds") + " s";
    if (NumberAt(timing, "samples_per_s")) t += " (" + Metric(timing, "samples_per_s") + " samples/s)";
    KvRow(rows, "Evaluation time", t);
  }
  KvRow(rows, "Created (UTC)", HtmlEscape(StringAt(report, "created_utc")));
  if (rows.empty()) return Note("The report holds none of the summary fields.");
  return "<table class=\"kv\"><tbody>" + rows + "</tbody></table>";
}

std::string PerClassTable(const json& report) {
  const json& rows = FieldAt(report, "per_class");
  if (!rows.is_array() || rows.empty()) return Note("No per-class metrics in this report.");
  std::string out =
      "<table><thead><tr><th class=\"n\">#</th><th>class</th><th class=\"n\">precision</th>"
      "<th class=\"n\">recall</th><th class=\"n\">F1</th><th class=\"n\">support</th></tr></thead><tbody>";
  const std::vector<std::string> names = ClassNames(report, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string name = StringAt(rows[i], "name").empty() ? names[i] : StringAt(rows[i], "name");
    out += "<tr><td class=\"n\">" + std::to_string(i) + "</td><td>" + HtmlEscape(name) + "</td>";
    for (const char* key : {"precision", "recall", "f1", "support"}) {
      const std::optional<double> number = NumberAt(rows[i], key);
      const std::string v = !number ? "" : key == std::string("support") ? FormatCount(*number) : FormatMetric(*number);
      out += "<td class=\"n\">" + (v.empty() ? "&ndash;" : v) + "</td>";
    }
    out += "</tr>";
  }
  return out + "</tbody></table>";
}

// Nested objects and arrays become key paths: "source.files[0].sha256".
void Flatten(const json& value, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
  if (out.size() > kMaxLineageRows) return;
  if (value.is_object() && !value.empty()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      Flatten(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
    }
  } else if (value.is_array() && !value.empty()) {
    for (size_t i = 0; i < value.size(); ++i) Flatten(value[i], path + "[" + std::to_string(i) + "]", out);
  } else {
    out.emplace_back(path.empty() ? "(value)" : path, value.is_string() ? value.get<std::string>() : value.dump());
  }
}

std::string LineageTable(const json& report) {
  const json& lineage = FieldAt(report, "lineage");
  if (lineage.is_null() || (lineage.is_object() && lineage.empty())) {
    return Note("No lineage recorded in this report.");
  }
  std::vector<std::pair<std::string, std::string>> rows;
  Flatten(lineage, "", rows);
  std::string out = "<table class=\"lineage\"><thead><tr><th>key</th><th>value</th></tr></thead><tbody>";
  for (size_t i = 0; i < std::min(rows.size(), kMaxLineageRows); ++i) {
    out += "<tr><td><code>" + HtmlEscape(rows[i].first) + "</code></td><td>" + Code(rows[i].second) + "</td></tr>";
  }
  out += "</tbody></table>";
  if (rows.size() > kMaxLineageRows) out += Note(Format("Only the first %zu entries are shown.", kMaxLineageRows));
  return out;
}

std::string Figure(const std::string& title, const std::string& caption, const std::string& body,
                   bool wide) {
  return std::string(wide ? "<figure class=\"wide\">" : "<figure>") + "<h3>" + HtmlEscape(title) +
         "</h3>" + (caption.empty() ? "" : "<p class=\"cap\">" + HtmlEscape(caption) + "</p>") + body +
         "</figure>";
}

std::string Figures(const json& report, const json& records) {
  std::string out = "<section class=\"figures\">";
  if (IsRegression(report)) {
    out += Figure("Residual quantiles", "Residual at each quantile level; the dashed line is zero.",
                  ResidualQuantilesFigure(report), true);
  } else {
    out += Figure("Confusion matrix",
                  "Rows are the true class, columns the prediction; cells hold counts, coloured by "
                  "their share of the row.",
                  ConfusionMatrixFigure(report), false);
    const std::string ece = Metric(FieldAt(report, "calibration"), "ece");
    out += Figure("Reliability",
                  "Accuracy against confidence per bin; bars below count the samples per bin." +
                      (ece.empty() ? std::string() : " ECE " + ece + "."),
                  ReliabilityFigure(report), false);
  }
  out += Figure("Learning curves", "From the training run's metrics.jsonl; dotted lines mark the final test value.",
                LearningCurvesFigure(records), true);
  if (!IsRegression(report)) {
    out += Figure("Per-class precision, recall and F1", "", PerClassBarsFigure(report), true);
  }
  return out + "</section>";
}

}  // namespace

std::string RenderReportHtml(const json& report, const json& metrics_records) {
  const std::string task = StringAt(report, "task").empty() ? "evaluation" : StringAt(report, "task");
  const std::string split = StringAt(report, "split");
  std::vector<std::string> sub = {task};
  if (!split.empty()) sub.push_back(split + " split");
  if (NumberAt(report, "samples")) sub.push_back(FormatCount(*NumberAt(report, "samples")) + " samples");
  if (!StringAt(report, "created_utc").empty()) sub.push_back("created " + StringAt(report, "created_utc"));
  std::string spec = StringAt(FieldAt(report, "model"), "spec");

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + HtmlEscape("aif evaluation report: " + task + (split.empty() ? "" : " (" + split + ")")) +
          "</title>\n<style>" + BaseReportStyle() + kStyle + "</style>\n</head>\n<body>\n<main>\n";
  html += "<header><h1>Evaluation report</h1><div class=\"sub\">";
  for (size_t i = 0; i < sub.size(); ++i) html += (i ? " &middot; " : "") + HtmlEscape(sub[i]);
  if (!spec.empty()) html += "<br>model <code>" + HtmlEscape(spec) + "</code>";
  html += "</div></header>\n";
  html += Tiles(report) + "\n";
  html += "<h2>Summary</h2>\n" + SummaryTable(report) + "\n";
  html += "<h2>Figures</h2>\n" + Figures(report, metrics_records) + "\n";
  if (!IsRegression(report)) html += "<h2>Per-class metrics</h2>\n" + PerClassTable(report) + "\n";
  html += "<h2>Lineage</h2>\n" + LineageTable(report) + "\n";
  html += "<footer>Written by aif evaluate. Self-contained: no scripts, fonts or network access.</footer>\n";
  html += "</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace aif
