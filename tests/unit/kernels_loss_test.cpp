// Losses and metrics against double references: fused softmax cross-entropy
// (loss, dlogits, in place, loss-only, huge logits, valid masks, finite
// differences), MSE (both pred shapes, mask, finite differences), CountCorrect,
// CountTopK (reference by sorting), Argmax and Softmax, with ties.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/ops.h"
#include "kernels_test_util.h"

namespace aif {
namespace {

using kernel_test::AllClose;
using kernel_test::RandomTensor;

struct Classes {
  int64_t rows, classes;
};
const Classes kShapes[] = {{1, 1}, {3, 7}, {17, 10}, {100, 33}, {33, 2}};

// Labels in range for valid rows; invalid rows get out-of-range garbage,
// which the ops must ignore.
Tensor Labels(int64_t rows, int64_t classes, const Tensor& valid, uint64_t seed) {
  Tensor t = Tensor::Empty({rows}, DType::kI32);
  for (int64_t r = 0; r < rows; ++r) {
    const bool ok = !valid.defined() || valid.data<uint8_t>()[r];
    t.data<int32_t>()[r] = ok ? static_cast<int32_t>(RandomBelow(classes, seed, RngPurpose::kSynthetic, 1, r)) : -7;
  }
  return t;
}

bool Valid(const Tensor& valid, int64_t r) { return !valid.defined() || valid.data<uint8_t>()[r]; }

// Cross-entropy of one row in double: log(sum exp(x)) - x[label].
double RowCrossEntropy(const double* x, int64_t classes, int label) {
  const double max = *std::max_element(x, x + classes);
  double sum = 0.0;
  for (int64_t j = 0; j < classes; ++j) sum += std::exp(x[j] - max);
  return max + std::log(sum) - x[label];
}

std::vector<double> RowSoftmax(const double* x, int64_t classes) {
  const double max = *std::max_element(x, x + classes);
  std::vector<double> p(classes);
  double sum = 0.0;
  for (int64_t j = 0; j < classes; ++j) sum += p[j] = std::exp(x[j] - max);
  for (double& v : p) v /= sum;
  return p;
}

TEST(KernelsLoss, SoftmaxCrossEntropyMatchesReference) {
  uint64_t seed = 1;
  for (const Classes& s : kShapes) {
    for (int masked = 0; masked < 2; ++masked) {
      Tensor logits = RandomTensor({s.rows, s.classes}, seed++, -5.0f, 5.0f);
      Tensor valid = masked ? kernel_test::RandomMask(s.rows, seed++) : Tensor();
      Tensor labels = Labels(s.rows, s.classes, valid, seed++);
      const float scale = 1.0f / static_cast<float>(s.rows);
      const std::vector<double> x = kernel_test::ToDoubles(logits);
      double want_loss = 0.0;
      std::vector<double> want_grad(x.size(), 0.0);
      for (int64_t r = 0; r < s.rows; ++r) {
        if (!Valid(valid, r)) continue;
        const int label = labels.data<int32_t>()[r];
        want_loss += RowCrossEntropy(&x[r * s.classes], s.classes, label);
        const std::vector<double> p = RowSoftmax(&x[r * s.classes], s.classes);
        for (int64_t j = 0; j < s.classes; ++j) want_grad[r * s.classes + j] = (p[j] - (j == label)) * scale;
      }
      Tensor dlogits = kernel_test::FilledTensor(logits.shape(), 9.0f);
      const double loss = ops::SoftmaxCrossEntropy(logits, labels, valid, scale, dlogits);
      EXPECT_NEAR(loss, want_loss, 1e-5 * (1.0 + std::fabs(want_loss))) << s.rows << "x" << s.classes;
      EXPECT_TRUE(AllClose(dlogits, want_grad, 1e-7, 1e-5)) << s.rows << "x" << s.classes << " masked " << masked;
      // Loss only, and dlogits in place of logits: the same numbers.
      EXPECT_EQ(ops::SoftmaxCrossEntropy(logits, labels, valid, scale, Tensor()), loss);
      EXPECT_EQ(ops::SoftmaxCrossEntropy(logits, labels, valid, scale, logits), loss);
      EXPECT_TRUE(AllClose(logits, want_grad, 1e-7, 1e-5)) << "in place";
    }
  }
}

TEST(KernelsLoss, SoftmaxCrossEntropyIsStableForHugeLogits) {
  Tensor logits = Tensor::FromVector({2, 3}, {1000.0f, -1000.0f, 999.0f, 88.0f, 89.0f, 90.0f});
  Tensor labels = Tensor::Empty({2}, DType::kI32);
  labels.data<int32_t>()[0] = 2;
  labels.data<int32_t>()[1] = 0;
  Tensor dlogits = Tensor::Empty({2, 3});
  const double loss = ops::SoftmaxCrossEntropy(logits, labels, Tensor(), 1.0f, dlogits);
  const double want = (std::log(1.0 + std::exp(-1.0)) + 1.0) + (std::log(1.0 + std::exp(-1.0) + std::exp(-2.0)) + 2.0);
  EXPECT_NEAR(loss, want, 1e-4);
  for (int64_t i = 0; i < 6; ++i) EXPECT_TRUE(std::isfinite(dlogits.data<float>()[i])) << i;
}

TEST(KernelsLoss, SoftmaxCrossEntropyGradientMatchesFiniteDifferences) {
  const int64_t rows = 4, classes = 5;
  Tensor logits = RandomTensor({rows, classes}, 70, -3.0f, 3.0f);
  Tensor valid = Tensor::Empty({rows}, DType::kU8);
  for (int64_t r = 0; r < rows; ++r) valid.data<uint8_t>()[r] = r != 2;
  Tensor labels = Labels(rows, classes, valid, 71);
  std::vector<double> x = kernel_test::ToDoubles(logits);
  auto loss = [&] {
    double total = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      if (Valid(valid, r)) total += RowCrossEntropy(&x[r * classes], classes, labels.data<int32_t>()[r]);
    }
    return total;
  };
  std::vector<double> fd(x.size());
  for (size_t i = 0; i < x.size(); ++i) fd[i] = kernel_test::CentralDifference(loss, &x[i], 1e-5);
  Tensor dlogits = Tensor::Empty(logits.shape());
  ops::SoftmaxCrossEntropy(logits, labels, valid, 1.0f, dlogits);
  EXPECT_TRUE(AllClose(dlogits, fd, 1e-6, 1e-5));
}

TEST(KernelsLoss, InvalidRowsContributeNothingAndLabelsAreChecked) {
  Tensor logits = RandomTensor({3, 4}, 80);
  Tensor labels = Tensor::Empty({3}, DType::kI32);
  labels.data<int32_t>()[0] = 1;
  labels.data<int32_t>()[1] = 99;  // garbage in a padding row
  labels.data<int32_t>()[2] = 3;
  Tensor valid = Tensor::Empty({3}, DType::kU8);
  valid.data<uint8_t>()[0] = 1, valid.data<uint8_t>()[1] = 0, valid.data<uint8_t>()[2] = 1;
  Tensor dlogits = Tensor::Empty({3, 4});
  const double masked = ops::SoftmaxCrossEntropy(logits, labels, valid, 1.0f, dlogits);
  for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(dlogits.data<float>()[4 + j], 0.0f);
  // The same two rows without the padding row in between.
  Tensor two = Tensor::Empty({2, 4}), two_labels = Tensor::Empty({2}, DType::kI32);
  std::copy(logits.data<float>(), logits.data<float>() + 4, two.data<float>());
  std::copy(logits.data<float>() + 8, logits.data<float>() + 12, two.data<float>() + 4);
  two_labels.data<int32_t>()[0] = 1, two_labels.data<int32_t>()[1] = 3;
  EXPECT_EQ(masked, ops::SoftmaxCrossEntropy(two, two_labels, Tensor(), 1.0f, Tensor()));
  EXPECT_EQ(ops::CountCorrect(logits, labels, valid), ops::CountCorrect(two, two_labels, Tensor()));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::SoftmaxCrossEntropy(logits, labels, Tensor(), 1.0f, Tensor()); },
                                       ErrorKind::kInternal, {"label 99 of row 1 outside [0, 4)"}));
}

TEST(KernelsLoss, MeanSquaredErrorMatchesReferenceAndFiniteDifferences) {
  uint64_t seed = 200;
  for (int64_t rows : {1, 3, 17, 100}) {
    for (int column = 0; column < 2; ++column) {
      Tensor pred = RandomTensor(column ? Shape{rows, 1} : Shape{rows}, seed++, -2.0f, 2.0f);
      Tensor target = RandomTensor({rows}, seed++, -2.0f, 2.0f);
      Tensor valid = kernel_test::RandomMask(rows, seed++);
      const float scale = 0.5f;
      std::vector<double> p = kernel_test::ToDoubles(pred);
      auto loss = [&] {
        double total = 0.0;
        for (int64_t r = 0; r < rows; ++r) {
          if (Valid(valid, r)) total += std::pow(p[r] - target.data<float>()[r], 2);
        }
        return total;
      };
      std::vector<double> want_grad(rows);
      for (int64_t r = 0; r < rows; ++r) want_grad[r] = scale * kernel_test::CentralDifference(loss, &p[r], 1e-3);
      Tensor dpred = Tensor::Empty(pred.shape());
      const double got = ops::MeanSquaredError(pred, target, valid, scale, dpred);
      EXPECT_NEAR(got, loss(), 1e-6 * (1.0 + loss())) << rows;
      EXPECT_TRUE(AllClose(dpred, want_grad, 1e-6, 1e-5)) << rows << " column " << column;
    }
  }
}

// Reference top-k: sort class indices by (logit descending, index ascending).
bool InTopK(const float* x, int64_t classes, int label, int64_t k) {
  std::vector<int64_t> order(classes);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return x[a] > x[b]; });
  return std::find(order.begin(), order.begin() + std::min(k, classes), label) != order.begin() + std::min(k, classes);
}

TEST(KernelsLoss, MetricsMatchReferences) {
  uint64_t seed = 300;
  for (const Classes& s : kShapes) {
    Tensor logits = RandomTensor({s.rows, s.classes}, seed++);
    for (int64_t i = 0; i < logits.numel(); i += 3) {  // quantise to force ties
      logits.data<float>()[i] = std::round(logits.data<float>()[i] * 2.0f) / 2.0f;
    }
    Tensor valid = kernel_test::RandomMask(s.rows, seed++);
    Tensor labels = Labels(s.rows, s.classes, Tensor(), seed++);
    Tensor argmax = Tensor::Empty({s.rows}, DType::kI32);
    ops::Argmax(logits, argmax);
    int64_t want_correct = 0;
    for (int64_t r = 0; r < s.rows; ++r) {
      const float* x = logits.data<float>() + r * s.classes;
      const int64_t want_argmax = std::max_element(x, x + s.classes) - x;  // the first maximum
      ASSERT_EQ(argmax.data<int32_t>()[r], want_argmax) << r;
      want_correct += Valid(valid, r) && want_argmax == labels.data<int32_t>()[r];
    }
    EXPECT_EQ(ops::CountCorrect(logits, labels, valid), want_correct);
    for (int64_t k : {int64_t{1}, int64_t{2}, int64_t{3}, s.classes, s.classes + 5}) {
      int64_t want = 0;
      for (int64_t r = 0; r < s.rows; ++r) {
        want +=
            Valid(valid, r) && InTopK(logits.data<float>() + r * s.classes, s.classes, labels.data<int32_t>()[r], k);
      }
      EXPECT_EQ(ops::CountTopK(logits, labels, valid, k), want) << s.rows << "x" << s.classes << " k " << k;
    }
    EXPECT_EQ(ops::CountTopK(logits, labels, valid, 1), ops::CountCorrect(logits, labels, valid));
  }
}

TEST(KernelsLoss, SoftmaxMatchesReference) {
  uint64_t seed = 400;
  for (const Classes& s : kShapes) {
    Tensor logits = RandomTensor({s.rows, s.classes}, seed++, -20.0f, 20.0f);
    logits.data<float>()[0] = 5000.0f;  // would overflow exp without the max shift
    std::vector<double> want;
    const std::vector<double> x = kernel_test::ToDoubles(logits);
    for (int64_t r = 0; r < s.rows; ++r) {
      const std::vector<double> p = RowSoftmax(&x[r * s.classes], s.classes);
      want.insert(want.end(), p.begin(), p.end());
    }
    Tensor probs = Tensor::Empty(logits.shape());
    ops::Softmax(logits, probs);
    EXPECT_TRUE(AllClose(probs, want, 1e-7, 1e-5)) << s.rows << "x" << s.classes;
    ops::Softmax(logits, logits);
    EXPECT_TRUE(AllClose(logits, want, 1e-7, 1e-5)) << "in place";
  }
}

TEST(KernelsLoss, RejectsBadOperands) {
  Tensor logits = RandomTensor({3, 4}, 1), labels = Tensor::Zeros({3}, DType::kI32);
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] { ops::SoftmaxCrossEntropy(logits, Tensor::Zeros({4}, DType::kI32), Tensor(), 1.0f, Tensor()); },
      ErrorKind::kInternal, {"op SoftmaxCrossEntropy", "labels must have shape [3]"}));
  EXPECT_TRUE(
      kernel_test::ThrowsError([&] { ops::SoftmaxCrossEntropy(logits, labels, Tensor::Zeros({3}), 1.0f, Tensor()); },
                               ErrorKind::kInternal, {"valid must be u8"}));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::CountTopK(logits, labels, Tensor(), 0); }, ErrorKind::kInternal,
                                       {"k must be at least 1"}));
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] {
        ops::MeanSquaredError(RandomTensor({3, 2}, 2), RandomTensor({3}, 3), Tensor(), 1.0f, Tensor());
      },
      ErrorKind::kInternal, {"pred must be [N] or [N, 1]"}));
}

}  // namespace
}  // namespace aif
