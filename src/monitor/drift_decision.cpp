#include "monitor/drift_decision.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace aif {

DriftLevel FeatureLevel(double psi, double ks, const DriftCriticalValues& critical, const DriftThresholds& t) {
  const bool psi_significant = psi > critical.psi, ks_significant = ks >= critical.ks;
  if ((psi >= t.psi_drift && psi_significant) || (ks >= t.ks_drift && ks_significant)) return DriftLevel::kDrift;
  if (psi >= t.psi_moderate && psi_significant) return DriftLevel::kModerate;
  return DriftLevel::kNone;
}

void MeasureFeature(FeatureDrift* f, const DriftCriticalValues& critical, const DriftThresholds& t) {
  f->psi = Psi(f->reference_counts, f->counts, t.psi_epsilon);
  f->ks = BinnedKs(f->reference_counts, f->counts);
  f->level = FeatureLevel(f->psi, f->ks, critical, t);
  const double n = std::accumulate(f->counts.begin(), f->counts.end(), 0.0);
  f->below = n > 0 && !f->counts.empty() ? f->counts.front() / n : 0;
  f->above = n > 0 && !f->counts.empty() ? f->counts.back() / n : 0;
}

DistributionShift CompareClasses(const std::vector<std::string>& class_names, const std::vector<double>& reference,
                                 const ClassCounts& current, const DriftThresholds& t) {
  DistributionShift s;
  s.available = true;
  s.classification = true;
  s.class_names = class_names;
  s.reference_counts = reference;
  s.counts = current.Counts();
  s.count = current.total();
  s.psi = Psi(s.reference_counts, s.counts, t.psi_epsilon);
  s.total_variation = TotalVariation(s.reference_counts, s.counts);
  const double reference_total = std::accumulate(reference.begin(), reference.end(), 0.0);
  const double critical = PsiCriticalValue(t.ks_alpha, static_cast<int64_t>(reference.size()), s.count,
                                           static_cast<int64_t>(reference_total));
  s.drifted = s.count > 0 && s.psi >= t.psi_drift && s.psi > critical;
  return s;
}

DistributionShift CompareMoments(double reference_mean, double reference_std, double reference_min,
                                 double reference_max, const ValueMoments& current, const DriftThresholds& t) {
  DistributionShift s;
  s.available = true;
  s.classification = false;
  s.count = current.count();
  s.reference_mean = reference_mean;
  s.reference_std = reference_std;
  s.reference_min = reference_min;
  s.reference_max = reference_max;
  s.mean = current.Mean();
  s.std = current.Std();
  s.min = current.min();
  s.max = current.max();
  s.out_of_range = s.count > 0 ? static_cast<double>(current.out_of_range()) / static_cast<double>(s.count) : 0;
  const double diff = s.mean - reference_mean;
  if (reference_std > 0) {
    s.mean_shift = diff / reference_std;
    s.drifted = std::fabs(s.mean_shift) >= t.mean_shift;
  } else {
    // A constant reference target: no scale to measure a shift in; any change
    // of the mean beyond float32 rounding of the target is drift.
    const double tolerance = 1e-6 * std::max(1.0, std::fabs(reference_mean));
    s.mean_shift = std::fabs(diff) <= tolerance ? 0.0 : std::nan("");
    s.drifted = !(std::fabs(diff) <= tolerance);
  }
  if (s.count == 0) s.drifted = false;
  return s;
}

DriftSummary Summarise(const std::vector<FeatureDrift>& features, const DriftCriticalValues& critical,
                       double psi_noise, const DriftThresholds& t) {
  DriftSummary s;
  s.features = static_cast<int64_t>(features.size());
  s.ks_critical = critical.ks;
  s.psi_critical = critical.psi;
  s.psi_noise = psi_noise;
  for (const FeatureDrift& f : features) {
    if (f.drifted()) s.drifted++;
    if (f.level == DriftLevel::kModerate) s.moderate++;
    if (f.reference_constant) s.constant_in_reference++;
    if (s.max_psi_feature.empty() || f.psi > s.max_psi) {
      s.max_psi = f.psi;
      s.max_psi_feature = f.name;
    }
  }
  s.share = s.features > 0 ? static_cast<double>(s.drifted) / static_cast<double>(s.features) : 0;
  s.dataset_drift = s.features > 0 && s.share >= t.drift_share;
  return s;
}

void Decide(DriftResult* r) {
  r->drift = r->summary.dataset_drift || (r->predictions.available && r->predictions.drifted) ||
             (r->labels.available && r->labels.drifted);
}

std::vector<int64_t> TopFeaturesByPsi(const std::vector<FeatureDrift>& features, size_t n) {
  std::vector<int64_t> order(features.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return features[a].psi > features[b].psi; });
  if (order.size() > n) order.resize(n);
  return order;
}

}  // namespace aif
