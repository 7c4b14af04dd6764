// The statistics of drift on binned distributions, as pure functions of
// counts: the population stability index (PSI), a two-sample Kolmogorov-
// Smirnov statistic read off the binned CDFs, total variation, and the KS
// critical value. Counts arrive all-reduced (exact integers), so every rank
// and every number of ranks computes the same numbers. The formulas, their
// accuracy and the default thresholds are in docs/monitoring.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace aif {

// Every decision threshold of `aif drift`, each an option of the job.
struct DriftThresholds {
  double psi_epsilon = 1e-4;  // floor of a bin's share in PSI (empty bins)
  double psi_moderate = 0.1;  // PSI in [moderate, drift): "moderate"
  double psi_drift = 0.2;     // PSI >= this: drift
  double ks_drift = 0.1;      // binned KS >= this (and significant at ks_alpha): drift
  double ks_alpha = 0.01;     // significance level of the KS and PSI critical values
  double drift_share = 0.3;   // dataset drift: drifted features / features >= this
  double mean_shift = 0.5;    // regression: |mean difference| / reference std >= this: drift

  // Throws kUsage naming the option (as --psi-drift etc.) when out of range.
  void Validate() const;
  nlohmann::json ToJson() const;
};

enum class DriftLevel { kNone, kModerate, kDrift };
const char* DriftLevelName(DriftLevel level);  // "none", "moderate", "drift"

// PSI = sum_b (q_b - p_b) * ln(q_b / p_b), where p_b and q_b are the shares
// of the reference and the current counts in bin b, each floored at
// `epsilon` (so an empty bin contributes a large but finite term). Both
// vectors have the same length; a total of zero gives 0.
double Psi(const std::vector<double>& reference, const std::vector<double>& current, double epsilon);

// max_b |Q_b - P_b| over the cumulative shares after each bin: the two-sample
// KS statistic evaluated at the bin edges only, so a lower bound of the exact
// statistic, short of it by at most the largest single-bin share.
double BinnedKs(const std::vector<double>& reference, const std::vector<double>& current);

// 1/2 * sum_b |q_b - p_b|, in [0, 1].
double TotalVariation(const std::vector<double>& reference, const std::vector<double>& current);

// c(alpha) * sqrt((n + m) / (n * m)) with c(alpha) = sqrt(-ln(alpha / 2) / 2):
// the asymptotic two-sample KS critical value for sample sizes n and m.
double KsCriticalValue(double alpha, int64_t n, int64_t m);

// PSI of two samples of n and m rows over k bins drawn from one
// distribution is about (k - 1) * (1/n + 1/m) by chance alone (its chi-square
// approximation); drift.json reports it so small samples are read with care.
double PsiNoiseFloor(int64_t bins, int64_t n, int64_t m);

// The chi-square distribution's upper-alpha quantile with df >= 1 degrees of
// freedom (Wilson-Hilferty; within 1 % of the exact value for alpha in
// [1e-4, 0.5]).
double ChiSquareUpperQuantile(double alpha, int64_t df);

// The PSI two samples of n and m rows over k bins from one distribution
// exceed only with probability alpha: chi2_{k-1}(alpha) * (1/n + 1/m), from
// the same chi-square approximation. PSI at or below it is sampling noise.
double PsiCriticalValue(double alpha, int64_t bins, int64_t n, int64_t m);

}  // namespace aif
