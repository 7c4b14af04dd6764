// Mixed precision on the GPU: Matmul with bf16 operands (cublasGemmEx, f32
// compute) against the CPU's (the exact f32 product of the widened values),
// on every transpose and odd shapes; both sum exact products in f32, in
// different orders, so the tolerance is the f32 GEMM's, scaled by k. And a
// model's forward and gradients in bf16 on the GPU against the CPU's.
#include <gtest/gtest.h>

#include "gpu_test_util.h"
#include "kernels/ops.h"
#include "nn/model.h"

namespace aif {
namespace {

using gpu_test::CloseToCpu;
using gpu_test::GpuTest;
using gpu_test::OnGpu;
using gpu_test::ToBF16;
using kernel_test::RandomTensor;

using GpuGemmBF16 = GpuTest;

TEST_F(GpuGemmBF16, MatchesCpuForEveryTransposeAndShape) {
  struct Mnk {
    int64_t m, n, k;
  };
  const Mnk shapes[] = {{1, 1, 1},   {3, 17, 1},      {17, 3, 1000},  {1, 1000, 1023},
                        {5, 7, 3},   {257, 255, 256}, {128, 10, 784}, {4096, 4096, 64}};
  for (const Mnk& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      SCOPED_TRACE(testing::Message() << "m " << s.m << " n " << s.n << " k " << s.k << " ta " << ta << " tb " << tb);
      Tensor a = ToBF16(RandomTensor(ta ? Shape{s.k, s.m} : Shape{s.m, s.k}, 1));
      Tensor b = ToBF16(RandomTensor(tb ? Shape{s.n, s.k} : Shape{s.k, s.n}, 2));
      Tensor c = RandomTensor({s.m, s.n}, 3), gc = OnGpu(c);
      ops::Matmul(a, ta, b, tb, c, 0.5f, 1.0f);
      ops::Matmul(OnGpu(a), ta, OnGpu(b), tb, gc, 0.5f, 1.0f);
      EXPECT_TRUE(CloseToCpu(gc, c, 1e-6 * static_cast<double>(s.k) + 1e-6, 1e-5));
    }
  }
}

TEST_F(GpuGemmBF16, ModelForwardAndGradientsMatchCpu) {
  auto cpu = Model::Build("mlp 784-256-128-10 relu", {784}, 10);
  cpu->Initialize(5);
  auto gpu = cpu->CopyTo(DeviceType::kCuda);
  const int64_t n = 64;
  Tensor x = RandomTensor({n, 784}, 9), labels = gpu_test::RandomI32(n, 4, 0, 10);
  PassContext ctx;
  ctx.gemm_dtype = DType::kBF16;
  auto run = [&](Model& m, const Tensor& xs, const Tensor& ys) {
    Tensor out = m.Forward(xs, ctx);
    Tensor dout = Tensor::Empty(out.shape(), DType::kF32, out.device());
    ops::SoftmaxCrossEntropy(out, ys, Tensor(), 1.0f / n, dout);
    Tensor logits = out.To(DeviceType::kCpu);
    m.Backward(dout, ctx, nullptr);
    return logits;
  };
  Tensor cpu_out = run(*cpu, x, labels);
  Tensor gpu_out = run(*gpu, OnGpu(x), OnGpu(labels));
  // The hidden activations are rounded to bf16 before the next GEMM: an
  // order-of-summation difference can move a value across a rounding
  // boundary, one bf16 ulp (2^-8 relative) of one term.
  EXPECT_TRUE(CloseToCpu(gpu_out, cpu_out, 1e-3, 1e-2));
  EXPECT_TRUE(CloseToCpu(gpu->grads(), cpu->grads(), 1e-4, 2e-2));
}

}  // namespace
}  // namespace aif
