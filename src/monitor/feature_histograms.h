// Histograms of new data over a reference's bins, one per feature, filled
// batch by batch on each rank and reduced once over the ranks.
//
// Bins. The reference (the train split's FeatureStats) has K equal-width bins
// over [min, max] per feature. A value x goes to bin floor((x - min) / (max -
// min) * K), the last bin holding x = max: the rule the reference was built
// with, so the train split itself reproduces the reference counts (exactly
// when the builder's fine bins are a power of two, as for up to 4096
// features; beyond, a value within rounding of an edge may fall next door).
// Two explicit bins sit outside: "below" (x < min) and "above" (x > max, and
// NaN), so a feature's counts are [below, b_0 .. b_{K-1}, above] (K + 2); the
// reference has none there. A constant reference feature (min == max) has
// its whole mass in b_0: the same constant lands there too, anything else
// below or above it; no division by zero.
//
// Reduction. Counts are int64 and all-reduced exactly (no f32 anywhere);
// moments are sums of (x - reference min) in double, reduced with
// AllReduceDoubles; min and max likewise.
#pragma once

#include <cstdint>
#include <vector>

#include "comm/communicator.h"
#include "data/dataset_format.h"

namespace aif {

class FeatureHistograms {
 public:
  // Throws kData when the reference has no histograms or inconsistent sizes.
  explicit FeatureHistograms(const FeatureStats& reference);

  // rows: [n, F] raw features (the units of the reference); rows whose
  // `valid` is 0 are skipped (valid may be null: all rows count).
  void Add(const float* rows, int64_t n, const uint8_t* valid);
  // Collective: sums the counts and moments of every rank; once.
  void Reduce(Communicator& comm);

  int64_t num_features() const { return F_; }
  int64_t reference_bins() const { return K_; }
  int64_t bins_per_feature() const { return K_ + 2; }
  int64_t rows() const { return rows_; }
  // [below, b_0 .. b_{K-1}, above] of feature f, this rank's until Reduce.
  std::vector<double> Counts(int64_t f) const;
  // The reference's counts in the same layout (zeros below and above).
  std::vector<double> ReferenceCounts(int64_t f) const;
  // Moments over the feature's non-NaN values (NaN when there are none).
  double Mean(int64_t f) const;
  double Std(int64_t f) const;  // population std
  double Min(int64_t f) const { return min_[f]; }
  double Max(int64_t f) const { return max_[f]; }

  // The bin of x in [0, K + 2): 0 below lo, K + 1 above hi or NaN.
  static int64_t BinOf(double x, double lo, double hi, int64_t K);

 private:
  const FeatureStats& ref_;
  int64_t F_ = 0;
  int64_t K_ = 0;
  int64_t rows_ = 0;
  bool reduced_ = false;
  std::vector<double> lo_, hi_;       // reference min and max per feature
  std::vector<int64_t> counts_;       // [F, K + 2]
  std::vector<int64_t> nan_;          // NaN values per feature (counted "above", left out of the moments)
  std::vector<double> sum_, sumsq_;   // of x - lo
  std::vector<double> min_, max_;
};

}  // namespace aif
