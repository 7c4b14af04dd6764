// Feature statistics against values computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "data/feature_stats.h"

namespace aif {
namespace {

TEST(FeatureStats, MomentsHistogramAndQuantiles) {
  // Feature 0: 1..100. Feature 1: constant 5. Feature 2: 1e6 + (i % 2).
  const int64_t n = 100, F = 3;
  std::vector<float> x(n * F);
  std::vector<int32_t> y(n);
  for (int64_t i = 0; i < n; ++i) {
    x[i * F + 0] = static_cast<float>(i + 1);
    x[i * F + 1] = 5.0f;
    x[i * F + 2] = 1e6f + static_cast<float>(i % 2);
    y[i] = static_cast<int32_t>(i % 4);
  }
  FeatureStatsBuilder b(F, Task::kClassification, 4);
  b.AddMoments(x.data(), y.data(), 60);  // batching must not matter
  b.AddMoments(x.data() + 60 * F, y.data() + 60, 40);
  b.FinishMoments();
  b.AddHistogram(x.data(), n);
  FeatureStats st = b.Finish();
  EXPECT_EQ(st.count, 100);
  EXPECT_NEAR(st.mean[0], 50.5, 1e-9);
  EXPECT_NEAR(st.std[0], std::sqrt((100.0 * 100 - 1) / 12), 1e-9);  // population std of 1..n
  EXPECT_EQ(st.min[0], 1);
  EXPECT_EQ(st.max[0], 100);
  EXPECT_EQ(st.std[1], 0);
  EXPECT_NEAR(st.mean[2], 1e6 + 0.5, 1e-6);
  EXPECT_NEAR(st.std[2], 0.5, 1e-9);  // shifted sums keep this exact
  // Histogram: every value counted once, edges span [min, max].
  uint64_t total = 0;
  for (int64_t k = 0; k < st.hist_bins; ++k) total += st.hist_counts[k];
  EXPECT_EQ(total, 100u);
  EXPECT_EQ(st.hist_edges[0], 1);
  EXPECT_EQ(st.hist_edges[st.hist_bins], 100);
  EXPECT_EQ(st.hist_counts[1 * st.hist_bins + 0], 100u);  // a constant feature: all in bin 0
  // Quantiles within one fine bin of the exact order statistics.
  const auto& levels = st.quantile_levels;
  const int64_t Q = static_cast<int64_t>(levels.size());
  for (int64_t q = 0; q < Q; ++q) {
    double exact = 1 + levels[q] * 99;
    EXPECT_NEAR(st.quantiles[q], exact, 1.5) << "level " << levels[q];
    EXPECT_EQ(st.quantiles[1 * Q + q], 5);
  }
  EXPECT_EQ(st.quantiles[0], 1);
  EXPECT_EQ(st.quantiles[Q - 1], 100);
  EXPECT_EQ(st.label_counts, (std::vector<int64_t>{25, 25, 25, 25}));
}

TEST(FeatureStats, RegressionLabels) {
  std::vector<uint8_t> x = {0, 10, 20, 30};
  std::vector<float> y = {1, 2, 3, 4};
  FeatureStatsBuilder b(1, Task::kRegression, 0);
  b.AddMoments(x.data(), y.data(), 4);
  b.FinishMoments();
  b.AddHistogram(x.data(), 4);
  FeatureStats st = b.Finish();
  EXPECT_DOUBLE_EQ(st.label_mean, 2.5);
  EXPECT_DOUBLE_EQ(st.label_std, std::sqrt(1.25));
  EXPECT_EQ(st.label_min, 1);
  EXPECT_EQ(st.label_max, 4);
  EXPECT_DOUBLE_EQ(st.mean[0], 15);
}

}  // namespace
}  // namespace aif
