// MaxPool2dForward/Backward against a double reference on odd shapes and
// overlapping windows (stride < kernel): values, argmax indices (first
// maximum wins), NaN propagation, the backward scatter, and central
// differences of the double forward with inputs spaced so that the step
// cannot change a window's winner.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/ops.h"
#include "kernels_test_util.h"

namespace aif {
namespace {

using kernel_test::AllClose;
using kernel_test::RandomTensor;

struct PoolCase {
  int64_t n, c, h, w, kernel, stride;
};
const PoolCase kCases[] = {{1, 1, 1, 1, 1, 1},   {2, 3, 7, 5, 2, 2}, {1, 2, 8, 8, 3, 2},
                           {3, 1, 17, 33, 3, 3}, {2, 2, 6, 6, 2, 1}, {1, 3, 28, 28, 2, 2}};

int64_t Out(int64_t in, const PoolCase& g) { return (in - g.kernel) / g.stride + 1; }

// Forward reference: values and winners (index within the plane, first max wins).
void ReferencePool(const PoolCase& g, const std::vector<double>& x, std::vector<double>* y, std::vector<int>* argmax) {
  const int64_t P = Out(g.h, g), Q = Out(g.w, g);
  y->assign(g.n * g.c * P * Q, 0.0);
  argmax->assign(y->size(), -1);
  for (int64_t plane = 0; plane < g.n * g.c; ++plane) {
    for (int64_t p = 0; p < P; ++p) {
      for (int64_t q = 0; q < Q; ++q) {
        const int64_t o = (plane * P + p) * Q + q;
        for (int64_t i = 0; i < g.kernel; ++i) {
          for (int64_t j = 0; j < g.kernel; ++j) {
            const int64_t at = (p * g.stride + i) * g.w + q * g.stride + j;
            const double v = x[plane * g.h * g.w + at];
            if ((*argmax)[o] < 0 || v > (*y)[o]) {
              (*y)[o] = v;
              (*argmax)[o] = static_cast<int>(at);
            }
          }
        }
      }
    }
  }
}

struct PoolTensors {
  Tensor y, argmax;
};

PoolTensors RunPool(const PoolCase& g, const Tensor& x) {
  PoolTensors t{Tensor::Empty({g.n, g.c, Out(g.h, g), Out(g.w, g)}),
                Tensor::Empty({g.n, g.c, Out(g.h, g), Out(g.w, g)}, DType::kI32)};
  ops::MaxPool2dForward(x, g.kernel, g.stride, t.y, t.argmax);
  return t;
}

TEST(KernelsPool, ForwardMatchesReference) {
  uint64_t seed = 1;
  for (const PoolCase& g : kCases) {
    Tensor x = RandomTensor({g.n, g.c, g.h, g.w}, seed++);
    std::vector<double> want;
    std::vector<int> want_argmax;
    ReferencePool(g, kernel_test::ToDoubles(x), &want, &want_argmax);
    PoolTensors t = RunPool(g, x);
    EXPECT_TRUE(AllClose(t.y, want, 0.0, 0.0)) << "h " << g.h << " w " << g.w << " kernel " << g.kernel;
    for (size_t i = 0; i < want_argmax.size(); ++i) ASSERT_EQ(t.argmax.data<int32_t>()[i], want_argmax[i]) << i;
  }
}

// The 2x2, stride-2 case has its own branch-free code: on inputs full of
// ties and NaNs it must pick MaxOfWindow's winner (the first maximum in
// row-major window order, or the first NaN), on odd widths and heights too.
TEST(KernelsPool, TwoByTwoPicksTheFirstWinnerAmongTiesAndNaNs) {
  for (const PoolCase g : {PoolCase{2, 3, 9, 11, 2, 2}, PoolCase{1, 4, 28, 28, 2, 2}, PoolCase{3, 1, 2, 2, 2, 2}}) {
    Tensor x = RandomTensor({g.n, g.c, g.h, g.w}, 7);
    float* v = x.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int level = static_cast<int>((v[i] + 1.0f) * 2.0f);  // a few levels: many ties
      v[i] = level == 3 ? std::nanf("") : static_cast<float>(level);
    }
    PoolTensors t = RunPool(g, x);
    const int64_t P = Out(g.h, g), Q = Out(g.w, g);
    for (int64_t plane = 0; plane < g.n * g.c; ++plane) {
      for (int64_t o = 0; o < P * Q; ++o) {
        const int64_t p = o / Q, q = o % Q;
        int64_t want = -1;
        for (int64_t i = 0; i < 2; ++i) {
          for (int64_t j = 0; j < 2; ++j) {
            const int64_t at = (2 * p + i) * g.w + 2 * q + j;
            const float c = v[plane * g.h * g.w + at];
            const float best = want < 0 ? 0.0f : v[plane * g.h * g.w + want];
            if (want < 0 || c > best || (std::isnan(c) && !std::isnan(best))) want = at;
          }
        }
        ASSERT_EQ(t.argmax.data<int32_t>()[plane * P * Q + o], want) << "plane " << plane << " output " << o;
        const float got = t.y.data<float>()[plane * P * Q + o], expect = v[plane * g.h * g.w + want];
        ASSERT_TRUE(got == expect || (std::isnan(got) && std::isnan(expect)));
      }
    }
  }
}

TEST(KernelsPool, FirstMaximumWinsAndNaNPropagates) {
  const PoolCase g = {1, 1, 2, 4, 2, 2};
  Tensor x = Tensor::FromVector({1, 1, 2, 4}, {0.5f, 0.5f, 1.0f, std::nanf(""),  //
                                               0.5f, 0.5f, 1.0f, 1.0f});
  PoolTensors t = RunPool(g, x);
  EXPECT_EQ(t.y.data<float>()[0], 0.5f);
  EXPECT_EQ(t.argmax.data<int32_t>()[0], 0);  // four equal values: the first
  EXPECT_TRUE(std::isnan(t.y.data<float>()[1]));
  EXPECT_EQ(t.argmax.data<int32_t>()[1], 3);
}

TEST(KernelsPool, BackwardScattersToWinnersAndAddsOverlaps) {
  uint64_t seed = 100;
  for (const PoolCase& g : kCases) {
    Tensor x = RandomTensor({g.n, g.c, g.h, g.w}, seed++);
    PoolTensors t = RunPool(g, x);
    Tensor dy = RandomTensor(t.y.shape(), seed++);
    Tensor dx = kernel_test::FilledTensor(x.shape(), 3.0f);  // overwritten
    ops::MaxPool2dBackward(dy, t.argmax, g.kernel, g.stride, dx);
    std::vector<double> want(x.numel(), 0.0), y_ref;
    std::vector<int> argmax_ref;
    ReferencePool(g, kernel_test::ToDoubles(x), &y_ref, &argmax_ref);
    const int64_t out_plane = Out(g.h, g) * Out(g.w, g);
    for (size_t o = 0; o < argmax_ref.size(); ++o) {
      want[(o / out_plane) * g.h * g.w + argmax_ref[o]] += dy.data<float>()[o];
    }
    EXPECT_TRUE(AllClose(dx, want, 1e-6, 1e-6)) << "h " << g.h << " kernel " << g.kernel << " stride " << g.stride;
  }
}

TEST(KernelsPool, GradientMatchesFiniteDifferences) {
  for (const PoolCase& g : {PoolCase{1, 2, 5, 5, 3, 2}, PoolCase{2, 1, 4, 6, 2, 2}, PoolCase{1, 1, 5, 4, 2, 1}}) {
    // Distinct values 0.01 apart in a scrambled order: a 1e-3 step never
    // changes which input wins a window.
    const int64_t count = g.n * g.c * g.h * g.w;
    std::vector<double> x(count);
    for (int64_t i = 0; i < count; ++i) x[i] = 0.01 * static_cast<double>((i * 7919) % count);
    Tensor gy = RandomTensor({g.n, g.c, Out(g.h, g), Out(g.w, g)}, 5);
    auto loss = [&] {
      std::vector<double> y;
      std::vector<int> argmax;
      ReferencePool(g, x, &y, &argmax);
      double total = 0.0;
      for (size_t i = 0; i < y.size(); ++i) total += gy.data<float>()[i] * y[i];
      return total;
    };
    std::vector<double> fd(count);
    for (int64_t i = 0; i < count; ++i) fd[i] = kernel_test::CentralDifference(loss, &x[i], 1e-3);
    Tensor xt = Tensor::Empty({g.n, g.c, g.h, g.w});
    for (int64_t i = 0; i < count; ++i) xt.data<float>()[i] = static_cast<float>(x[i]);
    PoolTensors t = RunPool(g, xt);
    Tensor dx = Tensor::Empty(xt.shape());
    ops::MaxPool2dBackward(gy, t.argmax, g.kernel, g.stride, dx);
    EXPECT_TRUE(AllClose(dx, fd, 1e-6, 1e-6)) << "kernel " << g.kernel << " stride " << g.stride;
  }
}

TEST(KernelsPool, RejectsBadOperandsAndCorruptArgmax) {
  Tensor x = RandomTensor({1, 1, 4, 4}, 1);
  Tensor y = Tensor::Empty({1, 1, 2, 2}), argmax = Tensor::Empty({1, 1, 2, 2}, DType::kI32);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::MaxPool2dForward(x, 5, 1, y, argmax); }, ErrorKind::kInternal,
                                       {"op MaxPool2dForward", "does not fit"}));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::MaxPool2dForward(x, 2, 1, y, argmax); }, ErrorKind::kInternal,
                                       {"y must have shape [1, 1, 3, 3]"}));
  ops::MaxPool2dForward(x, 2, 2, y, argmax);
  argmax.data<int32_t>()[3] = 16;
  Tensor dx = Tensor::Empty(x.shape());
  // dy's shape must be the one kernel and stride give dx.
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::MaxPool2dBackward(y, argmax, 2, 1, dx); }, ErrorKind::kInternal,
                                       {"op MaxPool2dBackward", "dy must have shape [1, 1, 3, 3]"}));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::MaxPool2dBackward(y, argmax, 2, 2, dx); }, ErrorKind::kInternal,
                                       {"op MaxPool2dBackward", "argmax 16"}));
}

}  // namespace
}  // namespace aif
