// Drift decisions: from reduced counts and moments to a verdict per feature,
// for the model's predictions, for the labels, and for the data set as a
// whole. The rules (docs/monitoring.md):
//   feature   drift when PSI >= psi_drift, or when the binned KS statistic is
//             >= ks_drift; moderate when PSI >= psi_moderate; otherwise
//             none. Each statistic counts only above its critical value at
//             ks_alpha (an effect that is both large and not sampling noise:
//             small samples of unchanged data have a large PSI by chance);
//   data set  drift when drifted features / features >= drift_share;
//   classes   (predicted classes vs the reference label distribution, or new
//             labels vs reference labels) drift when PSI >= psi_drift and
//             above its critical value;
//   values    (regression) drift when |mean - reference mean| / reference std
//             >= mean_shift (a constant reference: any change of the mean);
//   overall   drift when the data set, the predictions or the labels drift.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "monitor/distribution_summaries.h"
#include "monitor/drift_stats.h"

namespace aif {

struct FeatureDrift {
  int64_t index = 0;
  std::string name;
  double psi = 0, ks = 0;
  DriftLevel level = DriftLevel::kNone;
  bool reference_constant = false;  // min == max over the train split
  double below = 0, above = 0;      // shares of new rows outside the reference range
  double reference_mean = 0, reference_std = 0;
  double mean = 0, std = 0, min = 0, max = 0;  // of the new data
  std::vector<double> edges;                   // the reference's K + 1 bin edges
  std::vector<double> reference_counts, counts;  // [below, b_0 .. b_{K-1}, above]
  bool drifted() const { return level == DriftLevel::kDrift; }
};

// The critical values at ks_alpha for one comparison's sample sizes: a
// statistic at or below its critical value is sampling noise.
struct DriftCriticalValues {
  double ks = 0;
  double psi = 0;
};

DriftLevel FeatureLevel(double psi, double ks, const DriftCriticalValues& critical, const DriftThresholds& t);

// Fills psi, ks, level, below, above from the counts (set beforehand).
void MeasureFeature(FeatureDrift* feature, const DriftCriticalValues& critical, const DriftThresholds& t);

// A one-dimensional comparison: class shares, or moments for regression.
struct DistributionShift {
  bool available = false;
  bool classification = true;
  int64_t count = 0;
  bool drifted = false;
  // classification
  std::vector<std::string> class_names;
  std::vector<double> reference_counts, counts;
  double psi = 0, total_variation = 0;
  // regression
  double reference_mean = 0, reference_std = 0, reference_min = 0, reference_max = 0;
  double mean = 0, std = 0, min = 0, max = 0;
  double mean_shift = 0;       // (mean - reference mean) / reference std; NaN when undefined
  double out_of_range = 0;     // share outside [reference min, reference max]
};

DistributionShift CompareClasses(const std::vector<std::string>& class_names, const std::vector<double>& reference,
                                 const ClassCounts& current, const DriftThresholds& t);
DistributionShift CompareMoments(double reference_mean, double reference_std, double reference_min,
                                 double reference_max, const ValueMoments& current, const DriftThresholds& t);

struct DriftSummary {
  int64_t features = 0, drifted = 0, moderate = 0, constant_in_reference = 0;
  double share = 0;  // drifted / features
  bool dataset_drift = false;
  double max_psi = 0;
  std::string max_psi_feature;
  double ks_critical = 0;   // at ks_alpha for these sample sizes
  double psi_critical = 0;  // likewise, for the features' PSI
  double psi_noise = 0;     // PSI expected between two samples of one distribution
};

DriftSummary Summarise(const std::vector<FeatureDrift>& features, const DriftCriticalValues& critical,
                       double psi_noise, const DriftThresholds& t);

struct DriftResult {
  std::string task;  // "classification" | "regression"
  int64_t rows = 0, reference_rows = 0;
  DriftThresholds thresholds;
  std::vector<FeatureDrift> features;  // in feature order
  DriftSummary summary;
  DistributionShift predictions;  // the model's outputs on the new data
  DistributionShift labels;       // available only when the new data has labels
  std::vector<std::string> warnings;
  bool drift = false;
};

// Sets summary-level verdicts: result->drift from the data set, the
// predictions and the labels.
void Decide(DriftResult* result);

// Feature indices sorted by PSI (descending; ties by index), at most `n`.
std::vector<int64_t> TopFeaturesByPsi(const std::vector<FeatureDrift>& features, size_t n);

}  // namespace aif
