// monitor: drift statistics against hand-computed cases (PSI, binned KS,
// total variation, the KS critical value), the binning rule against the
// reference's own (the train split reproduces its histograms exactly),
// below/above-range bins, constant features, exact counts past 2^24, the
// decision rules, a whole collector run with a model, and drift.html.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "comm/communicator.h"
#include "core/rng.h"
#include "data/feature_stats.h"
#include "monitor/drift_collector.h"
#include "monitor/drift_html.h"
#include "monitor/drift_report.h"
#include "monitor/reduce_f64.h"

namespace aif {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// A reference over `rows` ([n, F] row-major) and class labels, as prepare builds it.
FeatureStats Reference(const std::vector<float>& rows, const std::vector<int32_t>& labels, int64_t F, int64_t C) {
  FeatureStatsBuilder b(F, Task::kClassification, C);
  const int64_t n = static_cast<int64_t>(labels.size());
  b.AddMoments(rows.data(), labels.data(), n);
  b.FinishMoments();
  b.AddHistogram(rows.data(), n);
  return b.Finish();
}

// n rows of 3 features: a spread one, a skewed one, and a constant (0 + shift).
std::vector<float> Rows(int64_t n, uint64_t seed, float shift = 0) {
  std::vector<float> rows;
  for (int64_t i = 0; i < n; ++i) {
    const double u = static_cast<double>((i * 7919 + seed * 104729) % 1000) / 1000.0;
    rows.push_back(static_cast<float>(10 * u + shift));
    rows.push_back(static_cast<float>(u * u * 4 + shift));
    rows.push_back(shift);
  }
  return rows;
}

TEST(DriftStats, PsiMatchesHandComputedValues) {
  // (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5)
  EXPECT_NEAR(Psi({50, 50}, {25, 75}, 1e-4), 0.25 * std::log(2.0) + 0.25 * std::log(1.5), 1e-12);
  EXPECT_EQ(Psi({3, 5, 2}, {30, 50, 20}, 1e-4), 0.0);  // same shares, other totals
  // An empty reference bin is floored at epsilon: large but finite.
  const double eps = 1e-4;
  EXPECT_NEAR(Psi({100, 0}, {50, 50}, eps), (0.5 - 1) * std::log(0.5) + (0.5 - eps) * std::log(0.5 / eps), 1e-12);
  // Shares below epsilon contribute nothing: one stray value in 10^4 is not drift.
  EXPECT_NEAR(Psi({10000, 0}, {9999, 1}, eps), (0.9999 - 1) * std::log(0.9999), 1e-12);
  EXPECT_EQ(Psi({0, 0}, {1, 2}, eps), 0.0);
}

TEST(DriftStats, BinnedKsTotalVariationAndCriticalValue) {
  // Cumulative shares .25 .5 .75 1 against .5 .75 1 1.
  EXPECT_DOUBLE_EQ(BinnedKs({1, 1, 1, 1}, {2, 1, 1, 0}), 0.25);
  EXPECT_DOUBLE_EQ(BinnedKs({0, 10, 0}, {0, 10, 0}), 0.0);
  EXPECT_DOUBLE_EQ(BinnedKs({0, 10, 0}, {0, 0, 7}), 1.0);  // every value moved above the range
  EXPECT_DOUBLE_EQ(TotalVariation({1, 1}, {3, 1}), 0.25);
  // c(0.05) = sqrt(-ln(0.025) / 2) = 1.35810...
  EXPECT_NEAR(KsCriticalValue(0.05, 100, 100), 1.358102 * std::sqrt(0.02), 1e-6);
  EXPECT_NEAR(PsiNoiseFloor(32, 1000, 1000), 31 * 0.002, 1e-12);
}

TEST(DriftStats, ThresholdsAreValidated) {
  DriftThresholds t;
  EXPECT_NO_THROW(t.Validate());
  t.psi_moderate = 0.3;  // above psi_drift
  EXPECT_THROW(t.Validate(), Error);
  t = DriftThresholds();
  t.drift_share = 0;
  EXPECT_THROW(t.Validate(), Error);
  t = DriftThresholds();
  t.ks_alpha = kNan;
  EXPECT_THROW(t.Validate(), Error);
}

TEST(DriftHistograms, BinRuleHasExplicitOutsideBins) {
  // [0, 10] in 5 bins: below = 0, b_0..b_4 = 1..5 (10 itself in b_4), above = 6.
  EXPECT_EQ(FeatureHistograms::BinOf(-0.001, 0, 10, 5), 0);
  EXPECT_EQ(FeatureHistograms::BinOf(0, 0, 10, 5), 1);
  EXPECT_EQ(FeatureHistograms::BinOf(1.999, 0, 10, 5), 1);
  EXPECT_EQ(FeatureHistograms::BinOf(2, 0, 10, 5), 2);
  EXPECT_EQ(FeatureHistograms::BinOf(10, 0, 10, 5), 5);
  EXPECT_EQ(FeatureHistograms::BinOf(10.001, 0, 10, 5), 6);
  EXPECT_EQ(FeatureHistograms::BinOf(kNan, 0, 10, 5), 6);
  // A constant reference: the constant in b_0, anything else outside; no division.
  EXPECT_EQ(FeatureHistograms::BinOf(3, 3, 3, 32), 1);
  EXPECT_EQ(FeatureHistograms::BinOf(2.5, 3, 3, 32), 0);
  EXPECT_EQ(FeatureHistograms::BinOf(3.5, 3, 3, 32), 33);
}

TEST(DriftHistograms, TrainDataReproducesTheReferenceExactly) {
  const std::vector<float> rows = Rows(5000, 1);
  const FeatureStats ref = Reference(rows, std::vector<int32_t>(5000, 0), 3, 2);
  FeatureHistograms h(ref);
  h.Add(rows.data(), 2000, nullptr);  // in two batches, as ranks would
  h.Add(rows.data() + 2000 * 3, 3000, nullptr);
  std::unique_ptr<Communicator> comm = MakeLocalCommunicator();
  h.Reduce(*comm);
  EXPECT_EQ(h.rows(), 5000);
  for (int64_t f = 0; f < 3; ++f) {
    EXPECT_EQ(h.Counts(f), h.ReferenceCounts(f)) << "feature " << f;
    EXPECT_EQ(Psi(h.ReferenceCounts(f), h.Counts(f), 1e-4), 0.0);
    EXPECT_EQ(BinnedKs(h.ReferenceCounts(f), h.Counts(f)), 0.0);
    EXPECT_NEAR(h.Mean(f), ref.mean[f], 1e-9 * (1 + std::fabs(ref.mean[f])));
    EXPECT_NEAR(h.Std(f), ref.std[f], 1e-9 * (1 + ref.std[f]));
  }
}

TEST(DriftHistograms, ValuesOutsideTheRangeAndPaddingRows) {
  const std::vector<float> rows = Rows(1000, 2);
  const FeatureStats ref = Reference(rows, std::vector<int32_t>(1000, 1), 3, 2);
  FeatureHistograms h(ref);
  const std::vector<float> outside = {-5, 100, 0, 50, -1, 0, 3, 1, 0};
  const std::vector<uint8_t> valid = {1, 1, 0};  // the last row is padding
  h.Add(outside.data(), 3, valid.data());
  EXPECT_EQ(h.rows(), 2);
  const std::vector<double> f0 = h.Counts(0), f1 = h.Counts(1);
  EXPECT_EQ(f0.front(), 1);  // -5 below
  EXPECT_EQ(f0.back(), 1);   // 50 above
  EXPECT_EQ(f1.front(), 1);  // -1 below
  EXPECT_EQ(f1.back(), 1);   // 100 above
  EXPECT_EQ(h.Min(0), -5);
  EXPECT_EQ(h.Max(0), 50);
  EXPECT_DOUBLE_EQ(h.Mean(0), 22.5);
}

TEST(DriftHistograms, CountsPast2To24StayExact) {
  std::vector<float> one = {1.0f, 2.0f};
  FeatureStatsBuilder b(1, Task::kClassification, 1);
  const std::vector<int32_t> labels = {0, 0};
  b.AddMoments(one.data(), labels.data(), 2);
  b.FinishMoments();
  b.AddHistogram(one.data(), 2);
  const FeatureStats ref = b.Finish();
  FeatureHistograms h(ref);
  const std::vector<float> block(1 << 20, 2.0f);
  for (int i = 0; i < 16; ++i) h.Add(block.data(), static_cast<int64_t>(block.size()), nullptr);
  h.Add(one.data(), 1, nullptr);
  std::unique_ptr<Communicator> comm = MakeLocalCommunicator();
  h.Reduce(*comm);
  const int64_t n = (int64_t{1} << 24) + 1;  // not representable in f32
  EXPECT_EQ(h.rows(), n);
  EXPECT_EQ(h.Counts(0)[1], 1);
  EXPECT_EQ(static_cast<int64_t>(h.Counts(0)[ref.hist_bins]), n - 1);
}

FeatureDrift Feature(std::vector<double> ref, std::vector<double> cur) {
  FeatureDrift f;
  f.reference_counts = std::move(ref);
  f.counts = std::move(cur);
  return f;
}

TEST(DriftDecision, ConstantFeatures) {
  const DriftThresholds t;
  // Constant in the reference and still the same constant: no drift.
  FeatureDrift same = Feature({0, 1000, 0, 0}, {0, 400, 0, 0});
  MeasureFeature(&same, {0.05, 0.01}, t);
  EXPECT_EQ(same.psi, 0.0);
  EXPECT_EQ(same.ks, 0.0);
  EXPECT_EQ(same.level, DriftLevel::kNone);
  // The constant moved: all mass above the range.
  FeatureDrift moved = Feature({0, 1000, 0, 0}, {0, 0, 0, 400});
  MeasureFeature(&moved, {0.05, 0.01}, t);
  EXPECT_EQ(moved.level, DriftLevel::kDrift);
  EXPECT_EQ(moved.above, 1.0);
  EXPECT_EQ(moved.ks, 1.0);
}

TEST(DriftDecision, LevelsAndDatasetShare) {
  const DriftThresholds t;  // 0.1 moderate, 0.2 drift, KS 0.1
  const DriftCriticalValues large_samples{0.03, 0.01};
  EXPECT_EQ(FeatureLevel(0.05, 0.02, large_samples, t), DriftLevel::kNone);
  EXPECT_EQ(FeatureLevel(0.15, 0.02, large_samples, t), DriftLevel::kModerate);
  EXPECT_EQ(FeatureLevel(0.2, 0.02, large_samples, t), DriftLevel::kDrift);
  EXPECT_EQ(FeatureLevel(0.05, 0.12, large_samples, t), DriftLevel::kDrift);  // large and significant KS
  EXPECT_EQ(FeatureLevel(0.05, 0.12, {0.25, 0.01}, t), DriftLevel::kNone);    // large but within sampling noise
  // Small samples: a PSI of 0.27 is noise when 0.3 is its critical value.
  const DriftCriticalValues small_samples{0.2, 0.3};
  EXPECT_EQ(FeatureLevel(0.27, 0.1, small_samples, t), DriftLevel::kNone);
  EXPECT_EQ(FeatureLevel(0.35, 0.1, small_samples, t), DriftLevel::kDrift);
  std::vector<FeatureDrift> features(10);
  for (int i = 0; i < 10; ++i) features[i].name = "f" + std::to_string(i);
  features[4].level = features[7].level = DriftLevel::kDrift;
  features[4].psi = 0.9;
  EXPECT_FALSE(Summarise(features, {0.1, 0.01}, 0, t).dataset_drift);  // 2 of 10 < 0.3
  features[1].level = DriftLevel::kDrift;
  const DriftSummary s = Summarise(features, {0.1, 0.01}, 0, t);
  EXPECT_TRUE(s.dataset_drift);
  EXPECT_EQ(s.drifted, 3);
  EXPECT_DOUBLE_EQ(s.share, 0.3);
  EXPECT_EQ(s.max_psi_feature, "f4");
  EXPECT_EQ(TopFeaturesByPsi(features, 2), (std::vector<int64_t>{4, 0}));
}

// The PSI critical value: chi-square quantiles (exact values from tables),
// and unchanged data at a small sample size stays below it while a shift
// of the same size does not.
TEST(DriftStats, PsiCriticalValueSeparatesNoiseFromShift) {
  EXPECT_NEAR(ChiSquareUpperQuantile(0.01, 1), 6.635, 6.635 * 0.01);
  EXPECT_NEAR(ChiSquareUpperQuantile(0.01, 2), 9.210, 9.210 * 0.01);
  EXPECT_NEAR(ChiSquareUpperQuantile(0.01, 31), 52.19, 52.19 * 0.01);
  EXPECT_NEAR(ChiSquareUpperQuantile(0.05, 9), 16.92, 16.92 * 0.01);
  EXPECT_NEAR(PsiCriticalValue(0.01, 32, 300, 400), 52.19 * (1.0 / 300 + 1.0 / 400), 0.01 * 0.31);
  EXPECT_EQ(PsiCriticalValue(0.01, 32, 0, 400), 0.0);
  // 300 new rows of the reference distribution over 32 equal bins, drawn
  // with a fixed generator: PSI by chance well above psi_drift's 0.2 is
  // possible, and the decision must not call it drift.
  const DriftThresholds t;
  uint64_t state = 12345;
  auto uniform = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  int flagged = 0;
  for (int trial = 0; trial < 50; ++trial) {
    FeatureDrift f = Feature(std::vector<double>(34, 400.0 / 32), std::vector<double>(34, 0.0));
    f.reference_counts.front() = f.reference_counts.back() = 0;
    for (int i = 0; i < 300; ++i) f.counts[1 + static_cast<int>(uniform() * 32)] += 1;
    MeasureFeature(&f, {KsCriticalValue(t.ks_alpha, 300, 400), PsiCriticalValue(t.ks_alpha, 32, 300, 400)}, t);
    flagged += f.drifted();
  }
  EXPECT_LE(flagged, 2) << "unchanged data called drift in " << flagged << " of 50 small samples";
  // Half the mass moved to the upper half of the range: drift at this size too.
  FeatureDrift moved = Feature(std::vector<double>(34, 400.0 / 32), std::vector<double>(34, 0.0));
  moved.reference_counts.front() = moved.reference_counts.back() = 0;
  for (int i = 0; i < 300; ++i) moved.counts[17 + static_cast<int>(uniform() * 16)] += 1;
  MeasureFeature(&moved, {KsCriticalValue(t.ks_alpha, 300, 400), PsiCriticalValue(t.ks_alpha, 32, 300, 400)}, t);
  EXPECT_TRUE(moved.drifted());
}

TEST(DriftDecision, ClassesAndMoments) {
  const DriftThresholds t;
  ClassCounts same(2), skewed(2);
  for (int i = 0; i < 100; ++i) same.Add(i % 2);
  for (int i = 0; i < 100; ++i) skewed.Add(i < 90 ? 0 : 1);
  EXPECT_FALSE(CompareClasses({"a", "b"}, {500, 500}, same, t).drifted);
  const DistributionShift s = CompareClasses({"a", "b"}, {500, 500}, skewed, t);
  EXPECT_NEAR(s.psi, 0.4 * std::log(1.8) - 0.4 * std::log(0.2), 1e-12);
  EXPECT_NEAR(s.total_variation, 0.4, 1e-12);
  EXPECT_TRUE(s.drifted);
  EXPECT_THROW(same.Add(2), Error);

  ValueMoments near(0, 20, 0), far(0, 20, 0), constant(5, 5, 5);
  for (double v : {9.0, 11.0, 10.0, 10.4}) near.Add(v);  // mean 10.1
  for (double v : {11.0, 11.4, 30.0}) far.Add(v);          // mean 17.47, 30 out of range
  EXPECT_FALSE(CompareMoments(10, 2, 0, 20, near, t).drifted);
  const DistributionShift m = CompareMoments(10, 2, 0, 20, far, t);
  EXPECT_TRUE(m.drifted);
  EXPECT_NEAR(m.mean_shift, (52.4 / 3 - 10) / 2, 1e-9);
  EXPECT_NEAR(m.out_of_range, 1.0 / 3, 1e-12);
  for (int i = 0; i < 3; ++i) constant.Add(5);
  EXPECT_FALSE(CompareMoments(5, 0, 5, 5, constant, t).drifted);  // no division by a zero std
}

TEST(DriftReduce, LocalIsTheIdentity) {
  std::unique_ptr<Communicator> comm = MakeLocalCommunicator();
  std::vector<double> v = {1e300, -0.1, 3.0};
  AllReduceDoubles(*comm, &v, ReduceOp::kSum);
  EXPECT_EQ(v, (std::vector<double>{1e300, -0.1, 3.0}));
}

// A whole run: model metadata with a reference, a model, new data with labels.
struct DriftFixture {
  ModelMetadata meta;
  std::unique_ptr<Model> model;
  DriftFixture() {
    const std::vector<float> rows = Rows(4000, 3);
    std::vector<int32_t> labels(4000);
    for (int i = 0; i < 4000; ++i) labels[i] = rows[i * 3] > 5 ? 1 : 0;
    meta.schema.task = Task::kClassification;
    meta.schema.sample_shape = {3};
    meta.schema.feature_names = {"spread", "a<b&\"skew\"", "constant"};
    meta.schema.class_names = {"low", "high"};
    meta.reference_stats = Reference(rows, labels, 3, 2);
    meta.norm_offset = {5, 1, 0};
    meta.norm_scale = {0.2f, 0.5f, 1};
    // A linear model that predicts the label: class 1 when (x0 - 5) * 0.2 > 0.
    model = Model::Build("mlp 3-2", {3}, 2);
    const std::vector<float> params = {-1, 0, 0, 1, 0, 0, 0, 0};  // weight [2, 3], bias [2]
    AIF_CHECK(model->num_params() == 8, "mlp 3-2 has 8 parameters");
    std::copy(params.begin(), params.end(), model->params().data<float>());
  }
  DriftResult Run(float shift, bool with_labels) {
    const std::vector<float> rows = Rows(3000, 4, shift);
    std::vector<int32_t> labels(3000);
    for (int i = 0; i < 3000; ++i) labels[i] = rows[i * 3] > 5 ? 1 : 0;
    DriftCollector c(meta, model.get(), with_labels);
    c.Add(rows.data(), 3000, nullptr, with_labels ? labels.data() : nullptr, nullptr);
    std::unique_ptr<Communicator> comm = MakeLocalCommunicator();
    c.Reduce(*comm);
    return c.Finish(DriftThresholds());
  }
};

TEST(DriftCollector, UnchangedDataHasNoDriftAndShiftedDataHas) {
  DriftFixture fx;
  const DriftResult same = fx.Run(0, true);
  EXPECT_FALSE(same.drift);
  EXPECT_EQ(same.rows, 3000);
  EXPECT_EQ(same.summary.drifted, 0);
  EXPECT_EQ(same.summary.constant_in_reference, 1);
  EXPECT_TRUE(same.predictions.available);
  EXPECT_EQ(same.predictions.count, 3000);
  EXPECT_EQ(same.predictions.counts, same.labels.counts);  // the model predicts the label
  EXPECT_TRUE(same.labels.available);
  EXPECT_LT(same.labels.psi, 0.01);
  EXPECT_TRUE(same.warnings.empty());

  const DriftResult shifted = fx.Run(3, false);
  EXPECT_TRUE(shifted.drift);
  EXPECT_TRUE(shifted.summary.dataset_drift);
  EXPECT_TRUE(shifted.features[0].drifted());
  EXPECT_TRUE(shifted.features[2].drifted());  // the constant moved from 0 to 3
  EXPECT_FALSE(shifted.labels.available);

  const nlohmann::json j = DriftResultToJson(shifted);
  EXPECT_EQ(j["format"], kDriftFormatName);
  EXPECT_EQ(j["verdict"], "drift");
  EXPECT_EQ(j["features"].size(), 3u);
  EXPECT_TRUE(j["labels"].is_null());
  EXPECT_EQ(j["histograms"][0]["counts"].size(), static_cast<size_t>(FeatureStatsBuilder::kHistBins + 2));
}

TEST(DriftHtml, SelfContainedEscapedWithCharts) {
  DriftFixture fx;
  nlohmann::json j = DriftResultToJson(fx.Run(3, true));
  j["model"] = {{"path", "https://example.org/m.h5"}, {"spec", "mlp 3-2"}};
  const std::string html = RenderDriftHtml(j);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("DRIFT"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("a<b"), std::string::npos);
  EXPECT_NE(html.find("a&lt;b&amp;"), std::string::npos);
  size_t svgs = 0;
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) ++svgs;
  EXPECT_EQ(svgs, 1 + 3 + 1u);  // PSI bars, three histograms, class shares
  // Lenient: an empty report renders a page with notes, not an exception.
  EXPECT_NE(RenderDriftHtml(nlohmann::json::object()).find("</html>"), std::string::npos);
}

}  // namespace
}  // namespace aif
