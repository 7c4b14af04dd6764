// Losses and metrics on the GPU against the CPU reference: fused softmax
// cross-entropy (loss, dlogits, in place, loss only, padding rows, huge
// logits, label errors), MSE, CountCorrect, CountTopK, Argmax and Softmax,
// on shapes from one class to thousands and from one row to tens of
// thousands (more warps than the grid has). Counts and argmax must be exact,
// with ties and NaN as on the CPU; losses and probabilities differ only by
// the order of a row's float sum of exponentials, whose error grows with
// the number of classes, hence eps = 1e-5 + 1e-7 * classes.
#include <gtest/gtest.h>

#include <limits>

#include "gpu_test_util.h"
#include "kernels/ops.h"

namespace aif {
namespace {

using gpu_test::EmptyOnGpu;
using gpu_test::CloseTo;
using gpu_test::CloseToCpu;
using gpu_test::GpuTest;
using gpu_test::OnGpu;
using gpu_test::SameBytes;
using kernel_test::RandomTensor;


const gpu_test::RowsCols kShapes[] = {{1, 1},   {1, 10},   {3, 17},   {17, 3},     {1000, 10},
                                      {1023, 1000}, {5, 5000}, {64, 33}, {20000, 10}, {9000, 2}};

double Eps(int64_t classes) { return 1e-5 + 1e-7 * static_cast<double>(classes); }

// Labels in range; about a quarter of the rows padding (when masked), whose
// labels are garbage the ops must ignore.
struct LossBatch {
  Tensor logits, labels, valid;
};
LossBatch MakeBatch(int64_t rows, int64_t classes, bool masked, uint64_t seed) {
  LossBatch b;
  b.logits = RandomTensor({rows, classes}, seed, -10.0f, 10.0f);
  if (rows > 1) {  // one row far from zero: the max must be subtracted before exp
    for (int64_t j = 0; j < classes; ++j) b.logits.data<float>()[classes + j] += 1000.0f;
  }
  b.labels = gpu_test::RandomI32(rows, seed + 1, 0, static_cast<int32_t>(classes));
  if (masked) {
    b.valid = kernel_test::RandomMask(rows, seed + 2, 0.75f);
    for (int64_t r = 0; r < rows; ++r) {
      if (!b.valid.data<uint8_t>()[r]) b.labels.data<int32_t>()[r] = -7;
    }
  }
  return b;
}

using GpuLoss = GpuTest;

TEST_F(GpuLoss, SoftmaxCrossEntropyMatchesCpu) {
  for (const gpu_test::RowsCols& s : kShapes) {
    for (bool masked : {false, true}) {
      SCOPED_TRACE(testing::Message() << "[" << s.rows << ", " << s.cols << "] masked " << masked);
      const LossBatch b = MakeBatch(s.rows, s.cols, masked, 10);
      const float scale = 1.0f / static_cast<float>(s.rows);
      Tensor dlogits = Tensor::Empty(b.logits.shape());
      const double loss = ops::SoftmaxCrossEntropy(b.logits, b.labels, b.valid, scale, dlogits);
      Tensor glogits = OnGpu(b.logits), glabels = OnGpu(b.labels), gvalid = OnGpu(b.valid);
      Tensor gdlogits = EmptyOnGpu(b.logits.shape());
      const double gloss = ops::SoftmaxCrossEntropy(glogits, glabels, gvalid, scale, gdlogits);
      const double tol = 1e-6 * static_cast<double>(s.rows);
      EXPECT_TRUE(CloseTo(gloss, loss, tol, Eps(s.cols)));
      // |dlogits| <= scale; near the label p - 1 cancels, so the bound is absolute.
      EXPECT_TRUE(CloseToCpu(gdlogits, dlogits, Eps(s.cols) * scale, Eps(s.cols)));
      // Loss only, then in place (dlogits == logits).
      EXPECT_TRUE(CloseTo(ops::SoftmaxCrossEntropy(glogits, glabels, gvalid, scale, Tensor()), loss, tol, Eps(s.cols)));
      EXPECT_TRUE(CloseTo(ops::SoftmaxCrossEntropy(glogits, glabels, gvalid, scale, glogits), loss, tol, Eps(s.cols)));
      EXPECT_TRUE(SameBytes(glogits, gpu_test::OnCpu(gdlogits)));
    }
  }
}

TEST_F(GpuLoss, SoftmaxCrossEntropyIsDeterministic) {
  const LossBatch b = MakeBatch(20000, 10, true, 20);
  Tensor logits = OnGpu(b.logits), labels = OnGpu(b.labels), valid = OnGpu(b.valid);
  const double first = ops::SoftmaxCrossEntropy(logits, labels, valid, 1.0f, Tensor());
  EXPECT_EQ(first, ops::SoftmaxCrossEntropy(logits, labels, valid, 1.0f, Tensor()));
}

TEST_F(GpuLoss, SoftmaxCrossEntropyRejectsALabelOutOfRangeInAValidRow) {
  LossBatch b = MakeBatch(5, 4, false, 30);
  b.labels.data<int32_t>()[3] = 4;
  b.labels.data<int32_t>()[4] = -1;
  Tensor logits = OnGpu(b.logits), labels = OnGpu(b.labels), dlogits = EmptyOnGpu({5, 4});
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::SoftmaxCrossEntropy(logits, labels, Tensor(), 1.0f, dlogits); },
                                       ErrorKind::kInternal,
                                       {"op SoftmaxCrossEntropy", "label 4 of row 3 outside [0, 4)"}));
  // Padding rows may hold anything; and the device is still usable.
  Tensor valid = Tensor::Empty({5}, DType::kU8);
  for (int r = 0; r < 5; ++r) valid.data<uint8_t>()[r] = r < 3;
  EXPECT_NO_THROW(ops::SoftmaxCrossEntropy(logits, labels, OnGpu(valid), 1.0f, dlogits));
}

TEST_F(GpuLoss, MeanSquaredErrorMatchesCpu) {
  for (int64_t rows : gpu_test::FlatSizes()) {
    for (bool masked : {false, true}) {
      SCOPED_TRACE(testing::Message() << "rows " << rows << " masked " << masked);
      Tensor pred = RandomTensor({rows, 1}, 40), target = RandomTensor({rows}, 41);
      Tensor valid = masked ? kernel_test::RandomMask(rows, 42) : Tensor();
      Tensor dpred = Tensor::Empty(pred.shape()), gdpred = EmptyOnGpu(pred.shape());
      const double loss = ops::MeanSquaredError(pred, target, valid, 0.5f, dpred);
      const double gloss = ops::MeanSquaredError(OnGpu(pred), OnGpu(target), OnGpu(valid), 0.5f, gdpred);
      EXPECT_TRUE(CloseTo(gloss, loss, 0.0, 1e-12));  // the same doubles, summed in another order
      EXPECT_TRUE(SameBytes(gdpred, dpred));
    }
  }
}

// Logits with ties (a few distinct values), and rows holding NaN: first in
// column 0 (wins on the CPU) and elsewhere (ignored), and -inf.
Tensor TiedLogits(int64_t rows, int64_t classes, uint64_t seed) {
  Tensor t = Tensor::Empty({rows, classes});
  float* x = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    x[i] = static_cast<float>(RandomBelow(4, seed, RngPurpose::kSynthetic, 5, i)) * 0.5f;
  }
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (int64_t r = 0; r + 3 < rows; r += 7) {
    x[r * classes] = nan;
    x[(r + 1) * classes + classes / 2] = nan;
    x[(r + 2) * classes] = -inf;
    x[(r + 3) * classes + classes - 1] = inf;
  }
  return t;
}

TEST_F(GpuLoss, ArgmaxAndCountsAreExactWithTiesAndNaN) {
  for (const gpu_test::RowsCols& s : kShapes) {
    for (bool tied : {false, true}) {
      SCOPED_TRACE(testing::Message() << "[" << s.rows << ", " << s.cols << "] tied " << tied);
      Tensor logits = tied ? TiedLogits(s.rows, s.cols, 50) : RandomTensor({s.rows, s.cols}, 51);
      // Labels include out-of-range ones: never correct, skipped by top-k.
      Tensor labels = gpu_test::RandomI32(s.rows, 52, -1, static_cast<int32_t>(s.cols) + 1);
      Tensor valid = kernel_test::RandomMask(s.rows, 53, 0.8f);
      Tensor glogits = OnGpu(logits), glabels = OnGpu(labels), gvalid = OnGpu(valid);
      Tensor argmax = Tensor::Empty({s.rows}, DType::kI32), gargmax = EmptyOnGpu({s.rows}, DType::kI32);
      ops::Argmax(logits, argmax);
      ops::Argmax(glogits, gargmax);
      EXPECT_TRUE(SameBytes(gargmax, argmax));
      for (bool masked : {true, false}) {
        const Tensor cv = masked ? valid : Tensor(), gv = masked ? gvalid : Tensor();
        EXPECT_EQ(ops::CountCorrect(glogits, glabels, gv), ops::CountCorrect(logits, labels, cv));
        for (int64_t k : {int64_t{1}, int64_t{2}, int64_t{5}, s.cols, s.cols + 1}) {
          EXPECT_EQ(ops::CountTopK(glogits, glabels, gv, k), ops::CountTopK(logits, labels, cv, k)) << "k " << k;
        }
      }
    }
  }
}

TEST_F(GpuLoss, SoftmaxMatchesCpu) {
  for (const gpu_test::RowsCols& s : kShapes) {
    SCOPED_TRACE(testing::Message() << "[" << s.rows << ", " << s.cols << "]");
    const LossBatch b = MakeBatch(s.rows, s.cols, false, 60);
    Tensor probs = Tensor::Empty(b.logits.shape()), gprobs = EmptyOnGpu(b.logits.shape());
    ops::Softmax(b.logits, probs);
    Tensor glogits = OnGpu(b.logits);
    ops::Softmax(glogits, gprobs);
    EXPECT_TRUE(CloseToCpu(gprobs, probs, 1e-12, Eps(s.cols)));
    ops::Softmax(glogits, glogits);  // in place
    EXPECT_TRUE(SameBytes(glogits, gpu_test::OnCpu(gprobs)));
  }
}

TEST_F(GpuLoss, EmptyBatchesGiveZero) {
  Tensor logits = EmptyOnGpu({0, 10}), labels = EmptyOnGpu({0}, DType::kI32);
  Tensor pred = EmptyOnGpu({0}), target = EmptyOnGpu({0});
  EXPECT_EQ(ops::SoftmaxCrossEntropy(logits, labels, Tensor(), 1.0f, EmptyOnGpu({0, 10})), 0.0);
  EXPECT_EQ(ops::MeanSquaredError(pred, target, Tensor(), 1.0f, EmptyOnGpu({0})), 0.0);
  EXPECT_EQ(ops::CountCorrect(logits, labels, Tensor()), 0);
  EXPECT_EQ(ops::CountTopK(logits, labels, Tensor(), 3), 0);
}

}  // namespace
}  // namespace aif
