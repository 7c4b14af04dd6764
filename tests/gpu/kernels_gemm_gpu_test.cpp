// Matmul on the GPU (cuBLAS) against the CPU (OpenBLAS): every combination of
// transposes, odd and skinny shapes, alpha and beta, with the tolerance
// scaled by k (both sum k products in float, in different orders); the
// corner cases the backends handle themselves (k == 0, beta == 0 over NaN,
// empty outputs); and the dispatch rule that remains: operands on two
// devices are rejected.
#include <gtest/gtest.h>

#include <limits>

#include "gpu_test_util.h"
#include "kernels/ops.h"

namespace aif {
namespace {

using gpu_test::CloseToCpu;
using gpu_test::GpuTest;
using gpu_test::OnGpu;
using kernel_test::RandomTensor;

struct Mnk {
  int64_t m, n, k;
};
const Mnk kShapes[] = {{1, 1, 1},     {3, 17, 1},    {17, 3, 1000}, {1000, 1, 17},  {1, 1000, 1023},
                       {64, 1000, 1023}, {257, 255, 256}, {1023, 1023, 33}, {128, 10, 784}, {5, 7, 3}};

using GpuGemm = GpuTest;

TEST_F(GpuGemm, MatchesCpuForEveryTransposeShapeAlphaAndBeta) {
  for (const Mnk& s : kShapes) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      Tensor a = RandomTensor(ta ? Shape{s.k, s.m} : Shape{s.m, s.k}, 1);
      Tensor b = RandomTensor(tb ? Shape{s.n, s.k} : Shape{s.k, s.n}, 2);
      Tensor c0 = RandomTensor({s.m, s.n}, 3);
      const float alphas[] = {1.0f, 0.5f, -2.0f}, betas[] = {0.0f, 2.0f, 1.0f};
      for (int i = 0; i < 3; ++i) {
        SCOPED_TRACE(testing::Message() << "m " << s.m << " n " << s.n << " k " << s.k << " ta " << ta << " tb " << tb
                                        << " alpha " << alphas[i] << " beta " << betas[i]);
        Tensor c = Tensor::Empty(c0.shape());
        c.CopyFrom(c0);
        Tensor gc = OnGpu(c0);
        ops::Matmul(a, ta, b, tb, c, alphas[i], betas[i]);
        ops::Matmul(OnGpu(a), ta, OnGpu(b), tb, gc, alphas[i], betas[i]);
        // Inputs in [-1, 1): each result sums k products of size <= 1.
        EXPECT_TRUE(CloseToCpu(gc, c, 1e-6 * static_cast<double>(s.k) * std::fabs(alphas[i]) + 1e-6, 1e-5));
      }
    }
  }
}

TEST_F(GpuGemm, BetaZeroIgnoresNaNInC) {
  Tensor a = RandomTensor({5, 3}, 11), b = RandomTensor({3, 4}, 12);
  Tensor c = Tensor::Zeros({5, 4});
  ops::Matmul(a, false, b, false, c);
  Tensor gc = OnGpu(kernel_test::FilledTensor({5, 4}, std::numeric_limits<float>::quiet_NaN()));
  ops::Matmul(OnGpu(a), false, OnGpu(b), false, gc);
  EXPECT_TRUE(CloseToCpu(gc, c, 1e-6, 1e-5));
}

TEST_F(GpuGemm, EmptyInnerDimensionScalesOrZeroesC) {
  Tensor a = OnGpu(Tensor::Empty({4, 0})), b = OnGpu(Tensor::Empty({0, 3}));
  Tensor c = RandomTensor({4, 3}, 3), gc = OnGpu(c);
  ops::Matmul(a, false, b, false, gc, 1.0f, 0.5f);
  ops::Scale(c, 0.5f);
  EXPECT_TRUE(gpu_test::SameBytes(gc, c));
  Tensor garbage = OnGpu(kernel_test::FilledTensor({4, 3}, std::numeric_limits<float>::quiet_NaN()));
  ops::Matmul(a, false, b, false, garbage, 1.0f, 0.0f);
  EXPECT_TRUE(gpu_test::SameBytes(garbage, Tensor::Zeros({4, 3})));
}

TEST_F(GpuGemm, EmptyOutputIsANoOp) {
  Tensor a = OnGpu(RandomTensor({0, 5}, 1)), b = OnGpu(RandomTensor({5, 3}, 2));
  Tensor c = Tensor::Empty({0, 3}, DType::kF32, DeviceType::kCuda);
  EXPECT_NO_THROW(ops::Matmul(a, false, b, false, c));
}

using GpuDispatch = GpuTest;

TEST_F(GpuDispatch, OperandsOnTwoDevicesAreRejected) {
  Tensor host = Tensor::Zeros({4}), device = OnGpu(host);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Axpy(1.0f, host, device); }, ErrorKind::kInternal,
                                       {"op Axpy", "different devices"}));
}

}  // namespace
}  // namespace aif
