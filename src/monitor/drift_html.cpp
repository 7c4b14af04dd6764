#include "monitor/drift_html.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"
#include "eval/html_page.h"
#include "eval/report_charts.h"
#include "eval/svg_chart.h"
#include "monitor/drift_charts.h"

namespace aif {
namespace {

using nlohmann::json;

constexpr size_t kTableFeatures = 50;
constexpr size_t kMaxLineageRows = 1000;

// Rules of this page only, after BaseReportStyle(): the verdict badge, the
// warning box, drifted cells; tiles sit below the verdict, keys are wider.
const char* kStyle = R"CSS(
.verdict { display: inline-block; padding: 6px 14px; border-radius: 6px; font-weight: 700; color: #fff; }
.verdict.drift { background: #c0392b; } .verdict.no_drift { background: #2e7d32; }
.warn { background: #fff4e5; border: 1px solid #f5c07a; border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
.tiles { margin: 14px 0 8px; }
td.drift { color: #c0392b; font-weight: 600; } td.moderate { color: #b35c00; }
table.kv th { width: 260px; }
)CSS";

std::string Metric(const json& object, const char* key) {
  const std::optional<double> v = NumberAt(object, key);
  if (!v) return "";
  return FieldAt(object, key).is_number_integer() ? FormatCount(*v) : FormatMetric(*v);
}

std::string Percent(const json& object, const char* key) {
  const std::optional<double> v = NumberAt(object, key);
  return v ? Format("%.1f%%", 100 * *v) : "";
}

std::string YesNo(const json& object, const char* key) {
  const json& v = FieldAt(object, key);
  return v.is_boolean() ? (v.get<bool>() ? "<b>yes</b>" : "no") : "";
}

// "a / b", or whichever of the two exists.
std::string Pair(const std::string& a, const std::string& b) {
  return a.empty() || b.empty() ? a + b : a + " / " + b;
}

void KvRow(std::string& out, const std::string& key, const std::string& html) {
  if (!html.empty()) out += "<tr><th>" + HtmlEscape(key) + "</th><td>" + html + "</td></tr>";
}

std::string Code(const std::string& text) { return text.empty() ? "" : "<code>" + HtmlEscape(text) + "</code>"; }

std::string Tile(const std::string& key, const std::string& value) {
  if (value.empty()) return "";
  return "<div class=\"tile\"><div class=\"k\">" + HtmlEscape(key) + "</div><div class=\"v\">" + value + "</div></div>";
}

std::string Figure(const std::string& title, const std::string& caption, const std::string& body) {
  return "<figure><h3>" + HtmlEscape(title) + "</h3>" +
         (caption.empty() ? "" : "<p class=\"cap\">" + HtmlEscape(caption) + "</p>") + body + "</figure>";
}

std::string Tiles(const json& report) {
  const json& summary = FieldAt(report, "summary");
  std::string drifted = Metric(summary, "drifted");
  if (!drifted.empty() && NumberAt(summary, "features")) drifted += " / " + Metric(summary, "features");
  std::string out = Tile("drifted features", drifted) + Tile("share drifted", Percent(summary, "share")) +
                    Tile("max PSI", Metric(summary, "max_psi"));
  const json& predictions = FieldAt(report, "predictions");
  out += Tile(StringAt(predictions, "kind") == "classes" ? "prediction PSI" : "prediction shift (std)",
              Metric(predictions, StringAt(predictions, "kind") == "classes" ? "psi" : "mean_shift"));
  const json& labels = FieldAt(report, "labels");
  out += Tile(StringAt(labels, "kind") == "classes" ? "label PSI" : "label shift (std)",
              Metric(labels, StringAt(labels, "kind") == "classes" ? "psi" : "mean_shift"));
  return out.empty() ? "" : "<section class=\"tiles\">" + out + "</section>";
}

std::string SummaryTable(const json& report) {
  const json& summary = FieldAt(report, "summary");
  const json& t = FieldAt(report, "thresholds");
  const json& model = FieldAt(report, "model");
  const json& data = FieldAt(report, "data");
  std::string rows;
  KvRow(rows, "Verdict", HtmlEscape(StringAt(report, "verdict")));
  KvRow(rows, "Task", HtmlEscape(StringAt(report, "task")));
  KvRow(rows, "Rows (new / reference)", Pair(Metric(report, "rows"), Metric(report, "reference_rows")));
  KvRow(rows, "Features drifted / moderate", Pair(Metric(summary, "drifted"), Metric(summary, "moderate")));
  KvRow(rows, "Dataset drift", YesNo(summary, "dataset_drift"));
  KvRow(rows, "Constant in the reference", Metric(summary, "constant_in_reference"));
  const std::string max_psi = Metric(summary, "max_psi");
  KvRow(rows, "Highest PSI",
        max_psi.empty() ? "" : max_psi + " (" + HtmlEscape(StringAt(summary, "max_psi_feature")) + ")");
  KvRow(rows, "KS critical value", Metric(summary, "ks_critical"));
  KvRow(rows, "PSI critical value", Metric(summary, "psi_critical"));
  KvRow(rows, "PSI expected by chance", Metric(summary, "psi_noise"));
  KvRow(rows, "Prediction drift", YesNo(FieldAt(report, "predictions"), "drifted"));
  if (report.is_object() && report.contains("labels")) {
    KvRow(rows, "Label shift",
          FieldAt(report, "labels").is_null() ? "no labels in the data" : YesNo(FieldAt(report, "labels"), "drifted"));
  }
  std::string th;
  if (t.is_object()) {
    auto c = [&](const char* key) { return NumberAt(t, key) ? FormatCompact(*NumberAt(t, key)) : std::string("?"); };
    th = Format("PSI &ge; %s drift, &ge; %s moderate (&epsilon; %s); KS &ge; %s; each above its critical value at "
                "&alpha; = %s; dataset drift at &ge; %s of features; regression mean shift &ge; %s std",
                c("psi_drift").c_str(), c("psi_moderate").c_str(), c("psi_epsilon").c_str(), c("ks_drift").c_str(),
                c("ks_alpha").c_str(), Percent(t, "drift_share").c_str(), c("mean_shift").c_str());
  }
  KvRow(rows, "Thresholds", th);
  KvRow(rows, "Model", Code(StringAt(model, "path")));
  KvRow(rows, "Model spec", Code(StringAt(model, "spec")));
  KvRow(rows, "Parameters SHA-256", Code(StringAt(model, "params_sha256")));
  KvRow(rows, "Data", Code(StringAt(data, "path")) +
                         (StringAt(data, "split").empty() ? "" : " split " + HtmlEscape(StringAt(data, "split"))));
  const json& timing = FieldAt(report, "timing");
  KvRow(rows, "Timing", NumberAt(timing, "seconds") ? Metric(timing, "seconds") + " s" : "");
  KvRow(rows, "Created (UTC)", HtmlEscape(StringAt(report, "created_utc")));
  return "<table class=\"kv\"><tbody>" + rows + "</tbody></table>";
}

std::string FeatureTable(const json& report) {
  const json& features = FieldAt(report, "features");
  if (!features.is_array() || features.empty()) return Note("No per-feature results.");
  std::vector<std::pair<double, size_t>> order;
  for (size_t i = 0; i < features.size(); ++i) order.emplace_back(NumberAt(features[i], "psi").value_or(0), i);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (order.size() > kTableFeatures) order.resize(kTableFeatures);
  std::string out = "<table><thead><tr><th>feature</th><th class=\"n\">PSI</th><th class=\"n\">KS</th><th>level</th>"
                    "<th class=\"n\">below / above range</th><th class=\"n\">mean (ref &rarr; new)</th>"
                    "<th class=\"n\">std (ref &rarr; new)</th></tr></thead><tbody>";
  for (const auto& [psi, i] : order) {
    const json& f = features[i];
    const std::string level = StringAt(f, "level");
    const bool constant = FieldAt(f, "reference_constant") == true;
    out += "<tr><td>" + HtmlEscape(StringAt(f, "name")) + (constant ? " <i>(constant)</i>" : "") +
           "</td><td class=\"n\">" + Metric(f, "psi") + "</td><td class=\"n\">" + Metric(f, "ks") + "</td><td class=\"" +
           HtmlEscape(level) + "\">" + HtmlEscape(level) + "</td><td class=\"n\">" + Percent(f, "below_range") + " / " +
           Percent(f, "above_range") + "</td><td class=\"n\">" + Metric(f, "reference_mean") + " &rarr; " +
           Metric(f, "mean") + "</td><td class=\"n\">" + Metric(f, "reference_std") + " &rarr; " + Metric(f, "std") +
           "</td></tr>";
  }
  out += "</tbody></table>";
  if (features.size() > kTableFeatures) {
    out += Note(Format("The %zu features with the highest PSI of %zu; drift.json has them all.", kTableFeatures,
                       features.size()));
  }
  return out;
}

std::string MomentsTable(const json& report) {
  std::string out = "<table><thead><tr><th></th><th class=\"n\">mean</th><th class=\"n\">std</th><th class=\"n\">min"
                    "</th><th class=\"n\">max</th><th class=\"n\">shift (ref std)</th><th class=\"n\">out of range</th>"
                    "<th>drift</th></tr></thead><tbody>";
  const json& p = FieldAt(report, "predictions");
  const json& any = p.is_object() ? p : FieldAt(report, "labels");
  out += "<tr><td>reference targets (train)</td><td class=\"n\">" + Metric(any, "reference_mean") + "</td><td class=\"n\">" +
         Metric(any, "reference_std") + "</td><td class=\"n\">" + Metric(any, "reference_min") + "</td><td class=\"n\">" +
         Metric(any, "reference_max") + "</td><td></td><td></td><td></td></tr>";
  for (const auto& [key, name] : {std::pair<const char*, const char*>{"predictions", "predictions on new data"},
                                  {"labels", "new targets"}}) {
    const json& s = FieldAt(report, key);
    if (!s.is_object()) continue;
    out += "<tr><td>" + std::string(name) + "</td><td class=\"n\">" + Metric(s, "mean") + "</td><td class=\"n\">" +
           Metric(s, "std") + "</td><td class=\"n\">" + Metric(s, "min") + "</td><td class=\"n\">" + Metric(s, "max") +
           "</td><td class=\"n\">" + Metric(s, "mean_shift") + "</td><td class=\"n\">" + Percent(s, "out_of_range") +
           "</td><td>" + YesNo(s, "drifted") + "</td></tr>";
  }
  return out + "</tbody></table>";
}

void Flatten(const json& value, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
  if (out.size() > kMaxLineageRows) return;
  if (value.is_object() && !value.empty()) {
    for (auto it = value.begin(); it != value.end(); ++it) Flatten(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
  } else if (value.is_array() && !value.empty()) {
    for (size_t i = 0; i < value.size(); ++i) Flatten(value[i], path + "[" + std::to_string(i) + "]", out);
  } else {
    out.emplace_back(path.empty() ? "(value)" : path, value.is_string() ? value.get<std::string>() : value.dump());
  }
}

std::string LineageTable(const json& report) {
  std::vector<std::pair<std::string, std::string>> rows;
  Flatten(FieldAt(report, "lineage"), "", rows);
  if (rows.empty() || (rows.size() == 1 && rows[0].second == "null")) return Note("No lineage recorded.");
  std::string out = "<table class=\"lineage\"><thead><tr><th>key</th><th>value</th></tr></thead><tbody>";
  for (size_t i = 0; i < std::min(rows.size(), kMaxLineageRows); ++i) {
    out += "<tr><td><code>" + HtmlEscape(rows[i].first) + "</code></td><td>" + Code(rows[i].second) + "</td></tr>";
  }
  return out + "</tbody></table>";
}

}  // namespace

std::string RenderDriftHtml(const json& report) {
  const std::string verdict = StringAt(report, "verdict");
  const bool drift = verdict == "drift";
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + HtmlEscape("aif drift report: " + (verdict.empty() ? std::string("?") : verdict)) +
          "</title>\n<style>" + BaseReportStyle() + kStyle + "</style>\n</head>\n<body>\n<main>\n";
  html += "<header><h1>Drift report</h1><div class=\"sub\">";
  std::vector<std::string> sub;
  if (!StringAt(report, "task").empty()) sub.push_back(StringAt(report, "task"));
  if (NumberAt(report, "rows")) sub.push_back(FormatCount(*NumberAt(report, "rows")) + " rows");
  if (!StringAt(report, "created_utc").empty()) sub.push_back("created " + StringAt(report, "created_utc"));
  for (size_t i = 0; i < sub.size(); ++i) html += (i ? " &middot; " : "") + HtmlEscape(sub[i]);
  html += "</div></header>\n";
  html += "<span class=\"verdict " + std::string(drift ? "drift" : "no_drift") + "\">" +
          (drift ? "DRIFT" : verdict.empty() ? "NO VERDICT" : "NO DRIFT") + "</span>\n";
  const json& warnings = FieldAt(report, "warnings");
  if (warnings.is_array()) {
    for (const json& w : warnings) {
      if (w.is_string()) html += "<div class=\"warn\">" + HtmlEscape(w.get<std::string>()) + "</div>\n";
    }
  }
  html += Tiles(report) + "\n";
  html += "<h2>Summary</h2>\n" + SummaryTable(report) + "\n";
  html += "<h2>Features</h2>\n<section class=\"figures\">";
  html += Figure("PSI of the top features",
                 "The features with the highest population stability index; dashed lines mark the moderate and "
                 "drift thresholds.",
                 PsiBarsFigure(report, kDriftPsiBars));
  const json& histograms = FieldAt(report, "histograms");
  if (histograms.is_array()) {
    for (size_t i = 0; i < std::min(histograms.size(), kDriftHistogramFigures); ++i) {
      const json& h = histograms[i];
      html += Figure("Histogram: " + StringAt(h, "name"),
                     "Share of rows per reference bin (train split) and in the new data; the end bins hold values "
                     "below the reference minimum and above its maximum. PSI " + Metric(h, "psi") + ".",
                     FeatureHistogramFigure(h));
    }
  }
  html += "</section>\n";
  html += "<h2>Predictions and labels</h2>\n";
  if (StringAt(report, "task") == "regression") {
    html += MomentsTable(report);
  } else {
    html += "<section class=\"figures\">" +
            Figure("Class shares", "The train split's label distribution (the reference), the model's predicted "
                   "classes on the new data, and the new data's labels when it has them.",
                   ClassSharesFigure(report)) + "</section>";
  }
  html += "\n<h2>Top features</h2>\n" + FeatureTable(report) + "\n";
  html += "<h2>Lineage</h2>\n" + LineageTable(report) + "\n";
  html += "<footer>Written by aif drift. Self-contained: no scripts, fonts or network access.</footer>\n";
  html += "</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace aif
