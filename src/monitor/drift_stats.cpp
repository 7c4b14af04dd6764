#include "monitor/drift_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace aif {
namespace {

double Total(const std::vector<double>& counts) { return std::accumulate(counts.begin(), counts.end(), 0.0); }

void CheckSameLength(const std::vector<double>& a, const std::vector<double>& b) {
  AIF_CHECK(a.size() == b.size(), "distributions of different lengths");
}

void CheckRange(double value, double lo, double hi, bool lo_open, const char* option) {
  const bool ok = std::isfinite(value) && (lo_open ? value > lo : value >= lo) && value <= hi;
  if (!ok) ThrowUsage("--%s must be in %s%g, %g], got %g", option, lo_open ? "(" : "[", lo, hi, value);
}

}  // namespace

void DriftThresholds::Validate() const {
  CheckRange(psi_epsilon, 0, 0.01, true, "psi-epsilon");
  CheckRange(psi_moderate, 0, 1e6, true, "psi-moderate");
  CheckRange(psi_drift, 0, 1e6, true, "psi-drift");
  if (psi_moderate > psi_drift) {
    ThrowUsage("--psi-moderate (%g) must not exceed --psi-drift (%g)", psi_moderate, psi_drift);
  }
  CheckRange(ks_drift, 0, 1, true, "ks-drift");
  CheckRange(ks_alpha, 0, 1, true, "ks-alpha");
  CheckRange(drift_share, 0, 1, true, "drift-share");
  CheckRange(mean_shift, 0, 1e6, true, "mean-shift");
}

nlohmann::json DriftThresholds::ToJson() const {
  return {{"psi_epsilon", psi_epsilon}, {"psi_moderate", psi_moderate}, {"psi_drift", psi_drift},
          {"ks_drift", ks_drift},       {"ks_alpha", ks_alpha},         {"drift_share", drift_share},
          {"mean_shift", mean_shift}};
}

const char* DriftLevelName(DriftLevel level) {
  switch (level) {
    case DriftLevel::kNone: return "none";
    case DriftLevel::kModerate: return "moderate";
    case DriftLevel::kDrift: return "drift";
  }
  return "?";
}

double Psi(const std::vector<double>& reference, const std::vector<double>& current, double epsilon) {
  CheckSameLength(reference, current);
  const double np = Total(reference), nq = Total(current);
  if (np <= 0 || nq <= 0) return 0;
  double psi = 0;
  for (size_t b = 0; b < reference.size(); ++b) {
    const double p = std::max(reference[b] / np, epsilon);
    const double q = std::max(current[b] / nq, epsilon);
    psi += (q - p) * std::log(q / p);
  }
  return psi;
}

double BinnedKs(const std::vector<double>& reference, const std::vector<double>& current) {
  CheckSameLength(reference, current);
  const double np = Total(reference), nq = Total(current);
  if (np <= 0 || nq <= 0) return 0;
  // Integer running sums keep the cumulative shares exact up to the division.
  double cp = 0, cq = 0, ks = 0;
  for (size_t b = 0; b < reference.size(); ++b) {
    cp += reference[b];
    cq += current[b];
    ks = std::max(ks, std::fabs(cq / nq - cp / np));
  }
  return ks;
}

double TotalVariation(const std::vector<double>& reference, const std::vector<double>& current) {
  CheckSameLength(reference, current);
  const double np = Total(reference), nq = Total(current);
  if (np <= 0 || nq <= 0) return 0;
  double tv = 0;
  for (size_t b = 0; b < reference.size(); ++b) tv += std::fabs(current[b] / nq - reference[b] / np);
  return tv / 2;
}

double KsCriticalValue(double alpha, int64_t n, int64_t m) {
  if (n <= 0 || m <= 0) return 1;
  const double c = std::sqrt(-std::log(alpha / 2) / 2);
  return c * std::sqrt(static_cast<double>(n + m) / (static_cast<double>(n) * static_cast<double>(m)));
}

double ChiSquareUpperQuantile(double alpha, int64_t df) {
  // z with P(Z > z) = alpha, by bisection on the normal tail.
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    if (0.5 * std::erfc(mid / std::sqrt(2.0)) > alpha) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const double z = (lo + hi) / 2, k = static_cast<double>(df);
  const double h = 2.0 / (9.0 * k);
  return k * std::pow(std::max(0.0, 1.0 - h + z * std::sqrt(h)), 3);
}

double PsiCriticalValue(double alpha, int64_t bins, int64_t n, int64_t m) {
  if (n <= 0 || m <= 0 || bins < 2) return 0;
  return ChiSquareUpperQuantile(alpha, bins - 1) * (1.0 / static_cast<double>(n) + 1.0 / static_cast<double>(m));
}

double PsiNoiseFloor(int64_t bins, int64_t n, int64_t m) {
  if (n <= 0 || m <= 0 || bins < 2) return 0;
  return static_cast<double>(bins - 1) * (1.0 / static_cast<double>(n) + 1.0 / static_cast<double>(m));
}

}  // namespace aif
