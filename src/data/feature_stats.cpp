#include "data/feature_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace aif {

const std::vector<double>& FeatureStatsBuilder::QuantileLevels() {
  static const std::vector<double> levels = {0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0};
  return levels;
}

FeatureStatsBuilder::FeatureStatsBuilder(int64_t num_features, Task task, int64_t num_classes)
    : F_(num_features), task_(task) {
  // Fine bins: a multiple of kHistBins, bounded so the table stays < ~64 MiB.
  int64_t per_feature = std::clamp<int64_t>((int64_t{16} << 20) / std::max<int64_t>(F_, 1), kHistBins, 4096);
  fine_bins_ = per_feature / kHistBins * kHistBins;
  shift_.assign(F_, 0.0);
  sum_.assign(F_, 0.0);
  sumsq_.assign(F_, 0.0);
  min_.assign(F_, std::numeric_limits<double>::infinity());
  max_.assign(F_, -std::numeric_limits<double>::infinity());
  if (task_ == Task::kClassification) label_counts_.assign(num_classes, 0);
  label_min_ = std::numeric_limits<double>::infinity();
  label_max_ = -std::numeric_limits<double>::infinity();
}

template <typename T>
void FeatureStatsBuilder::AddMoments(const T* rows, const void* labels, int64_t n) {
  AIF_CHECK(pass_ == 1, "AddMoments after FinishMoments");
  for (int64_t i = 0; i < n; ++i) {
    const T* row = rows + i * F_;
    if (count_ == 0 && i == 0) {
      // Shifted sums keep the variance accurate when |mean| >> std.
      for (int64_t f = 0; f < F_; ++f) shift_[f] = static_cast<double>(row[f]);
    }
    for (int64_t f = 0; f < F_; ++f) {
      double x = static_cast<double>(row[f]);
      double d = x - shift_[f];
      sum_[f] += d;
      sumsq_[f] += d * d;
      min_[f] = std::min(min_[f], x);
      max_[f] = std::max(max_[f], x);
    }
    if (task_ == Task::kClassification) {
      int32_t label = static_cast<const int32_t*>(labels)[i];
      AIF_CHECK(label >= 0 && label < static_cast<int32_t>(label_counts_.size()), "label out of range");
      label_counts_[label]++;
    } else {
      double y = static_cast<const float*>(labels)[i];
      label_sum_ += y;
      label_sumsq_ += y * y;
      label_min_ = std::min(label_min_, y);
      label_max_ = std::max(label_max_, y);
    }
  }
  count_ += n;
}

void FeatureStatsBuilder::FinishMoments() {
  AIF_CHECK(pass_ == 1 && count_ > 0, "FinishMoments needs rows");
  pass_ = 2;
  fine_.assign(static_cast<size_t>(F_ * fine_bins_), 0);
}

template <typename T>
void FeatureStatsBuilder::AddHistogram(const T* rows, int64_t n) {
  AIF_CHECK(pass_ == 2, "AddHistogram before FinishMoments");
  for (int64_t i = 0; i < n; ++i) {
    const T* row = rows + i * F_;
    for (int64_t f = 0; f < F_; ++f) {
      double width = max_[f] - min_[f];
      int64_t bin = 0;
      if (width > 0) {
        bin = static_cast<int64_t>((static_cast<double>(row[f]) - min_[f]) / width * fine_bins_);
        bin = std::clamp<int64_t>(bin, 0, fine_bins_ - 1);
      }
      fine_[f * fine_bins_ + bin]++;
    }
  }
}

FeatureStats FeatureStatsBuilder::Finish() {
  AIF_CHECK(pass_ == 2, "Finish before both passes");
  FeatureStats st;
  st.count = count_;
  st.hist_bins = kHistBins;
  st.quantile_levels = QuantileLevels();
  const auto& levels = st.quantile_levels;
  const int64_t Q = static_cast<int64_t>(levels.size());
  const int64_t per_coarse = fine_bins_ / kHistBins;
  st.mean.resize(F_);
  st.std.resize(F_);
  st.min = min_;
  st.max = max_;
  st.hist_edges.resize(F_ * (kHistBins + 1));
  st.hist_counts.assign(F_ * kHistBins, 0);
  st.quantiles.resize(F_ * Q);
  const double n = static_cast<double>(count_);
  for (int64_t f = 0; f < F_; ++f) {
    double m = sum_[f] / n;
    st.mean[f] = shift_[f] + m;
    st.std[f] = std::sqrt(std::max(0.0, sumsq_[f] / n - m * m));
    double width = max_[f] - min_[f];
    for (int64_t b = 0; b <= kHistBins; ++b) {
      st.hist_edges[f * (kHistBins + 1) + b] = b == kHistBins ? max_[f] : min_[f] + width * b / kHistBins;
    }
    const uint32_t* fine = &fine_[f * fine_bins_];
    for (int64_t b = 0; b < fine_bins_; ++b) st.hist_counts[f * kHistBins + b / per_coarse] += fine[b];
    // Quantiles: walk the cumulative fine histogram, interpolate in the bin.
    int64_t bin = 0;
    uint64_t below = 0;
    for (int64_t q = 0; q < Q; ++q) {
      double target = levels[q] * n;
      while (bin < fine_bins_ - 1 && below + fine[bin] < target) below += fine[bin++];
      double frac = fine[bin] ? std::clamp((target - below) / fine[bin], 0.0, 1.0) : 0.0;
      double value = width > 0 ? min_[f] + width * (bin + frac) / fine_bins_ : min_[f];
      if (levels[q] == 0.0) value = min_[f];
      if (levels[q] == 1.0) value = max_[f];
      st.quantiles[f * Q + q] = value;
    }
  }
  if (task_ == Task::kClassification) {
    st.label_counts = label_counts_;
  } else {
    st.label_mean = label_sum_ / n;
    st.label_std = std::sqrt(std::max(0.0, label_sumsq_ / n - st.label_mean * st.label_mean));
    st.label_min = label_min_;
    st.label_max = label_max_;
  }
  return st;
}

template void FeatureStatsBuilder::AddMoments<uint8_t>(const uint8_t*, const void*, int64_t);
template void FeatureStatsBuilder::AddMoments<float>(const float*, const void*, int64_t);
template void FeatureStatsBuilder::AddHistogram<uint8_t>(const uint8_t*, int64_t);
template void FeatureStatsBuilder::AddHistogram<float>(const float*, int64_t);

}  // namespace aif
