// Regression models learn standardised targets: the model's output transform
// (y = z * scale + offset) in Forward and Backward, its copy to another
// model, its validation, and its round trip through model files (where it is
// covered by the content checksum) and checkpoints (where its absence, in
// older files, means the identity).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <limits>
#include <vector>

#include "checkpoint/checkpoint_file.h"
#include "core/error.h"
#include "data/feature_stats.h"
#include "kernels_test_util.h"
#include "nn/model.h"
#include "nn/model_file.h"
#include "support/test_util.h"
#include "train/train_state.h"

namespace aif {
namespace {

using kernel_test::RandomTensor;

constexpr OutputTransform kPrices{2.5e4f, 3.0e5f};

std::unique_ptr<Model> SmallRegressor(const OutputTransform& t) {
  auto m = Model::Build("mlp 4-6-1 relu", {4}, 1);
  m->Initialize(11);
  m->set_output_transform(t);
  return m;
}

std::vector<float> Values(const Tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.numel()); }

TEST(OutputTransform, ForwardMapsTheStandardisedOutputToTheTargetsUnits) {
  auto plain = SmallRegressor(OutputTransform());
  auto priced = SmallRegressor(kPrices);
  const Tensor x = RandomTensor({9, 4}, 5);
  PassContext ctx;
  const std::vector<float> z = Values(plain->Forward(x, ctx));
  const std::vector<float> y = Values(priced->Forward(x, ctx));
  ASSERT_EQ(y.size(), z.size());
  for (size_t i = 0; i < z.size(); ++i) EXPECT_FLOAT_EQ(y[i], z[i] * kPrices.scale + kPrices.offset) << i;
  // The identity model's output is untouched by the other model's transform.
  EXPECT_EQ(Values(plain->Forward(x, ctx)), z);
}

TEST(OutputTransform, BackwardIsTheChainRuleThroughTheScale) {
  auto plain = SmallRegressor(OutputTransform());
  auto priced = SmallRegressor(kPrices);
  const Tensor x = RandomTensor({7, 4}, 6);
  const Tensor dy = RandomTensor({7, 1}, 7);
  Tensor dz = Tensor::Empty({7, 1});
  for (int64_t i = 0; i < 7; ++i) dz.data<float>()[i] = dy.data<float>()[i] * kPrices.scale;
  PassContext ctx;
  plain->Forward(x, ctx);
  plain->Backward(dz, ctx, nullptr);
  priced->Forward(x, ctx);
  const std::vector<float> dy_before = Values(dy);
  priced->Backward(dy, ctx, nullptr);
  EXPECT_EQ(Values(dy), dy_before) << "Backward must not modify the caller's gradient";
  const std::vector<float> want = Values(plain->grads()), got = Values(priced->grads());
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6 * (1 + std::fabs(want[i]))) << i;
}

TEST(OutputTransform, CopiesWithTheModelAndRejectsBadValues) {
  auto priced = SmallRegressor(kPrices);
  auto copy = priced->CopyTo(DeviceType::kCpu);
  EXPECT_EQ(copy->output_transform().scale, kPrices.scale);
  EXPECT_EQ(copy->output_transform().offset, kPrices.offset);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const OutputTransform& bad : {OutputTransform{0.0f, 1.0f}, OutputTransform{-2.0f, 0.0f},
                                     OutputTransform{nan, 0.0f}, OutputTransform{1.0f, nan}}) {
    EXPECT_TRUE(kernel_test::ThrowsError([&] { priced->set_output_transform(bad); }, ErrorKind::kUsage,
                                         {"output transform"}));
  }
  EXPECT_EQ(priced->output_transform().scale, kPrices.scale) << "a rejected transform must not be applied";
}

ModelMetadata RegressionMetadata() {
  ModelMetadata meta;
  meta.schema.task = Task::kRegression;
  meta.schema.sample_shape = {4};
  meta.schema.feature_names = {"a", "b", "c", "d"};
  std::vector<float> rows(40 * 4);
  std::vector<float> targets(40);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(i % 13);
  for (size_t i = 0; i < targets.size(); ++i) targets[i] = 3.0e5f + static_cast<float>(i) * 100;
  FeatureStatsBuilder stats(4, Task::kRegression, 0);
  stats.AddMoments(rows.data(), targets.data(), 40);
  stats.FinishMoments();
  stats.AddHistogram(rows.data(), 40);
  meta.reference_stats = stats.Finish();
  meta.normalization = "none";
  meta.norm_offset = {0, 0, 0, 0};
  meta.norm_scale = {1, 1, 1, 1};
  meta.dataset_fingerprint = "f00d";
  return meta;
}

TEST(OutputTransform, ModelFileRoundTripAndChecksum) {
  testing::TempDir dir;
  auto priced = SmallRegressor(kPrices);
  WriteModelFile(dir.File("m.h5"), *priced, RegressionMetadata());
  LoadedModel loaded = ReadModelFile(dir.File("m.h5"));
  EXPECT_EQ(loaded.model->output_transform().scale, kPrices.scale);
  EXPECT_EQ(loaded.model->output_transform().offset, kPrices.offset);
  const Tensor x = RandomTensor({5, 4}, 8);
  PassContext ctx;
  EXPECT_EQ(Values(loaded.model->Forward(x, ctx)), Values(priced->Forward(x, ctx)));
  EXPECT_EQ(DescribeModelFile(dir.File("m.h5"))["output_transform"]["offset"].get<float>(), kPrices.offset);

  // An identity transform is not written, so such files read as before.
  WriteModelFile(dir.File("plain.h5"), *SmallRegressor(OutputTransform()), RegressionMetadata());
  EXPECT_TRUE(ReadModelFile(dir.File("plain.h5")).model->output_transform().identity());
  EXPECT_FALSE(DescribeModelFile(dir.File("plain.h5")).contains("output_transform"));

  // A changed scale no longer matches the content checksum.
  hid_t file = H5Fopen(dir.File("m.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  hid_t attr = H5Aopen(file, "output_scale", H5P_DEFAULT);
  ASSERT_GE(attr, 0);
  const double tampered = 1.0;
  ASSERT_GE(H5Awrite(attr, H5T_NATIVE_DOUBLE, &tampered), 0);
  H5Aclose(attr);
  H5Fclose(file);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ReadModelFile(dir.File("m.h5")); }, ErrorKind::kData,
                                       {"output transform", "checksum"}));
}

TEST(OutputTransform, CheckpointsRecordItAndOlderOnesMeanTheIdentity) {
  Checkpoint c;
  c.meta["output_transform"] = {{"scale", kPrices.scale}, {"offset", kPrices.offset}};
  const OutputTransform t = OutputTransformFromCheckpoint(c);
  EXPECT_EQ(t.scale, kPrices.scale);
  EXPECT_EQ(t.offset, kPrices.offset);
  EXPECT_TRUE(OutputTransformFromCheckpoint(Checkpoint()).identity());
}

}  // namespace
}  // namespace aif
