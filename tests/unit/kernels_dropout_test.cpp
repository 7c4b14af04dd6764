// Dropout: the mask is exactly the Philox definition in ops.h, element by
// element; the kept fraction is close to 1 - p; and a row's mask depends only
// on its global sample id, so splitting a batch differently (as different
// rank counts do) gives the same masks. The backward applies the same mask
// and scale.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/ops.h"
#include "kernels_test_util.h"

namespace aif {
namespace {

using kernel_test::RandomTensor;

Tensor SampleIds(const std::vector<int64_t>& ids) {
  Tensor t = Tensor::Empty({static_cast<int64_t>(ids.size())}, DType::kI64);
  for (size_t i = 0; i < ids.size(); ++i) t.data<int64_t>()[i] = ids[i];
  return t;
}

struct DropoutResult {
  Tensor y, mask;
};

DropoutResult RunDropout(const Tensor& x, float p, uint64_t seed, uint64_t stream, const Tensor& ids) {
  DropoutResult out{Tensor::Empty(x.shape()), Tensor::Empty(x.shape(), DType::kU8)};
  ops::DropoutForward(x, p, seed, stream, ids, out.y, out.mask);
  return out;
}

TEST(KernelsDropout, MaskIsThePhiloxDefinitionElementByElement) {
  const int64_t rows = 7, cols = 33;
  const float p = 0.3f;
  const uint64_t seed = 1234, stream = 5;
  Tensor x = RandomTensor({rows, cols}, 1);
  Tensor ids = SampleIds({40, 3, 1000000007, 0, 41, 999, 12});
  DropoutResult out = RunDropout(x, p, seed, stream, ids);
  const float scale = 1.0f / (1.0f - p);
  int64_t mismatches = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      const uint64_t index = static_cast<uint64_t>(ids.data<int64_t>()[r]) * cols + j;
      const bool keep = UniformFloat(RandomBits(seed, RngPurpose::kDropout, stream, index).v[0]) >= p;
      const int64_t i = r * cols + j;
      const float want_y = keep ? x.data<float>()[i] * scale : 0.0f;
      mismatches += out.mask.data<uint8_t>()[i] != (keep ? 1 : 0) || out.y.data<float>()[i] != want_y;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(KernelsDropout, KeptFractionIsCloseToOneMinusP) {
  for (float p : {0.1f, 0.5f, 0.9f}) {
    const int64_t rows = 100, cols = 1000;
    Tensor x = kernel_test::FilledTensor({rows, cols}, 1.0f);
    std::vector<int64_t> ids(rows);
    for (int64_t r = 0; r < rows; ++r) ids[r] = r;
    DropoutResult out = RunDropout(x, p, 7, 0, SampleIds(ids));
    int64_t kept = 0;
    double sum_y = 0.0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      kept += out.mask.data<uint8_t>()[i];
      sum_y += out.y.data<float>()[i];
    }
    const double fraction = static_cast<double>(kept) / x.numel();
    // Binomial standard deviation is at most 0.0016 here; allow 5 of them.
    EXPECT_NEAR(fraction, 1.0 - p, 0.008) << "p " << p;
    EXPECT_NEAR(sum_y / x.numel(), 1.0, 0.008 / (1.0 - p)) << "p " << p << ": the scale keeps the mean";
  }
}

TEST(KernelsDropout, MaskDoesNotDependOnHowTheBatchIsSplit) {
  const int64_t cols = 17;
  Tensor x = RandomTensor({10, cols}, 3);
  std::vector<int64_t> ids = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109};
  DropoutResult whole = RunDropout(x, 0.4f, 99, 2, SampleIds(ids));
  // The same rows in two calls of five, as two ranks would process them.
  DropoutResult first = RunDropout(x.Rows(0, 5), 0.4f, 99, 2, SampleIds({ids.begin(), ids.begin() + 5}));
  DropoutResult second = RunDropout(x.Rows(5, 10), 0.4f, 99, 2, SampleIds({ids.begin() + 5, ids.end()}));
  for (int64_t i = 0; i < 5 * cols; ++i) {
    ASSERT_EQ(whole.mask.data<uint8_t>()[i], first.mask.data<uint8_t>()[i]) << i;
    ASSERT_EQ(whole.y.data<float>()[i], first.y.data<float>()[i]) << i;
    ASSERT_EQ(whole.mask.data<uint8_t>()[5 * cols + i], second.mask.data<uint8_t>()[i]) << i;
    ASSERT_EQ(whole.y.data<float>()[5 * cols + i], second.y.data<float>()[i]) << i;
  }
  // And rows are not all alike: the sample id matters.
  int64_t differing = 0;
  for (int64_t j = 0; j < cols; ++j) differing += whole.mask.data<uint8_t>()[j] != whole.mask.data<uint8_t>()[cols + j];
  EXPECT_GT(differing, 0);
}

TEST(KernelsDropout, SeedAndStreamChangeTheMask) {
  Tensor x = RandomTensor({4, 50}, 4);
  Tensor ids = SampleIds({0, 1, 2, 3});
  DropoutResult base = RunDropout(x, 0.5f, 1, 1, ids);
  DropoutResult other_seed = RunDropout(x, 0.5f, 2, 1, ids);
  DropoutResult other_stream = RunDropout(x, 0.5f, 1, 2, ids);
  int64_t seed_diff = 0, stream_diff = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    seed_diff += base.mask.data<uint8_t>()[i] != other_seed.mask.data<uint8_t>()[i];
    stream_diff += base.mask.data<uint8_t>()[i] != other_stream.mask.data<uint8_t>()[i];
  }
  EXPECT_GT(seed_diff, 50);
  EXPECT_GT(stream_diff, 50);
}

TEST(KernelsDropout, ZeroProbabilityIsTheIdentity) {
  Tensor x = RandomTensor({3, 7}, 5);
  DropoutResult out = RunDropout(x, 0.0f, 1, 1, SampleIds({0, 1, 2}));
  for (int64_t i = 0; i < x.numel(); ++i) {
    EXPECT_EQ(out.y.data<float>()[i], x.data<float>()[i]);
    EXPECT_EQ(out.mask.data<uint8_t>()[i], 1);
  }
}

TEST(KernelsDropout, InPlaceForwardMatchesOutOfPlace) {
  Tensor x = RandomTensor({5, 9}, 6);
  Tensor ids = SampleIds({9, 8, 7, 6, 5});
  DropoutResult out = RunDropout(x, 0.25f, 3, 0, ids);
  Tensor mask = Tensor::Empty(x.shape(), DType::kU8);
  ops::DropoutForward(x, 0.25f, 3, 0, ids, x, mask);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(x.data<float>()[i], out.y.data<float>()[i]);
}

TEST(KernelsDropout, BackwardAppliesTheMaskAndScale) {
  const float p = 0.35f;
  Tensor x = RandomTensor({6, 11}, 7);
  DropoutResult out = RunDropout(x, p, 8, 0, SampleIds({1, 2, 3, 4, 5, 6}));
  Tensor dy = RandomTensor(x.shape(), 9), dx = Tensor::Empty(x.shape());
  ops::DropoutBackward(dy, out.mask, p, dx);
  std::vector<double> want(x.numel());
  for (int64_t i = 0; i < x.numel(); ++i) {
    want[i] = out.mask.data<uint8_t>()[i] ? static_cast<double>(dy.data<float>()[i]) / (1.0 - p) : 0.0;
  }
  EXPECT_TRUE(kernel_test::AllClose(dx, want, 1e-7, 1e-6));
}

TEST(KernelsDropout, RejectsBadArguments) {
  Tensor x = RandomTensor({2, 3}, 1), y = Tensor::Empty({2, 3}), mask = Tensor::Empty({2, 3}, DType::kU8);
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] {
        ops::DropoutForward(x, 1.0f, 0, 0, SampleIds({0, 1}), y, mask);
      },
      ErrorKind::kInternal, {"op DropoutForward", "p must be in [0, 1)"}));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::DropoutForward(x, 0.5f, 0, 0, SampleIds({0}), y, mask); },
                                       ErrorKind::kInternal, {"sample_ids must have shape [2]"}));
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] {
        ops::DropoutForward(x, 0.5f, 0, 0, SampleIds({0, -1}), y, mask);
      },
      ErrorKind::kInternal, {"negative"}));
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] {
        ops::DropoutForward(x, 0.5f, 0, 0, SampleIds({0, 1}), y, Tensor::Empty({2, 3}));
      },
      ErrorKind::kInternal, {"mask must be u8"}));
}

}  // namespace
}  // namespace aif
