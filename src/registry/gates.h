// Promotion gates: a policy (an INI file, docs/store.md) and the decision it
// gives for a candidate's report against the champion's (the version the
// alias names now). Every gate reports its numbers; the candidate is promoted
// only when every gate passes.
//
//   [thresholds]            absolute bounds on report metrics (dotted paths)
//   min.accuracy = 0.88
//   max.calibration.ece = 0.05
//   [champion]              beat the champion on the same dataset and split
//   metric = accuracy
//   min_delta = 0.002       ; candidate - champion, in the better direction
//   min_relative_delta = 0  ; (candidate - champion) / |champion|
//   [per_class]             no class may regress by more than max_drop
//   metric = recall         ; precision, recall or f1
//   max_drop = 0.03
//   [lineage]
//   split = test            ; the split the candidate must be evaluated on
//   dataset = same_or_newer ; any | same | same_or_newer (than the champion's)
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace aif {

struct MetricBound {
  std::string metric;  // dotted path into report.json
  bool is_min = true;  // min.X: value >= bound; max.X: value <= bound
  double bound = 0;
};

struct PromotionPolicy {
  std::string source;  // the file it came from, for messages
  std::vector<MetricBound> thresholds;
  std::string champion_metric;  // empty: no champion gate
  double champion_min_delta = 0;
  double champion_min_relative_delta = 0;
  std::string per_class_metric;  // empty: no per-class gate
  double per_class_max_drop = 0;
  std::string required_split;      // empty: any
  std::string required_dataset = "any";  // any | same | same_or_newer
};

// Parses the INI text; throws kUsage naming the file and line.
PromotionPolicy ParsePromotionPolicy(const std::string& text, const std::string& source);
PromotionPolicy ReadPromotionPolicy(const std::string& path);

// Metric lookup by dotted path ("calibration.ece", "top_k.3"); nullopt when
// the report lacks it or it is not a number.
std::optional<double> ReportMetric(const nlohmann::json& report, const std::string& path);
// loss, mae, rmse, ece and *error* are better when lower.
bool LowerIsBetter(const std::string& metric);

struct GateResult {
  std::string gate;  // thresholds, champion, per_class, lineage
  std::string check;  // e.g. "accuracy >= 0.88"
  bool passed = false;
  std::string detail;  // the numbers, in words
  nlohmann::json ToJson() const;
};

struct PromotionDecision {
  bool promote = false;
  std::vector<GateResult> gates;
  nlohmann::json ToJson() const;
};

// The champion's reports: `on_candidate_data` on the same dataset and split
// as the candidate's (for the champion and per-class gates), `stored` the one
// registered with it (for the lineage gate). Both null when the alias names no
// version yet: those gates then pass, saying so.
struct ChampionReports {
  const nlohmann::json* on_candidate_data = nullptr;
  const nlohmann::json* stored = nullptr;
};
PromotionDecision DecidePromotion(const PromotionPolicy& policy, const nlohmann::json& candidate,
                                  const ChampionReports& champion);

}  // namespace aif
