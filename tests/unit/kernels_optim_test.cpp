// SgdUpdate and AdamWUpdate against hand-written double references of
// torch.optim.SGD and torch.optim.AdamW (single-tensor code paths, including
// SGD's "buffer is None" first step) over several steps with fresh
// gradients; AdamW's first step in closed form; SquaredNorm's double
// accumulation; Scale and Axpy.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/ops.h"
#include "kernels_test_util.h"

namespace aif {
namespace {

using kernel_test::AllClose;
using kernel_test::RandomTensor;
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
