// eval: the self-contained HTML report and its SVG helpers. The page must be
// a complete document with no external references, escape every input text,
// and hold one <svg> per figure whose data is present.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "eval/report_html.h"
#include "eval/svg_chart.h"

namespace aif {
namespace {

using nlohmann::json;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

json ClassificationReport(size_t classes) {
  json names = json::array(), per_class = json::array(), matrix = json::array(), bins = json::array();
  for (size_t i = 0; i < classes; ++i) {
    const std::string name = i == 0 ? "T-shirt/top" : i == 1 ? "a<b&\"c\"" : "class_" + std::to_string(i);
    names.push_back(name);
    per_class.push_back({{"name", name}, {"precision", 0.9}, {"recall", 0.85}, {"f1", 0.874}, {"support", 100}});
    json row = json::array();
    for (size_t j = 0; j < classes; ++j) row.push_back(i == j ? 981 - static_cast<int>(i) : 3);
    matrix.push_back(row);
  }
  for (int b = 0; b < 10; ++b) {
    bins.push_back({{"lower", b / 10.0}, {"upper", (b + 1) / 10.0}, {"count", b * 100},
                    {"confidence", b / 10.0 + 0.05}, {"accuracy", b / 10.0}});
  }
  return {{"task", "classification"}, {"split", "test"}, {"samples", 10000},
          {"model", {{"path", "run/model.h5"}, {"spec", "mlp 784-256-10"}, {"params_sha256", "ab12cd34"}}},
          {"dataset", {{"path", "data/fmnist.h5"}, {"fingerprint", "fp-5678"}}},
          {"lineage", {{"source", {{"url", "https://example.org/x"}, {"files", {{{"sha256", "f00d"}}}}}},
                       {"seed", 7}}},
          {"timing", {{"seconds", 1.5}, {"samples_per_s", 6666.7}}}, {"created_utc", "2024-05-01T00:00:00Z"},
          {"accuracy", 0.8953}, {"loss", 0.30121}, {"top_k", {{"1", 0.8953}, {"3", 0.98}, {"5", 0.995}}},
          {"class_names", names}, {"per_class", per_class}, {"macro_f1", 0.874}, {"weighted_f1", 0.875},
          {"confusion_matrix", matrix}, {"calibration", {{"ece", 0.0213}, {"bins", bins}}}};
}

json RegressionReport() {
  return {{"task", "regression"}, {"split", "test"}, {"samples", 500}, {"mae", 0.41234}, {"rmse", 0.5678},
          {"r2", 0.8123}, {"model", {{"spec", "mlp 8-16-1"}}},
          {"residual_quantiles", {{"levels", {0.05, 0.5, 0.95}}, {"values", {-1.2, 0.01, 1.3}}}}};
}

json Records() {
  json records = json::array();
  for (int step = 10; step <= 100; step += 10) {
    json r = {{"step", step}, {"loss", 2.0 / step}};
    if (step % 50 == 0) r["val_loss"] = 2.2 / step, r["val_accuracy"] = 0.8 + step / 1000.0;
    records.push_back(r);
  }
  records.push_back({{"final", true}, {"test_loss", 0.3}, {"test_accuracy", 0.89}});
  return records;
}

void ExpectCompleteDocument(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* tag : {"<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\">", "<style>", "</style>",
                          "</head>", "<body>", "</body>"}) {
    EXPECT_EQ(Count(html, tag), 1u) << tag;
  }
  const std::string head = html.substr(0, html.find("</head>"));  // SVG tooltips are <title>s too
  EXPECT_EQ(Count(head, "<title>"), 1u);
  EXPECT_EQ(Count(head, "</title>"), 1u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(html.substr(html.find("</html>")), "</html>\n");
  EXPECT_EQ(Count(html, "<svg "), Count(html, "</svg>"));
  for (const char* forbidden : {"http://", "https://", "<script", "<link", "@import", "<iframe", "<img"}) {
    EXPECT_EQ(html.find(forbidden), std::string::npos) << forbidden;
  }
}

TEST(ReportHtml, ClassificationIsCompleteAndSelfContained) {
  const std::string html = RenderReportHtml(ClassificationReport(10), Records());
  ExpectCompleteDocument(html);
  EXPECT_EQ(Count(html, "<svg "), 4u);  // confusion, reliability, learning curves, per-class bars
  for (const char* text : {"Confusion matrix", "Reliability", "Learning curves", "Per-class", "Lineage",
                           "0.8953", "mlp 784-256-10", "ab12cd34", "fp-5678", "2024-05-01T00:00:00Z",
                           "top-5 0.9950", ">981</text>", "T-shirt/top"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
}

TEST(ReportHtml, EscapesClassNamesEverywhere) {
  const std::string html = RenderReportHtml(ClassificationReport(3), json::array());
  EXPECT_EQ(html.find("a<b"), std::string::npos);
  EXPECT_EQ(html.find("\"c\""), std::string::npos);
  EXPECT_NE(html.find("a&lt;b&amp;&quot;c&quot;"), std::string::npos);
  // Axis labels, table cell and tooltips all carry the escaped name.
  EXPECT_GE(Count(html, "a&lt;b&amp;&quot;c&quot;"), 4u);
}

TEST(ReportHtml, UrlsInDataAreTextNotLinks) {
  const std::string html = RenderReportHtml(ClassificationReport(2), json::array());
  EXPECT_NE(html.find("https&#58;//example.org/x"), std::string::npos);
  EXPECT_NE(html.find("source.files[0].sha256"), std::string::npos);  // lineage as key paths
  EXPECT_NE(html.find("source.url"), std::string::npos);
}

TEST(ReportHtml, EmptyRecordsSkipLearningCurvesWithANote) {
  const std::string html = RenderReportHtml(ClassificationReport(10), json::array());
  ExpectCompleteDocument(html);
  EXPECT_EQ(Count(html, "<svg "), 3u);
  EXPECT_NE(html.find("no learning curves"), std::string::npos);
}

TEST(ReportHtml, Regression) {
  const std::string with_records = RenderReportHtml(RegressionReport(), Records());
  ExpectCompleteDocument(with_records);
  EXPECT_EQ(Count(with_records, "<svg "), 2u);  // residual quantiles, learning curves
  for (const char* text : {"Residual quantiles", "0.4123", "0.5678", "0.8123"}) {
    EXPECT_NE(with_records.find(text), std::string::npos) << text;
  }
  EXPECT_EQ(with_records.find("Confusion matrix"), std::string::npos);
  EXPECT_EQ(with_records.find("Per-class metrics"), std::string::npos);

  const std::string without = RenderReportHtml(RegressionReport(), json::array());
  ExpectCompleteDocument(without);
  EXPECT_EQ(Count(without, "<svg "), 1u);
}

TEST(ReportHtml, OneAndManyClasses) {
  const std::string one = RenderReportHtml(ClassificationReport(1), Records());
  ExpectCompleteDocument(one);
  EXPECT_EQ(Count(one, "<svg "), 4u);

  const std::string many = RenderReportHtml(ClassificationReport(100), Records());
  ExpectCompleteDocument(many);
  EXPECT_EQ(Count(many, "<svg "), 4u);
  EXPECT_NE(many.find("shown by index"), std::string::npos);  // axis names give way to indices
  EXPECT_EQ(many.find(">class_57</text>"), std::string::npos);
  EXPECT_NE(many.find("<td>class_57</td>"), std::string::npos);
  EXPECT_LT(many.size(), 2u << 20);  // zero cells are not drawn one by one
}

TEST(ReportHtml, MalformedInputsDoNotThrow) {
  for (const json& report : {json(), json::array(), json::object(), json{{"task", 3}, {"per_class", "x"}},
                             json{{"confusion_matrix", {{1, "x"}, {2}}}, {"calibration", {{"bins", {1, 2}}}}}}) {
    for (const json& records : {json(), json::array({1, "x", json::object()}), json{{"step", 1}}}) {
      std::string html;
      EXPECT_NO_THROW(html = RenderReportHtml(report, records)) << report.dump() << " " << records.dump();
      ExpectCompleteDocument(html);
    }
  }
}

TEST(ReportHtml, NonFiniteNumbersNeverReachTheSvg) {
  const double nan = std::nan(""), inf = HUGE_VAL;
  json report = ClassificationReport(3);
  report["per_class"][0]["precision"] = nan;
  report["confusion_matrix"][1][2] = inf;
  report["calibration"]["bins"][3]["accuracy"] = nan;
  report["calibration"]["bins"][4]["count"] = inf;
  json records = Records();
  records[2]["loss"] = nan;
  records[3]["step"] = inf;
  for (const json& r : {report, RegressionReport()}) {
    json rr = r;
    if (rr["task"] == "regression") rr["residual_quantiles"]["values"][1] = nan;
    const std::string html = RenderReportHtml(rr, records);
    ExpectCompleteDocument(html);
    for (const char* bad : {"nan\"", "nan ", "nan,", ">nan<", "inf\"", "inf ", "inf,", ">inf<"}) {
      EXPECT_EQ(html.find(bad), std::string::npos) << bad;
    }
  }
}

TEST(SvgChart, FormattingAndEscaping) {
  EXPECT_EQ(FormatMetric(0.98), "0.9800");
  EXPECT_EQ(FormatMetric(0.895312), "0.8953");
  EXPECT_EQ(FormatMetric(1234.4), "1234");
  EXPECT_EQ(FormatMetric(std::nan("")), "\u2013");
  EXPECT_EQ(FormatCompact(0.02), "0.02");
  EXPECT_EQ(FormatCount(10000), "10000");
  EXPECT_EQ(FormatCount(2.5), "2.500");
  EXPECT_EQ(HtmlEscape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("see http://h and a:b"), "see http&#58;//h and a:b");
  EXPECT_EQ(Ellipsize("T-shirt/top", 6), "T-shi\u2026");
  EXPECT_EQ(Ellipsize("Bag", 6), "Bag");
}

TEST(SvgChart, NiceTicks) {
  double lo = 0, hi = 0.93;
  std::vector<double> ticks = NiceTicks(&lo, &hi, 5, true);
  const std::vector<double> want = {0, 0.2, 0.4, 0.6, 0.8, 1};
  ASSERT_EQ(ticks.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(ticks[i], want[i], 1e-12);
  EXPECT_NEAR(hi, 1, 1e-12);
  lo = 0, hi = 3368;
  ticks = NiceTicks(&lo, &hi, 6, true);
  EXPECT_EQ(ticks.front(), 0);
  EXPECT_EQ(ticks.back(), 3500);
  EXPECT_EQ(FormatTick(ticks[1], ticks[1] - ticks[0]), "500");
  EXPECT_EQ(FormatTick(0.25, 0.25), "0.25");
  lo = hi = 5;  // a flat series still gets an axis
  ticks = NiceTicks(&lo, &hi, 5, true);
  EXPECT_GE(ticks.size(), 2u);
  EXPECT_LT(lo, 5);
  EXPECT_GT(hi, 5);
}

}  // namespace
}  // namespace aif
