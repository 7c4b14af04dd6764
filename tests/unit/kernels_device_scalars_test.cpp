// The ops that write their result into an f64 scalar instead of returning it
// (ops::*Into, ClipToNorm): the training step reads its loss, correct count
// and gradient norm once, so these must give exactly the returning ops' bits,
// accumulate in the order a sum of returned values would, write only their
// own element of a shared accumulator, and clip exactly as the host formula
// float(max_norm / sqrt(squared_norm)) does.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/ops.h"
#include "kernels_test_util.h"

namespace aif {
namespace {

using kernel_test::RandomTensor;

Tensor Labels(int64_t rows, int64_t classes, uint64_t seed) {
  Tensor t = Tensor::Empty({rows}, DType::kI32);
  for (int64_t r = 0; r < rows; ++r) {
    t.data<int32_t>()[r] = static_cast<int32_t>(RandomBelow(classes, seed, RngPurpose::kSynthetic, 1, r));
  }
  return t;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

// Three accumulators side by side; the ops write the middle one.
struct Accumulator {
  Tensor all = Tensor::Zeros({3}, DType::kF64);
  Tensor mid = all.View(1, {1});
  Accumulator() { all.data<double>()[0] = all.data<double>()[2] = -5.0; }
  double value() const { return all.data<double>()[1]; }
  bool neighbours_untouched() const { return all.data<double>()[0] == -5.0 && all.data<double>()[2] == -5.0; }
};

TEST(KernelsDeviceScalars, LossesAndCountGiveTheReturningOpsBits) {
  const int64_t rows = 37, classes = 10;
  Tensor valid = kernel_test::RandomMask(rows, 3);
  Tensor labels = Labels(rows, classes, 4);
  Tensor a = RandomTensor({rows, classes}, 1, -4.0f, 4.0f), b = RandomTensor({rows, classes}, 2, -4.0f, 4.0f);

  Tensor want_da = Tensor::Empty({rows, classes}), got_da = Tensor::Empty({rows, classes});
  const double loss_a = ops::SoftmaxCrossEntropy(a, labels, valid, 0.25f, want_da);
  const double loss_b = ops::SoftmaxCrossEntropy(b, labels, valid, 0.25f, Tensor());
  Accumulator loss;
  loss.all.data<double>()[1] = 123.0;  // overwritten, not added to
  ops::SoftmaxCrossEntropyInto(a, labels, valid, 0.25f, got_da, loss.mid, /*accumulate=*/false);
  EXPECT_TRUE(SameBits(loss.value(), loss_a));
  EXPECT_EQ(std::memcmp(got_da.raw(), want_da.raw(), got_da.nbytes()), 0);
  ops::SoftmaxCrossEntropyInto(b, labels, valid, 0.25f, Tensor(), loss.mid, /*accumulate=*/true);
  EXPECT_TRUE(SameBits(loss.value(), loss_a + loss_b));
  EXPECT_TRUE(loss.neighbours_untouched());

  Accumulator correct;
  ops::CountCorrectInto(a, labels, valid, correct.mid, false);
  ops::CountCorrectInto(b, labels, valid, correct.mid, true);
  EXPECT_EQ(correct.value(), static_cast<double>(ops::CountCorrect(a, labels, valid) +
                                                 ops::CountCorrect(b, labels, valid)));
  EXPECT_TRUE(correct.neighbours_untouched());

  Tensor pred = RandomTensor({rows, 1}, 5), target = RandomTensor({rows}, 6);
  Tensor want_dp = Tensor::Empty({rows, 1}), got_dp = Tensor::Empty({rows, 1});
  const double mse = ops::MeanSquaredError(pred, target, valid, 0.5f, want_dp);
  Accumulator squared;
  ops::MeanSquaredErrorInto(pred, target, valid, 0.5f, got_dp, squared.mid, false);
  EXPECT_TRUE(SameBits(squared.value(), mse));
  EXPECT_EQ(std::memcmp(got_dp.raw(), want_dp.raw(), got_dp.nbytes()), 0);
  ops::MeanSquaredErrorInto(pred, target, valid, 0.5f, Tensor(), squared.mid, true);
  EXPECT_TRUE(SameBits(squared.value(), mse + mse));
  EXPECT_TRUE(squared.neighbours_untouched());
}

TEST(KernelsDeviceScalars, EmptyBatchesStoreZeroOrLeaveTheSum) {
  Tensor logits = Tensor::Empty({0, 4}), labels = Tensor::Empty({0}, DType::kI32);
  Accumulator acc;
  acc.all.data<double>()[1] = 7.0;
  ops::SoftmaxCrossEntropyInto(logits, labels, Tensor(), 1.0f, Tensor(), acc.mid, true);
  EXPECT_EQ(acc.value(), 7.0);
  ops::CountCorrectInto(logits, labels, Tensor(), acc.mid, false);
  EXPECT_EQ(acc.value(), 0.0);
}

TEST(KernelsDeviceScalars, ABadLabelStillThrowsOnTheCpu) {
  Tensor logits = RandomTensor({2, 3}, 9), labels = Tensor::Empty({2}, DType::kI32);
  labels.data<int32_t>()[0] = 1, labels.data<int32_t>()[1] = 3;
  Accumulator acc;
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] { ops::SoftmaxCrossEntropyInto(logits, labels, Tensor(), 1.0f, Tensor(), acc.mid, false); },
      ErrorKind::kInternal, {"label 3 of row 1 outside [0, 3)"}));
}

TEST(KernelsDeviceScalars, SquaredNormIntoGivesSquaredNormsBits) {
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{17}, int64_t{100003}}) {
    Tensor x = RandomTensor({n}, 11 + n, -3.0f, 3.0f);
    Accumulator acc;
    ops::SquaredNormInto(x, acc.mid);
    EXPECT_TRUE(SameBits(acc.value(), ops::SquaredNorm(x))) << n;
    EXPECT_TRUE(acc.neighbours_untouched());
  }
}

// The host formula the trainer used before ClipToNorm existed.
Tensor ClippedOnHost(const Tensor& x, double max_norm) {
  Tensor y = Tensor::Empty(x.shape());
  y.CopyFrom(x);
  const double norm = std::sqrt(ops::SquaredNorm(x));
  if (norm > max_norm) ops::Scale(y, static_cast<float>(max_norm / norm));
  return y;
}

TEST(KernelsDeviceScalars, ClipToNormScalesExactlyAsTheHostFormula) {
  Tensor x = RandomTensor({1001}, 21, -2.0f, 2.0f);
  const double norm = std::sqrt(ops::SquaredNorm(x));
  Tensor squared = Tensor::Empty({1}, DType::kF64);
  ops::SquaredNormInto(x, squared);
  for (double max_norm : {norm / 3, norm * 0.999, norm, norm * 2}) {
    Tensor y = Tensor::Empty(x.shape());
    y.CopyFrom(x);
    ops::ClipToNorm(y, squared, max_norm);
    Tensor want = ClippedOnHost(x, max_norm);
    EXPECT_EQ(std::memcmp(y.raw(), want.raw(), y.nbytes()), 0) << max_norm;
    if (max_norm < norm) {
      EXPECT_NEAR(std::sqrt(ops::SquaredNorm(y)), max_norm, max_norm * 1e-5);
    } else {
      EXPECT_EQ(std::memcmp(y.raw(), x.raw(), y.nbytes()), 0) << "a norm within the bound must not be touched";
    }
  }
}

TEST(KernelsDeviceScalars, ClipToNormLeavesNonFiniteNormsToTheLossCheck) {
  Tensor x = RandomTensor({8}, 22);
  Tensor y = Tensor::Empty(x.shape());
  y.CopyFrom(x);
  Tensor squared = Tensor::Empty({1}, DType::kF64);
  squared.data<double>()[0] = std::numeric_limits<double>::quiet_NaN();
  ops::ClipToNorm(y, squared, 1.0);
  EXPECT_EQ(std::memcmp(y.raw(), x.raw(), y.nbytes()), 0);
  squared.data<double>()[0] = std::numeric_limits<double>::infinity();
  ops::ClipToNorm(y, squared, 1.0);  // factor 1 / inf = 0: every gradient zeroed, as on the host
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(y.data<float>()[i], 0.0f);
}

TEST(KernelsDeviceScalars, RejectsBadScalars) {
  Tensor logits = RandomTensor({2, 3}, 9), labels = Labels(2, 3, 1), x = RandomTensor({4}, 3);
  Tensor f32 = Tensor::Zeros({1}), two = Tensor::Zeros({2}, DType::kF64), good = Tensor::Zeros({1}, DType::kF64);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::CountCorrectInto(logits, labels, Tensor(), f32, false); },
                                       ErrorKind::kInternal, {"op CountCorrectInto"}));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::SquaredNormInto(x, two); }, ErrorKind::kInternal,
                                       {"op SquaredNormInto"}));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::ClipToNorm(x, good, 0.0); }, ErrorKind::kInternal,
                                       {"op ClipToNorm", "max_norm must be positive"}));
}

}  // namespace
}  // namespace aif
