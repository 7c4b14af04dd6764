// ops::LinearForward on the GPU (cuBLASLt with the bias and ReLU fused into
// the GEMM's epilogue, or the unfused fallback) against the CPU (Matmul then
// BiasActivationForward): f32 and bf16 operands, every activation, with and
// without the pre-activation output, odd shapes, and operands at odd offsets
// inside larger buffers (the model's weights and biases are views into one
// flat parameter buffer, so their alignment varies; cuBLASLt must pick an
// algorithm that copes, or decline). The tolerance is the GEMM's, scaled by
// k; ReLU's zeros must land on the same elements except where the
// pre-activation is within that tolerance of zero.
#include <gtest/gtest.h>

#include <cmath>

#include "gpu_test_util.h"
#include "kernels/ops.h"

namespace aif {
namespace {

using gpu_test::CloseToCpu;
using gpu_test::GpuTest;
using gpu_test::OnCpu;
using gpu_test::OnGpu;
using gpu_test::ToBF16;
using kernel_test::RandomTensor;

// t's values in a fresh buffer `offset` elements in, returned as a view.
Tensor AtOffset(const Tensor& t, int64_t offset) {
  Tensor buffer = Tensor::Zeros({t.numel() + offset}, t.dtype(), t.device());
  Tensor view = buffer.View(offset, t.shape());
  view.CopyFrom(t);
  return view;
}

using GpuLinear = GpuTest;

TEST_F(GpuLinear, MatchesCpuForEveryActivationPrecisionShapeAndAlignment) {
  struct Mnk {
    int64_t m, n, k;
  };
  const Mnk shapes[] = {{1, 1, 1},     {3, 17, 5},     {17, 3, 1000}, {128, 10, 784},
                        {256, 512, 784}, {257, 255, 33}, {4096, 4096, 64}, {1000, 1, 7}};
  for (const Mnk& s : shapes) {
    for (bool bf16 : {false, true}) {
      for (ops::Activation act : {ops::Activation::kNone, ops::Activation::kRelu, ops::Activation::kGelu}) {
        for (int64_t offset : {int64_t{0}, int64_t{1}, int64_t{3}}) {
          for (bool want_pre : {false, true}) {
            SCOPED_TRACE(testing::Message() << "m " << s.m << " n " << s.n << " k " << s.k << " bf16 " << bf16
                                            << " act " << static_cast<int>(act) << " offset " << offset << " pre "
                                            << want_pre);
            Tensor x = RandomTensor({s.m, s.k}, 1), w = RandomTensor({s.n, s.k}, 2, -0.5f, 0.5f);
            if (bf16) x = ToBF16(x), w = ToBF16(w);
            Tensor bias = RandomTensor({s.n}, 3);
            Tensor y = Tensor::Empty({s.m, s.n}), pre = want_pre ? Tensor::Empty({s.m, s.n}) : Tensor();
            ops::LinearForward(x, w, bias, act, y, pre);

            Tensor gx = AtOffset(OnGpu(x), offset), gw = AtOffset(OnGpu(w), offset);
            Tensor gbias = AtOffset(OnGpu(bias), offset);
            Tensor gy = AtOffset(OnGpu(RandomTensor({s.m, s.n}, 4)), offset);  // garbage: must be overwritten
            Tensor gpre = want_pre ? AtOffset(OnGpu(RandomTensor({s.m, s.n}, 5)), offset) : Tensor();
            ops::LinearForward(gx, gw, gbias, act, gy, gpre);

            const double tol = 1e-6 * static_cast<double>(s.k) + 1e-6;
            EXPECT_TRUE(CloseToCpu(gy, y, tol, act == ops::Activation::kGelu ? 2e-5 : 1e-5));
            if (want_pre) {
              EXPECT_TRUE(CloseToCpu(gpre, pre, tol, 1e-5));
            }
          }
        }
      }
    }
  }
}

TEST_F(GpuLinear, FusedAndUnfusedAgreeAndRerunsGiveTheSameBits) {
  const int64_t m = 512, n = 1024, k = 784;
  Tensor x = OnGpu(RandomTensor({m, k}, 10)), w = OnGpu(RandomTensor({n, k}, 11, -0.1f, 0.1f));
  Tensor bias = OnGpu(RandomTensor({n}, 12));
  Tensor fused = Tensor::Empty({m, n}, DType::kF32, DeviceType::kCuda);
  Tensor again = Tensor::Empty({m, n}, DType::kF32, DeviceType::kCuda);
  Tensor unfused = Tensor::Empty({m, n}, DType::kF32, DeviceType::kCuda);
  ops::LinearForward(x, w, bias, ops::Activation::kRelu, fused, Tensor());
  ops::LinearForward(x, w, bias, ops::Activation::kRelu, again, Tensor());
  ops::Matmul(x, false, w, true, unfused);
  ops::BiasActivationForward(unfused, bias, ops::Activation::kRelu, unfused, Tensor());
  EXPECT_TRUE(gpu_test::SameBytes(again, OnCpu(fused)));
  EXPECT_TRUE(CloseToCpu(fused, OnCpu(unfused), 1e-6 * k, 1e-5));
}

}  // namespace
}  // namespace aif
