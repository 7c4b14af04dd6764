// The ops that leave their result on the GPU (ops::*Into, ClipToNorm), which
// the training step uses so that it waits for the device once per step:
// each must give the bits of the GPU's returning op (the same partial sums,
// added in the same order, on the device instead of the host), accumulate
// as a host sum of returned values would, touch only its own element of a
// shared accumulator, and flag a bad label with NaN instead of throwing.
// ClipToNorm must scale exactly as the CPU's (the same double formula).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "gpu_test_util.h"
#include "kernels/ops.h"

namespace aif {
namespace {

using gpu_test::EmptyOnGpu;
using gpu_test::GpuTest;
using gpu_test::OnCpu;
using gpu_test::OnGpu;
using gpu_test::SameBytes;
using kernel_test::RandomTensor;


bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

// Three f64 accumulators on the GPU; the ops write the middle one.
struct Accumulator {
  Tensor all;
  Tensor mid;
  Accumulator() {
    Tensor host = Tensor::Zeros({3}, DType::kF64);
    host.data<double>()[0] = host.data<double>()[2] = -5.0;
    all = OnGpu(host);
    mid = all.View(1, {1});
  }
  double value() const { return OnCpu(all).data<double>()[1]; }
  bool neighbours_untouched() const {
    const Tensor h = OnCpu(all);
    return h.data<double>()[0] == -5.0 && h.data<double>()[2] == -5.0;
  }
};

using GpuDeviceScalars = GpuTest;

TEST_F(GpuDeviceScalars, LossesAndCountGiveTheReturningOpsBits) {
  const gpu_test::RowsCols shapes[] = {{1, 1}, {3, 17}, {1000, 10}, {20000, 10}, {5, 5000}};
  for (const gpu_test::RowsCols& s : shapes) {
    SCOPED_TRACE(testing::Message() << "[" << s.rows << ", " << s.cols << "]");
    Tensor valid = OnGpu(kernel_test::RandomMask(s.rows, 3));
    Tensor labels = OnGpu(gpu_test::RandomI32(s.rows, 4, 0, static_cast<int32_t>(s.cols)));
    Tensor a = OnGpu(RandomTensor({s.rows, s.cols}, 1, -4.0f, 4.0f));
    Tensor b = OnGpu(RandomTensor({s.rows, s.cols}, 2, -4.0f, 4.0f));

    Tensor want_da = EmptyOnGpu({s.rows, s.cols}), got_da = EmptyOnGpu({s.rows, s.cols});
    const double loss_a = ops::SoftmaxCrossEntropy(a, labels, valid, 0.25f, want_da);
    const double loss_b = ops::SoftmaxCrossEntropy(b, labels, valid, 0.25f, Tensor());
    Accumulator loss;
    ops::SoftmaxCrossEntropyInto(a, labels, valid, 0.25f, got_da, loss.mid, false);
    EXPECT_TRUE(SameBits(loss.value(), loss_a));
    EXPECT_TRUE(SameBytes(got_da, OnCpu(want_da)));
    ops::SoftmaxCrossEntropyInto(b, labels, valid, 0.25f, Tensor(), loss.mid, true);
    EXPECT_TRUE(SameBits(loss.value(), loss_a + loss_b));
    EXPECT_TRUE(loss.neighbours_untouched());

    Accumulator correct;
    ops::CountCorrectInto(a, labels, valid, correct.mid, false);
    ops::CountCorrectInto(b, labels, valid, correct.mid, true);
    EXPECT_EQ(correct.value(),
              static_cast<double>(ops::CountCorrect(a, labels, valid) + ops::CountCorrect(b, labels, valid)));
    EXPECT_EQ(correct.value(), static_cast<double>(ops::CountCorrect(OnCpu(a), OnCpu(labels), OnCpu(valid)) +
                                                   ops::CountCorrect(OnCpu(b), OnCpu(labels), OnCpu(valid))));

    Tensor pred = OnGpu(RandomTensor({s.rows, 1}, 5)), target = OnGpu(RandomTensor({s.rows}, 6));
    const double mse = ops::MeanSquaredError(pred, target, valid, 0.5f, Tensor());
    Accumulator squared;
    ops::MeanSquaredErrorInto(pred, target, valid, 0.5f, Tensor(), squared.mid, false);
    EXPECT_TRUE(SameBits(squared.value(), mse));
  }
}

TEST_F(GpuDeviceScalars, EmptyBatchesStoreZeroOrLeaveTheSum) {
  Tensor logits = EmptyOnGpu({0, 4}), labels = EmptyOnGpu({0}, DType::kI32);
  Accumulator acc;
  ops::CountCorrectInto(logits, labels, Tensor(), acc.mid, true);
  EXPECT_EQ(acc.value(), 0.0);
  ops::SoftmaxCrossEntropyInto(logits, labels, Tensor(), 1.0f, Tensor(), acc.mid, false);
  EXPECT_EQ(acc.value(), 0.0);
  EXPECT_TRUE(acc.neighbours_untouched());
}

TEST_F(GpuDeviceScalars, ABadLabelMakesTheLossNaNAndIsForgottenAfterwards) {
  Tensor logits = OnGpu(RandomTensor({40, 3}, 9));
  Tensor bad = gpu_test::RandomI32(40, 1, 0, 3);
  bad.data<int32_t>()[33] = 3;
  Accumulator acc;
  ops::SoftmaxCrossEntropyInto(logits, OnGpu(bad), Tensor(), 1.0f, Tensor(), acc.mid, false);
  EXPECT_TRUE(std::isnan(acc.value()));
  EXPECT_TRUE(acc.neighbours_untouched());
  bad.data<int32_t>()[33] = 2;  // the flag does not leak into the next reduction
  ops::SoftmaxCrossEntropyInto(logits, OnGpu(bad), Tensor(), 1.0f, Tensor(), acc.mid, false);
  EXPECT_TRUE(SameBits(acc.value(), ops::SoftmaxCrossEntropy(logits, OnGpu(bad), Tensor(), 1.0f, Tensor())));
}

TEST_F(GpuDeviceScalars, SquaredNormIntoAndClipToNormMatch) {
  for (int64_t n : gpu_test::FlatSizes()) {
    SCOPED_TRACE(testing::Message() << "n " << n);
    Tensor x = RandomTensor({n}, 20 + n, -3.0f, 3.0f), gx = OnGpu(x);
    Accumulator acc;
    ops::SquaredNormInto(gx, acc.mid);
    const double squared = acc.value();
    EXPECT_TRUE(SameBits(squared, ops::SquaredNorm(gx)));
    EXPECT_TRUE(acc.neighbours_untouched());
    // Clip with the GPU's norm on both devices: the same factor, the same bits.
    Tensor host_squared = Tensor::Empty({1}, DType::kF64);
    host_squared.data<double>()[0] = squared;
    const double norm = std::sqrt(squared);
    for (double max_norm : {norm / 3, norm * 2}) {
      Tensor cx = Tensor::Empty(x.shape());
      cx.CopyFrom(x);
      Tensor gy = OnGpu(x);
      ops::ClipToNorm(cx, host_squared, max_norm);
      ops::ClipToNorm(gy, acc.mid, max_norm);
      EXPECT_TRUE(SameBytes(gy, cx)) << "max_norm " << max_norm;
    }
  }
}

}  // namespace
}  // namespace aif
