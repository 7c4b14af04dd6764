// SgdUpdate and AdamWUpdate against hand-written double references of
// torch.optim.SGD and torch.optim.AdamW (single-tensor code paths, including
// SGD's "buffer is None" first step) over several steps with fresh
// gradients; AdamW's first step in closed form; SquaredNorm's double
// accumulation; Scale and Axpy.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <tuple>

#include "kernels/ops.h"
#include "kernels_test_util.h"

namespace aif {
namespace {

using kernel_test::AllClose;
using kernel_test::RandomTensor;
using kernel_test::SameBits;
using kernel_test::ToDoubles;

// torch/optim/sgd.py, _single_tensor_sgd, dampening 0.
struct SgdReference {
  std::vector<double> param, buf;
  bool has_buf = false;
  void Step(const std::vector<double>& grad, const ops::SgdParams& hp) {
    for (size_t i = 0; i < param.size(); ++i) {
      double d_p = grad[i];
      if (hp.weight_decay != 0) d_p += hp.weight_decay * param[i];
      if (hp.momentum != 0) {
        if (!has_buf)
          buf[i] = d_p;  // torch.clone(d_p)
        else
          buf[i] = hp.momentum * buf[i] + d_p;
        d_p = hp.nesterov ? d_p + hp.momentum * buf[i] : buf[i];
      }
      param[i] -= hp.lr * d_p;
    }
    has_buf = true;
  }
};

// torch/optim/adamw.py (and adam.py with decoupled decay), _single_tensor.
struct AdamWReference {
  std::vector<double> param, m, v;
  void Step(const std::vector<double>& grad, const ops::AdamWParams& hp) {
    const double bc1 = 1.0 - std::pow(static_cast<double>(hp.beta1), hp.step);
    const double bc2 = 1.0 - std::pow(static_cast<double>(hp.beta2), hp.step);
    for (size_t i = 0; i < param.size(); ++i) {
      param[i] *= 1.0 - static_cast<double>(hp.lr) * hp.weight_decay;
      m[i] = hp.beta1 * m[i] + (1.0 - hp.beta1) * grad[i];
      v[i] = hp.beta2 * v[i] + (1.0 - hp.beta2) * grad[i] * grad[i];
      const double denom = std::sqrt(v[i]) / std::sqrt(bc2) + hp.eps;
      param[i] -= hp.lr / bc1 * m[i] / denom;
    }
  }
};

TEST(KernelsOptim, SgdFollowsPyTorchOverSeveralSteps) {
  ops::SgdParams configs[5];
  configs[0] = {0.1f, 0.0f, 0.0f, false};
  configs[1] = {0.05f, 0.9f, 0.0f, false};
  configs[2] = {0.05f, 0.9f, 0.0f, true};
  configs[3] = {0.2f, 0.9f, 1e-2f, false};
  configs[4] = {0.1f, 0.5f, 0.1f, true};
  uint64_t seed = 1;
  for (const ops::SgdParams& hp : configs) {
    for (int64_t n : {1, 7, 33, 1000}) {
      Tensor param = RandomTensor({n}, seed++), buf = Tensor::Zeros({n});
      SgdReference ref{ToDoubles(param), std::vector<double>(n, 0.0)};
      for (int step = 0; step < 5; ++step) {
        Tensor grad = RandomTensor({n}, seed++);
        ops::SgdUpdate(param, grad, hp.momentum != 0.0f ? buf : Tensor(), hp);
        ref.Step(ToDoubles(grad), hp);
      }
      EXPECT_TRUE(AllClose(param, ref.param, 1e-6, 1e-5))
          << "n " << n << " momentum " << hp.momentum << " nesterov " << hp.nesterov << " wd " << hp.weight_decay;
      if (hp.momentum != 0.0f) {
        EXPECT_TRUE(AllClose(buf, ref.buf, 1e-6, 1e-5)) << "momentum buffer";
      }
    }
  }
}

TEST(KernelsOptim, NesterovAndWeightDecayChangeTheTrajectory) {
  // Guards the test above against passing by accident: the flags matter.
  const ops::SgdParams plain{0.1f, 0.9f, 0.0f, false};
  ops::SgdParams nesterov = plain, decayed = plain;
  nesterov.nesterov = true;
  decayed.weight_decay = 0.1f;
  auto run = [](const ops::SgdParams& hp) {
    Tensor param = RandomTensor({16}, 1), buf = Tensor::Zeros({16});
    for (int step = 0; step < 3; ++step) ops::SgdUpdate(param, RandomTensor({16}, 10 + step), buf, hp);
    return param;
  };
  const std::vector<double> base = ToDoubles(run(plain));
  EXPECT_FALSE(AllClose(run(nesterov), base, 1e-4, 0.0));
  EXPECT_FALSE(AllClose(run(decayed), base, 1e-4, 0.0));
}

TEST(KernelsOptim, AdamWFollowsPyTorchOverSeveralSteps) {
  ops::AdamWParams configs[3];
  configs[0] = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1};
  configs[1] = {1e-2f, 0.8f, 0.99f, 1e-6f, 0.0f, 1};
  configs[2] = {5e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1};
  uint64_t seed = 100;
  for (ops::AdamWParams hp : configs) {
    for (int64_t n : {1, 7, 33, 1000}) {
      Tensor param = RandomTensor({n}, seed++), m = Tensor::Zeros({n}), v = Tensor::Zeros({n});
      AdamWReference ref{ToDoubles(param), std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
      for (hp.step = 1; hp.step <= 10; ++hp.step) {
        Tensor grad = RandomTensor({n}, seed++, -0.1f, 0.1f);
        ops::AdamWUpdate(param, grad, m, v, hp);
        ref.Step(ToDoubles(grad), hp);
      }
      EXPECT_TRUE(AllClose(param, ref.param, 1e-6, 1e-5)) << "n " << n << " lr " << hp.lr << " wd " << hp.weight_decay;
      EXPECT_TRUE(AllClose(m, ref.m, 1e-7, 1e-5)) << "first moment";
      EXPECT_TRUE(AllClose(v, ref.v, 1e-9, 1e-5)) << "second moment";
    }
  }
}

TEST(KernelsOptim, AdamWFirstStepIsSignDescentAfterDecay) {
  // With bias correction, step 1 moves each weight by lr * g / (|g| + eps).
  const ops::AdamWParams hp{0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, 1};
  Tensor param = RandomTensor({9}, 5), grad = RandomTensor({9}, 6), m = Tensor::Zeros({9}), v = Tensor::Zeros({9});
  std::vector<double> want(9);
  for (int i = 0; i < 9; ++i) {
    const double g = grad.data<float>()[i];
    want[i] = param.data<float>()[i] * (1.0 - 0.01 * 0.1) - 0.01 * g / (std::fabs(g) + 1e-8);
  }
  ops::AdamWUpdate(param, grad, m, v, hp);
  EXPECT_TRUE(AllClose(param, want, 1e-6, 1e-6));
}

// Decayed ranges with odd edges, inside and across 32-element mask words.
const std::vector<std::pair<int64_t, int64_t>> kDecayed = {{0, 300}, {333, 367}, {701, 1}, {736, 64}, {960, 77}};
constexpr int64_t kMaskedSize = 1037;

// The runs between kDecayed's ranges, with whether they decay.
std::vector<std::tuple<int64_t, int64_t, bool>> DecayRuns() {
  std::vector<std::tuple<int64_t, int64_t, bool>> runs;
  int64_t at = 0;
  for (const auto& [offset, count] : kDecayed) {
    if (offset > at) runs.emplace_back(at, offset - at, false);
    runs.emplace_back(offset, count, true);
    at = offset + count;
  }
  if (at < kMaskedSize) runs.emplace_back(at, kMaskedSize - at, false);
  return runs;
}

TEST(KernelsOptim, DecayMaskGivesTheBitsOfSeparateUpdates) {
  const int64_t n = kMaskedSize;
  const Tensor mask = ops::MakeDecayMask(n, kDecayed, DeviceType::kCpu);
  for (int variant = 0; variant < 4; ++variant) {  // SGD plain, momentum, Nesterov; AdamW
    SCOPED_TRACE(testing::Message() << "variant " << variant);
    Tensor param = RandomTensor({n}, 1), buf = Tensor::Zeros({n}), m = Tensor::Zeros({n}), v = Tensor::Zeros({n});
    Tensor rparam = RandomTensor({n}, 1), rbuf = Tensor::Zeros({n}), rm = Tensor::Zeros({n}), rv = Tensor::Zeros({n});
    for (int step = 1; step <= 3; ++step) {
      const Tensor grad = RandomTensor({n}, 10 + step);
      if (variant < 3) {
        ops::SgdParams hp;
        hp.lr = 0.05f, hp.weight_decay = 0.01f, hp.momentum = variant == 0 ? 0.0f : 0.9f, hp.nesterov = variant == 2;
        ops::SgdUpdate(param, grad, variant == 0 ? Tensor() : buf, hp, mask);
        for (const auto& [offset, count, decays] : DecayRuns()) {
          ops::SgdParams run = hp;
          run.weight_decay = decays ? hp.weight_decay : 0.0f;
          ops::SgdUpdate(rparam.View(offset, {count}), grad.View(offset, {count}),
                         variant == 0 ? Tensor() : rbuf.View(offset, {count}), run);
        }
      } else {
        ops::AdamWParams hp{1e-2f, 0.9f, 0.99f, 1e-8f, 0.1f, step};
        ops::AdamWUpdate(param, grad, m, v, hp, mask);
        for (const auto& [offset, count, decays] : DecayRuns()) {
          ops::AdamWParams run = hp;
          run.weight_decay = decays ? hp.weight_decay : 0.0f;
          ops::AdamWUpdate(rparam.View(offset, {count}), grad.View(offset, {count}), rm.View(offset, {count}),
                           rv.View(offset, {count}), run);
        }
      }
    }
    EXPECT_TRUE(SameBits(param, rparam));
    EXPECT_TRUE(SameBits(buf, rbuf));
    EXPECT_TRUE(SameBits(m, rm));
  }
  // The mask matters: without it the undecayed elements decay too.
  ops::SgdParams hp;
  hp.lr = 0.05f, hp.weight_decay = 0.5f;
  Tensor masked = RandomTensor({n}, 1), unmasked = RandomTensor({n}, 1), grad = RandomTensor({n}, 2);
  ops::SgdUpdate(masked, grad, Tensor(), hp, mask);
  ops::SgdUpdate(unmasked, grad, Tensor(), hp);
  for (const auto& [offset, count, decays] : DecayRuns()) {
    EXPECT_EQ(SameBits(masked.View(offset, {count}), unmasked.View(offset, {count})), decays) << offset;
  }
}

TEST(KernelsOptim, DecayMaskIsChecked) {
  EXPECT_TRUE(kernel_test::ThrowsError([] { ops::MakeDecayMask(10, {{5, 6}}, DeviceType::kCpu); },
                                       ErrorKind::kInternal, {"MakeDecayMask", "outside 10 elements"}));
  Tensor param = RandomTensor({64}, 1), grad = RandomTensor({64}, 2);
  const Tensor short_mask = ops::MakeDecayMask(32, {{0, 3}}, DeviceType::kCpu);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::SgdUpdate(param, grad, Tensor(), ops::SgdParams{}, short_mask); },
                                       ErrorKind::kInternal, {"op SgdUpdate", "decay_mask must have 2 elements"}));
}

TEST(KernelsOptim, SquaredNormAccumulatesInDouble) {
  // A million squares of 0.1f: float accumulation would be off by ~1e-4.
  const int64_t n = 1000003;
  Tensor x = kernel_test::FilledTensor({n}, 0.1f);
  const double square = static_cast<double>(0.1f) * static_cast<double>(0.1f);
  EXPECT_NEAR(ops::SquaredNorm(x), square * n, 1e-9 * square * n);
  for (int64_t size : {0, 1, 7, 33}) {
    Tensor y = RandomTensor({size}, 40 + size);
    double want = 0.0;
    for (int64_t i = 0; i < size; ++i) want += std::pow(static_cast<double>(y.data<float>()[i]), 2);
    EXPECT_NEAR(ops::SquaredNorm(y), want, 1e-12) << size;
  }
}

TEST(KernelsOptim, ScaleAndAxpy) {
  for (int64_t n : {1, 7, 33, 100}) {
    Tensor x = RandomTensor({n}, 50 + n), y = RandomTensor({n}, 60 + n);
    std::vector<double> want_y(n), want_x(n);
    for (int64_t i = 0; i < n; ++i) {
      want_y[i] = y.data<float>()[i] + 0.3 * static_cast<double>(x.data<float>()[i]);
      want_x[i] = -2.5 * static_cast<double>(x.data<float>()[i]);
    }
    ops::Axpy(0.3f, x, y);
    ops::Scale(x, -2.5f);
    EXPECT_TRUE(AllClose(y, want_y, 1e-7, 1e-6)) << n;
    EXPECT_TRUE(AllClose(x, want_x, 1e-7, 1e-6)) << n;
  }
}

TEST(KernelsOptim, RejectsMismatchedOperands) {
  Tensor param = RandomTensor({5}, 1), grad = RandomTensor({4}, 2);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::SgdUpdate(param, grad, Tensor(), ops::SgdParams{}); },
                                       ErrorKind::kInternal, {"op SgdUpdate", "grad must have 5 elements"}));
  const ops::SgdParams with_momentum{0.1f, 0.9f, 0.0f, false};
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::SgdUpdate(param, param, Tensor(), with_momentum); },
                                       ErrorKind::kInternal, {"momentum_buf is undefined"}));
  ops::AdamWParams zero_step;
  zero_step.step = 0;
  Tensor m = Tensor::Zeros({5}), v = Tensor::Zeros({5});
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::AdamWUpdate(param, param, m, v, zero_step); }, ErrorKind::kInternal,
                                       {"op AdamWUpdate", "1-based"}));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Axpy(1.0f, param, grad); }, ErrorKind::kInternal,
                                       {"op Axpy", "y must have 5 elements"}));
}

}  // namespace
}  // namespace aif
