// Per-feature statistics of a split, computed in two streaming passes so the
// data never has to fit in memory: pass 1 gives count, mean, std, min and
// max; pass 2 fills a fine histogram over [min, max] per feature, from which
// the stored coarse histogram (exact) and the quantiles (to within one fine
// bin, (max - min) / fine_bins) are derived. These are the normalisation
// constants and the drift reference of a dataset.
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset_format.h"

namespace aif {

class FeatureStatsBuilder {
 public:
  static constexpr int64_t kHistBins = 32;
  FeatureStatsBuilder(int64_t num_features, Task task, int64_t num_classes);

  // Pass 1, then pass 2, over the same rows in any order and batching.
  template <typename T>
  void AddMoments(const T* rows, const void* labels, int64_t n);
  void FinishMoments();
  template <typename T>
  void AddHistogram(const T* rows, int64_t n);
  FeatureStats Finish();

  static const std::vector<double>& QuantileLevels();

 private:
  int64_t F_;
  Task task_;
  int64_t fine_bins_;
  int pass_ = 1;
  int64_t count_ = 0;
  std::vector<double> shift_, sum_, sumsq_, min_, max_;
  std::vector<uint32_t> fine_;  // [F, fine_bins_]
  std::vector<int64_t> label_counts_;
  double label_sum_ = 0, label_sumsq_ = 0, label_min_ = 0, label_max_ = 0;
};

}  // namespace aif
