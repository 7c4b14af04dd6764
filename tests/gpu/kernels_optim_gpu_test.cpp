// Optimizer updates and reductions on the GPU against the CPU reference, on
// flat buffers of odd sizes up to past the element-wise grid cap, and on a
// view at an odd offset inside a larger buffer (one parameter of the flat
// parameter buffer). SGD, AdamW, Scale and Axpy are IEEE-only formulas
// (built without FMA contraction on both devices), so several steps must give
// the CPU's bits; SquaredNorm sums the same doubles in another order.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "gpu_test_util.h"
#include "kernels/ops.h"

namespace aif {
namespace {

using gpu_test::CloseTo;
using gpu_test::GpuTest;
using gpu_test::OnGpu;
using gpu_test::SameBytes;
using kernel_test::RandomTensor;

using GpuOptim = GpuTest;

TEST_F(GpuOptim, SgdStepsAreTheCpuBits) {
  for (int64_t n : gpu_test::FlatSizes()) {
    for (int variant = 0; variant < 3; ++variant) {  // plain, momentum, Nesterov
      SCOPED_TRACE(testing::Message() << "n " << n << " variant " << variant);
      ops::SgdParams hp;
      hp.lr = 0.05f, hp.weight_decay = 1e-3f, hp.momentum = variant == 0 ? 0.0f : 0.9f, hp.nesterov = variant == 2;
      Tensor param = RandomTensor({n}, 1), grad = RandomTensor({n}, 2), buf = Tensor::Zeros({n});
      Tensor gparam = OnGpu(param), ggrad = OnGpu(grad), gbuf = OnGpu(buf);
      for (int step = 0; step < 3; ++step) {
        ops::SgdUpdate(param, grad, variant == 0 ? Tensor() : buf, hp);
        ops::SgdUpdate(gparam, ggrad, variant == 0 ? Tensor() : gbuf, hp);
      }
      EXPECT_TRUE(SameBytes(gparam, param));
      EXPECT_TRUE(SameBytes(gbuf, buf));
    }
  }
}

TEST_F(GpuOptim, AdamWStepsAreTheCpuBits) {
  for (int64_t n : gpu_test::FlatSizes()) {
    SCOPED_TRACE(testing::Message() << "n " << n);
    Tensor param = RandomTensor({n}, 3), m = Tensor::Zeros({n}), v = Tensor::Zeros({n});
    Tensor gparam = OnGpu(param), gm = OnGpu(m), gv = OnGpu(v);
    ops::AdamWParams hp;
    for (int64_t step = 1; step <= 3; ++step) {
      Tensor grad = RandomTensor({n}, 10 + step);
      hp.step = step;
      ops::AdamWUpdate(param, grad, m, v, hp);
      ops::AdamWUpdate(gparam, OnGpu(grad), gm, gv, hp);
    }
    EXPECT_TRUE(SameBytes(gparam, param));
    EXPECT_TRUE(SameBytes(gm, m));
    EXPECT_TRUE(SameBytes(gv, v));
  }
}

// One launch over a flat buffer whose weights decay and biases do not (the
// optimizer's decay mask): the CPU's bits, which are those of separate
// updates of each run (unit test KernelsOptim.DecayMask*).
TEST_F(GpuOptim, MaskedWeightDecayIsTheCpuBits) {
  for (int64_t n : gpu_test::FlatSizes()) {
    SCOPED_TRACE(testing::Message() << "n " << n);
    // Alternate decayed and undecayed runs of odd lengths (a weight, a bias, ...).
    std::vector<std::pair<int64_t, int64_t>> decayed;
    for (int64_t at = 0, k = 0; at < n; ++k) {
      const int64_t len = std::min<int64_t>(n - at, k % 2 == 0 ? 97 + 31 * k : 3 + k);
      if (k % 2 == 0) decayed.emplace_back(at, len);
      at += len;
    }
    const Tensor mask = ops::MakeDecayMask(n, decayed, DeviceType::kCpu);
    const Tensor gmask = ops::MakeDecayMask(n, decayed, DeviceType::kCuda);
    for (int variant = 0; variant < 3; ++variant) {  // SGD plain, SGD Nesterov, AdamW
      Tensor param = RandomTensor({n}, 1), buf = Tensor::Zeros({n}), m = Tensor::Zeros({n}), v = Tensor::Zeros({n});
      Tensor gparam = OnGpu(param), gbuf = OnGpu(buf), gm = OnGpu(m), gv = OnGpu(v);
      for (int step = 1; step <= 3; ++step) {
        const Tensor grad = RandomTensor({n}, 10 + step), ggrad = OnGpu(grad);
        if (variant < 2) {
          ops::SgdParams hp;
          hp.lr = 0.05f, hp.weight_decay = 1e-2f, hp.momentum = variant == 0 ? 0.0f : 0.9f, hp.nesterov = variant == 1;
          ops::SgdUpdate(param, grad, variant == 0 ? Tensor() : buf, hp, mask);
          ops::SgdUpdate(gparam, ggrad, variant == 0 ? Tensor() : gbuf, hp, gmask);
        } else {
          const ops::AdamWParams hp{1e-2f, 0.9f, 0.99f, 1e-8f, 0.1f, step};
          ops::AdamWUpdate(param, grad, m, v, hp, mask);
          ops::AdamWUpdate(gparam, ggrad, gm, gv, hp, gmask);
        }
      }
      EXPECT_TRUE(SameBytes(gparam, param)) << "variant " << variant;
      EXPECT_TRUE(SameBytes(gbuf, buf)) << "variant " << variant;
      EXPECT_TRUE(SameBytes(gm, m) && SameBytes(gv, v)) << "variant " << variant;
    }
  }
}

TEST_F(GpuOptim, SquaredNormMatchesCpu) {
  std::vector<int64_t> sizes = gpu_test::FlatSizes();
  sizes.push_back(0);
  for (int64_t n : sizes) {
    SCOPED_TRACE(testing::Message() << "n " << n);
    Tensor x = RandomTensor({n}, 20, -3.0f, 3.0f), gx = OnGpu(x);
    const double cpu = ops::SquaredNorm(x), gpu = ops::SquaredNorm(gx);
    EXPECT_TRUE(CloseTo(gpu, cpu, 0.0, 1e-12));
    EXPECT_EQ(gpu, ops::SquaredNorm(gx)) << "a rerun gives the same bits";
  }
}

TEST_F(GpuOptim, ScaleAndAxpyAreTheCpuBits) {
  for (int64_t n : gpu_test::FlatSizes()) {
    SCOPED_TRACE(testing::Message() << "n " << n);
    Tensor x = RandomTensor({n}, 30), y = RandomTensor({n}, 31);
    Tensor gx = OnGpu(x), gy = OnGpu(y);
    ops::Scale(x, 0.3f);
    ops::Scale(gx, 0.3f);
    EXPECT_TRUE(SameBytes(gx, x));
    ops::Axpy(-1.7f, x, y);
    ops::Axpy(-1.7f, gx, gy);
    EXPECT_TRUE(SameBytes(gy, y));
  }
}

TEST_F(GpuOptim, OpsOnAViewTouchOnlyTheView) {
  // Elements [3, 3 + 1000) of a flat buffer of 1010: an offset of 12 bytes.
  Tensor flat = RandomTensor({1010}, 40), grad = RandomTensor({1000}, 41);
  Tensor gflat = OnGpu(flat);
  ops::SgdParams hp;
  ops::SgdUpdate(flat.View(3, {1000}), grad, Tensor(), hp);
  ops::SgdUpdate(gflat.View(3, {1000}), OnGpu(grad), Tensor(), hp);
  ops::Scale(flat.View(3, {10, 100}), 2.0f);
  ops::Scale(gflat.View(3, {10, 100}), 2.0f);
  EXPECT_TRUE(SameBytes(gflat, flat));
  EXPECT_TRUE(CloseTo(ops::SquaredNorm(gflat.View(3, {1000})), ops::SquaredNorm(flat.View(3, {1000})), 0.0, 1e-12));
}

}  // namespace
}  // namespace aif
