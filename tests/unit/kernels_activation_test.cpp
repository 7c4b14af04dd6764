// BiasActivationForward/Backward against double-precision references on odd
// shapes, with and without bias and `pre`, in place and out of place; the
// backward also against central differences of the double forward (ReLU with
// inputs kept away from the kink, GELU everywhere); GELU against PyTorch's
// approximate='tanh' values.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/ops.h"
#include "kernels_test_util.h"

namespace aif {
namespace {

using kernel_test::AllClose;
using kernel_test::RandomTensor;
using ops::Activation;

double GeluReference(double x) {
  const double kBeta = std::sqrt(2.0 / M_PI);
  return 0.5 * x * (1.0 + std::tanh(kBeta * (x + 0.044715 * x * x * x)));
}

double ActivateReference(Activation act, double v) {
  switch (act) {
    case Activation::kRelu: return v > 0.0 ? v : 0.0;
    case Activation::kGelu: return GeluReference(v);
    case Activation::kNone: return v;
  }
  return 0.0;
}

const char* Name(Activation act) {
  return act == Activation::kRelu ? "relu" : act == Activation::kGelu ? "gelu" : "none";
}

struct Shape2 {
  int64_t rows, cols;
};
const Shape2 kShapes[] = {{1, 1}, {3, 7}, {17, 33}, {100, 17}, {7, 100}, {33, 3}};
const Activation kActivations[] = {Activation::kNone, Activation::kRelu, Activation::kGelu};

TEST(KernelsActivation, GeluMatchesPyTorchTanhApproximation) {
  // torch.nn.functional.gelu(x, approximate='tanh'); the exact (erf) GELU of
  // 1.0 would be 0.8413447.
  const float xs[] = {-3.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 3.0f};
  const double want[] = {-0.003637392, -0.158808009, -0.154285990, 0.0, 0.345714010, 0.841191991, 2.996362608};
  Tensor x = Tensor::FromVector({7}, std::vector<float>(xs, xs + 7)), y = Tensor::Empty({7});
  ops::BiasActivationForward(x, Tensor(), Activation::kGelu, y, Tensor());
  EXPECT_TRUE(AllClose(y, std::vector<double>(want, want + 7), 2e-7, 1e-6));
}

TEST(KernelsActivation, ForwardMatchesReference) {
  uint64_t seed = 100;
  for (Activation act : kActivations) {
    for (const Shape2& s : kShapes) {
      for (int with_bias = 0; with_bias < 2; ++with_bias) {
        Tensor x = RandomTensor({s.rows, s.cols}, seed++, -3.0f, 3.0f);
        Tensor bias = with_bias ? RandomTensor({s.cols}, seed++) : Tensor();
        std::vector<double> want_pre(x.numel()), want_y(x.numel());
        for (int64_t r = 0; r < s.rows; ++r) {
          for (int64_t j = 0; j < s.cols; ++j) {
            const int64_t i = r * s.cols + j;
            want_pre[i] = static_cast<double>(x.data<float>()[i]) + (with_bias ? bias.data<float>()[j] : 0.0f);
            want_y[i] = ActivateReference(act, want_pre[i]);
          }
        }
        Tensor y = Tensor::Empty(x.shape()), pre = Tensor::Empty(x.shape());
        ops::BiasActivationForward(x, bias, act, y, pre);
        EXPECT_TRUE(AllClose(y, want_y, 1e-6, 1e-6)) << Name(act) << " " << s.rows << "x" << s.cols;
        EXPECT_TRUE(AllClose(pre, want_pre, 1e-6, 1e-7)) << Name(act);
        // In place and without pre: the same values.
        ops::BiasActivationForward(x, bias, act, x, Tensor());
        EXPECT_TRUE(AllClose(x, want_y, 1e-6, 1e-6)) << Name(act) << " in place";
      }
    }
  }
}

TEST(KernelsActivation, ReluPropagatesNaN) {
  Tensor x = Tensor::FromVector({2}, {std::nanf(""), -1.0f}), y = Tensor::Empty({2});
  ops::BiasActivationForward(x, Tensor(), Activation::kRelu, y, Tensor());
  EXPECT_TRUE(std::isnan(y.data<float>()[0]));
  EXPECT_EQ(y.data<float>()[1], 0.0f);
}

// d act / dv in double by a central difference of the reference (smooth
// enough for GELU; ReLU inputs stay away from 0).
double DerivativeReference(Activation act, double v) {
  return kernel_test::CentralDifference([&] { return ActivateReference(act, v); }, &v, 1e-5);
}

TEST(KernelsActivation, BackwardMatchesReferenceAndSumsBias) {
  uint64_t seed = 500;
  for (Activation act : kActivations) {
    for (const Shape2& s : kShapes) {
      for (int accumulate = 0; accumulate < 2; ++accumulate) {
        Tensor pre = RandomTensor({s.rows, s.cols}, seed++, -3.0f, 3.0f);
        for (int64_t i = 0; i < pre.numel(); ++i) {  // ReLU's kink is not differentiable
          float& v = pre.data<float>()[i];
          if (std::fabs(v) < 1e-3f) v = 0.5f;
        }
        Tensor y = Tensor::Empty(pre.shape());
        ops::BiasActivationForward(pre, Tensor(), act, y, Tensor());
        Tensor dy = RandomTensor(pre.shape(), seed++);
        Tensor dbias = RandomTensor({s.cols}, seed++);
        std::vector<double> want_dz(pre.numel());
        std::vector<double> want_dbias(s.cols, 0.0);
        for (int64_t j = 0; j < s.cols; ++j) want_dbias[j] = accumulate ? dbias.data<float>()[j] : 0.0;
        for (int64_t r = 0; r < s.rows; ++r) {
          for (int64_t j = 0; j < s.cols; ++j) {
            const int64_t i = r * s.cols + j;
            want_dz[i] = dy.data<float>()[i] * DerivativeReference(act, pre.data<float>()[i]);
            want_dbias[j] += want_dz[i];
          }
        }
        const Tensor& saved = act == Activation::kRelu ? y : pre;  // the contract in ops.h
        Tensor dz = Tensor::Empty(pre.shape());
        ops::BiasActivationBackward(dy, act == Activation::kNone ? Tensor() : saved, act, dz, dbias, accumulate);
        EXPECT_TRUE(AllClose(dz, want_dz, 1e-6, 1e-5)) << Name(act) << " " << s.rows << "x" << s.cols;
        EXPECT_TRUE(AllClose(dbias, want_dbias, 1e-5, 1e-5)) << Name(act) << " accumulate " << accumulate;
        // dz aliasing dy, no dbias.
        ops::BiasActivationBackward(dy, saved, act, dy, Tensor(), false);
        EXPECT_TRUE(AllClose(dy, want_dz, 1e-6, 1e-5)) << Name(act) << " in place";
      }
    }
  }
}

// The whole op pair against finite differences of a double loss
// L(x, b) = sum(g * act(x + b)): dL/dx is the op's dz, dL/db its dbias.
TEST(KernelsActivation, GradientsMatchFiniteDifferences) {
  for (Activation act : {Activation::kRelu, Activation::kGelu}) {
    const int64_t rows = 3, cols = 5;
    Tensor x = RandomTensor({rows, cols}, 40, -2.0f, 2.0f), bias = RandomTensor({cols}, 41, -0.5f, 0.5f);
    Tensor g = RandomTensor({rows, cols}, 42);
    for (int64_t i = 0; i < x.numel(); ++i) {  // keep x + b at least 0.1 from ReLU's kink
      float& v = x.data<float>()[i];
      const float pre = v + bias.data<float>()[i % cols];
      if (std::fabs(pre) < 0.1f) v += pre >= 0 ? 0.2f : -0.2f;
    }
    std::vector<double> xd = kernel_test::ToDoubles(x), bd = kernel_test::ToDoubles(bias);
    auto loss = [&] {
      double total = 0.0;
      for (int64_t i = 0; i < rows * cols; ++i)
        total += g.data<float>()[i] * ActivateReference(act, xd[i] + bd[i % cols]);
      return total;
    };
    Tensor y = Tensor::Empty(x.shape()), pre = Tensor::Empty(x.shape());
    ops::BiasActivationForward(x, bias, act, y, pre);
    Tensor dz = Tensor::Empty(x.shape()), dbias = Tensor::Empty({cols});
    ops::BiasActivationBackward(g, act == Activation::kRelu ? y : pre, act, dz, dbias, false);
    std::vector<double> fd_x(xd.size()), fd_b(bd.size());
    for (size_t i = 0; i < xd.size(); ++i) fd_x[i] = kernel_test::CentralDifference(loss, &xd[i], 1e-5);
    for (size_t j = 0; j < bd.size(); ++j) fd_b[j] = kernel_test::CentralDifference(loss, &bd[j], 1e-5);
    EXPECT_TRUE(AllClose(dz, fd_x, 1e-5, 1e-4)) << Name(act);
    EXPECT_TRUE(AllClose(dbias, fd_b, 1e-5, 1e-4)) << Name(act);
  }
}

TEST(KernelsActivation, BiasBroadcastsOverTheLastDimensionOfAnyRank) {
  Tensor x = RandomTensor({2, 3, 4}, 7), bias = RandomTensor({4}, 8), y = Tensor::Empty({2, 3, 4});
  ops::BiasActivationForward(x, bias, Activation::kNone, y, Tensor());
  std::vector<double> want(24);
  for (int64_t i = 0; i < 24; ++i) want[i] = static_cast<double>(x.data<float>()[i]) + bias.data<float>()[i % 4];
  EXPECT_TRUE(AllClose(y, want, 1e-7, 1e-7));
}

TEST(KernelsActivation, RejectsMismatchedOperands) {
  Tensor x = RandomTensor({3, 4}, 1), y = Tensor::Empty({3, 4});
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] { ops::BiasActivationForward(x, RandomTensor({3}, 2), Activation::kRelu, y, Tensor()); },
      ErrorKind::kInternal, {"op BiasActivationForward", "bias", "f32[3]"}));
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] {
        ops::BiasActivationForward(x, Tensor(), Activation::kRelu, Tensor::Empty({4, 3}), Tensor());
      },
      ErrorKind::kInternal, {"y must have shape [3, 4]"}));
  EXPECT_TRUE(
      kernel_test::ThrowsError([&] { ops::BiasActivationBackward(x, Tensor(), Activation::kGelu, y, Tensor(), false); },
                               ErrorKind::kInternal, {"op BiasActivationBackward", "saved is undefined"}));
  EXPECT_TRUE(
      kernel_test::ThrowsError([&] { ops::BiasActivationBackward(x, x, Activation::kRelu, y, y.View(0, {4}), false); },
                               ErrorKind::kInternal, {"dbias overlaps"}));
}

}  // namespace
}  // namespace aif
