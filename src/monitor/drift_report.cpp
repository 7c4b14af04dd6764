#include "monitor/drift_report.h"

#include <cmath>

#include "core/atomic_file.h"
#include "core/fs.h"
#include "monitor/drift_html.h"

namespace aif {
namespace {

using nlohmann::json;

// JSON has no NaN or infinity: such values are written as null.
json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json Counts(const std::vector<double>& counts) {
  json out = json::array();
  for (double c : counts) out.push_back(static_cast<int64_t>(c));
  return out;
}

json FeatureRow(const FeatureDrift& f) {
  return {{"index", f.index},
          {"name", f.name},
          {"psi", Num(f.psi)},
          {"ks", Num(f.ks)},
          {"level", DriftLevelName(f.level)},
          {"drifted", f.drifted()},
          {"reference_constant", f.reference_constant},
          {"below_range", Num(f.below)},
          {"above_range", Num(f.above)},
          {"reference_mean", Num(f.reference_mean)},
          {"reference_std", Num(f.reference_std)},
          {"mean", Num(f.mean)},
          {"std", Num(f.std)},
          {"min", Num(f.min)},
          {"max", Num(f.max)}};
}

json ShiftJson(const DistributionShift& s, const char* reference) {
  if (!s.available) return nullptr;
  json j = {{"count", s.count}, {"drifted", s.drifted}, {"reference", reference}};
  if (s.classification) {
    j["kind"] = "classes";
    j["class_names"] = s.class_names;
    j["reference_counts"] = Counts(s.reference_counts);
    j["counts"] = Counts(s.counts);
    j["psi"] = Num(s.psi);
    j["total_variation"] = Num(s.total_variation);
  } else {
    j["kind"] = "moments";
    j["reference_mean"] = Num(s.reference_mean);
    j["reference_std"] = Num(s.reference_std);
    j["reference_min"] = Num(s.reference_min);
    j["reference_max"] = Num(s.reference_max);
    j["mean"] = Num(s.mean);
    j["std"] = Num(s.std);
    j["min"] = Num(s.min);
    j["max"] = Num(s.max);
    j["mean_shift"] = Num(s.mean_shift);
    j["out_of_range"] = Num(s.out_of_range);
  }
  return j;
}

}  // namespace

json DriftResultToJson(const DriftResult& r) {
  json j;
  j["format"] = kDriftFormatName;
  j["format_version"] = kDriftFormatVersion;
  j["verdict"] = r.drift ? "drift" : "no_drift";
  j["drift"] = r.drift;
  j["task"] = r.task;
  j["rows"] = r.rows;
  j["reference_rows"] = r.reference_rows;
  j["thresholds"] = r.thresholds.ToJson();
  const DriftSummary& s = r.summary;
  j["summary"] = {{"features", s.features},
                  {"drifted", s.drifted},
                  {"moderate", s.moderate},
                  {"share", Num(s.share)},
                  {"dataset_drift", s.dataset_drift},
                  {"constant_in_reference", s.constant_in_reference},
                  {"max_psi", Num(s.max_psi)},
                  {"max_psi_feature", s.max_psi_feature},
                  {"ks_critical", Num(s.ks_critical)},
                  {"psi_critical", Num(s.psi_critical)},
                  {"psi_noise", Num(s.psi_noise)}};
  json rows = json::array();
  for (const FeatureDrift& f : r.features) rows.push_back(FeatureRow(f));
  j["features"] = std::move(rows);
  json hist = json::array();
  for (int64_t i : TopFeaturesByPsi(r.features, kDriftHistogramFeatures)) {
    const FeatureDrift& f = r.features[i];
    hist.push_back({{"index", f.index},
                    {"name", f.name},
                    {"psi", Num(f.psi)},
                    {"level", DriftLevelName(f.level)},
                    {"edges", f.edges},
                    {"reference_counts", Counts(f.reference_counts)},
                    {"counts", Counts(f.counts)}});
  }
  j["histograms"] = std::move(hist);
  const bool cls = r.task == "classification";
  j["predictions"] = ShiftJson(r.predictions, cls ? "train label distribution" : "train target moments");
  j["labels"] = ShiftJson(r.labels, cls ? "train label distribution" : "train target moments");
  j["warnings"] = r.warnings;
  return j;
}

void WriteDriftReport(const std::string& dir, const json& report) {
  MakeDirectories(dir);
  // The page first: a drift.json that exists always has its page beside it.
  WriteFileAtomic(dir + "/drift.html", RenderDriftHtml(report));
  WriteFileAtomic(dir + "/drift.json", report.dump(2) + "\n");
}

}  // namespace aif
