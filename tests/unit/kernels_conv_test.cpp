// Conv2dForward/Backward against a direct (seven-loop) double convolution on
// many geometries: odd sizes, strides 1-3, padding 0-2, non-square kernels,
// kernels as large as the input, 1x1 convolutions (no workspace). The
// backward also against central differences of the double forward for dx,
// dw and dbias, with stride 2 and padding 1 among the cases; accumulate and
// an undefined dx; the workspace is scratch (pre-filled with NaN).
#include <gtest/gtest.h>

#include <limits>

#include "kernels/ops.h"
#include "kernels_test_util.h"

namespace aif {
namespace {

using kernel_test::AllClose;
using kernel_test::RandomTensor;

struct ConvCase {
  int64_t n, c, h, w, k, r, s, stride, padding;
};

const ConvCase kCases[] = {{1, 1, 1, 1, 1, 1, 1, 1, 0},   {2, 3, 7, 5, 4, 3, 3, 1, 1}, {3, 2, 8, 9, 5, 3, 3, 2, 1},
                           {1, 1, 17, 17, 3, 5, 5, 2, 2}, {2, 4, 6, 6, 3, 1, 1, 1, 0}, {2, 3, 5, 7, 2, 1, 1, 2, 0},
                           {1, 2, 4, 4, 3, 4, 4, 1, 0},   {2, 3, 7, 7, 3, 2, 3, 3, 2}, {1, 33, 3, 3, 7, 3, 3, 1, 1},
                           {2, 1, 28, 28, 8, 3, 3, 1, 1}};

std::string Describe(const ConvCase& g) {
  return "x [" + std::to_string(g.n) + "," + std::to_string(g.c) + "," + std::to_string(g.h) + "," +
         std::to_string(g.w) + "] w [" + std::to_string(g.k) + "," + std::to_string(g.c) + "," + std::to_string(g.r) +
         "," + std::to_string(g.s) + "] stride " + std::to_string(g.stride) + " padding " + std::to_string(g.padding);
}

int64_t OutSize(int64_t in, int64_t k, const ConvCase& g) { return (in + 2 * g.padding - k) / g.stride + 1; }

// Calls visit(y_index, x_index, w_index, k) for every multiply of the
// direct convolution: the one definition the references below share.
template <typename Visit>
void ForEachTap(const ConvCase& g, Visit&& visit) {
  const int64_t P = OutSize(g.h, g.r, g), Q = OutSize(g.w, g.s, g);
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t k = 0; k < g.k; ++k)
      for (int64_t p = 0; p < P; ++p)
        for (int64_t q = 0; q < Q; ++q)
          for (int64_t c = 0; c < g.c; ++c)
            for (int64_t r = 0; r < g.r; ++r)
              for (int64_t s = 0; s < g.s; ++s) {
                const int64_t h = p * g.stride - g.padding + r, w = q * g.stride - g.padding + s;
                if (h < 0 || h >= g.h || w < 0 || w >= g.w) continue;
                visit(((n * g.k + k) * P + p) * Q + q, ((n * g.c + c) * g.h + h) * g.w + w,
                      ((k * g.c + c) * g.r + r) * g.s + s, k);
              }
}

std::vector<double> ReferenceForward(const ConvCase& g, const std::vector<double>& x, const std::vector<double>& w,
                                     const std::vector<double>* bias) {
  const int64_t P = OutSize(g.h, g.r, g), Q = OutSize(g.w, g.s, g);
  std::vector<double> y(g.n * g.k * P * Q, 0.0);
  if (bias) {
    for (size_t i = 0; i < y.size(); ++i) y[i] = (*bias)[(i / (P * Q)) % g.k];
  }
  ForEachTap(g, [&](int64_t yi, int64_t xi, int64_t wi, int64_t) { y[yi] += x[xi] * w[wi]; });
  return y;
}

struct ConvTensors {
  Tensor x, w, bias, y, workspace;
};

ConvTensors MakeConv(const ConvCase& g, uint64_t seed) {
  ConvTensors t;
  t.x = RandomTensor({g.n, g.c, g.h, g.w}, seed);
  t.w = RandomTensor({g.k, g.c, g.r, g.s}, seed + 1);
  t.bias = RandomTensor({g.k}, seed + 2);
  t.y = Tensor::Empty({g.n, g.k, OutSize(g.h, g.r, g), OutSize(g.w, g.s, g)});
  const int64_t scratch = ops::Conv2dWorkspaceElements(t.x.shape(), t.w.shape(), {g.stride, g.padding});
  if (scratch > 0) t.workspace = kernel_test::FilledTensor({scratch}, std::numeric_limits<float>::quiet_NaN());
  return t;
}

TEST(KernelsConv, OutputAndWorkspaceSizes) {
  EXPECT_EQ(ops::ConvOutputSize(28, 3, 1, 1), 28);
  EXPECT_EQ(ops::ConvOutputSize(28, 3, 2, 1), 14);
  EXPECT_EQ(ops::ConvOutputSize(7, 3, 2, 0), 3);
  EXPECT_EQ(ops::ConvOutputSize(4, 4, 1, 0), 1);
  EXPECT_TRUE(
      kernel_test::ThrowsError([] { ops::ConvOutputSize(2, 5, 1, 1); }, ErrorKind::kInternal, {"does not fit"}));
  EXPECT_TRUE(kernel_test::ThrowsError([] { ops::ConvOutputSize(8, 3, 0, 1); }, ErrorKind::kInternal, {"stride 0"}));
  EXPECT_EQ(ops::Conv2dWorkspaceElements({2, 3, 28, 28}, {8, 3, 3, 3}, {1, 1}), 3 * 3 * 3 * 28 * 28);
  EXPECT_EQ(ops::Conv2dWorkspaceElements({2, 3, 28, 28}, {8, 3, 1, 1}, {1, 0}), 0);  // pointwise reads x
  EXPECT_EQ(ops::Conv2dWorkspaceElements({2, 3, 28, 28}, {8, 3, 1, 1}, {2, 0}), 3 * 14 * 14);
  // cuDNN's workspace is the CUDA backend's own.
  EXPECT_EQ(ops::Conv2dWorkspaceElements({2, 3, 28, 28}, {8, 3, 3, 3}, {1, 1}, DeviceType::kCuda), 0);
}

TEST(KernelsConv, ForwardMatchesDirectConvolution) {
  uint64_t seed = 1;
  for (const ConvCase& g : kCases) {
    for (int with_bias = 0; with_bias < 2; ++with_bias) {
      ConvTensors t = MakeConv(g, seed += 3);
      const std::vector<double> bias = kernel_test::ToDoubles(t.bias);
      const std::vector<double> want =
          ReferenceForward(g, kernel_test::ToDoubles(t.x), kernel_test::ToDoubles(t.w), with_bias ? &bias : nullptr);
      ops::Conv2dForward(t.x, t.w, with_bias ? t.bias : Tensor(), {g.stride, g.padding}, t.y, t.workspace);
      EXPECT_TRUE(AllClose(t.y, want, 1e-6 * (g.c * g.r * g.s + 1), 1e-5)) << Describe(g) << " bias " << with_bias;
    }
  }
}

TEST(KernelsConv, BackwardMatchesDirectConvolutionAdjoint) {
  uint64_t seed = 1000;
  for (const ConvCase& g : kCases) {
    for (int accumulate = 0; accumulate < 2; ++accumulate) {
      ConvTensors t = MakeConv(g, seed += 5);
      Tensor dy = RandomTensor(t.y.shape(), seed + 3);
      Tensor dx = kernel_test::FilledTensor(t.x.shape(), 7.0f);  // overwritten, never added to
      Tensor dw = RandomTensor(t.w.shape(), seed + 4), dbias = RandomTensor({g.k}, seed + 5);
      std::vector<double> want_dx(t.x.numel(), 0.0);
      std::vector<double> want_dw = accumulate ? kernel_test::ToDoubles(dw) : std::vector<double>(dw.numel(), 0.0);
      std::vector<double> want_db = accumulate ? kernel_test::ToDoubles(dbias) : std::vector<double>(g.k, 0.0);
      const float *x = t.x.data<float>(), *w = t.w.data<float>(), *gy = dy.data<float>();
      ForEachTap(g, [&](int64_t yi, int64_t xi, int64_t wi, int64_t) {
        want_dx[xi] += static_cast<double>(gy[yi]) * w[wi];
        want_dw[wi] += static_cast<double>(gy[yi]) * x[xi];
      });
      const int64_t plane = t.y.numel() / (g.n * g.k);
      for (int64_t i = 0; i < dy.numel(); ++i) want_db[(i / plane) % g.k] += gy[i];

      ops::Conv2dBackward(t.x, t.w, dy, {g.stride, g.padding}, dx, dw, dbias, accumulate, t.workspace);
      const double tol = 1e-6 * (t.y.numel() / g.k + g.k * g.r * g.s + 1);
      EXPECT_TRUE(AllClose(dx, want_dx, tol, 1e-5)) << Describe(g) << " dx";
      EXPECT_TRUE(AllClose(dw, want_dw, tol, 1e-5)) << Describe(g) << " dw, accumulate " << accumulate;
      EXPECT_TRUE(AllClose(dbias, want_db, tol, 1e-5)) << Describe(g) << " dbias, accumulate " << accumulate;
    }
  }
}

TEST(KernelsConv, BackwardWithoutDxOrDbiasStillGivesDw) {
  const ConvCase g = {2, 3, 7, 5, 4, 3, 3, 2, 1};
  ConvTensors t = MakeConv(g, 77);
  Tensor dy = RandomTensor(t.y.shape(), 78);
  Tensor dx = Tensor::Empty(t.x.shape()), dw_full = Tensor::Empty(t.w.shape()), dw = Tensor::Empty(t.w.shape());
  ops::Conv2dBackward(t.x, t.w, dy, {g.stride, g.padding}, dx, dw_full, Tensor(), false, t.workspace);
  ops::Conv2dBackward(t.x, t.w, dy, {g.stride, g.padding}, Tensor(), dw, Tensor(), false, t.workspace);
  EXPECT_TRUE(AllClose(dw, kernel_test::ToDoubles(dw_full), 0.0, 0.0));
}

// dL/dx, dL/dw, dL/dbias of L = sum(g * conv(x, w, b)), by central
// differences of the double forward; L is linear in each, so the step can
// be large and the check tight.
TEST(KernelsConv, GradientsMatchFiniteDifferences) {
  const ConvCase cases[] = {{2, 2, 5, 6, 3, 3, 3, 2, 1}, {1, 3, 6, 5, 2, 3, 2, 1, 1}, {2, 2, 4, 4, 2, 1, 1, 1, 0}};
  for (const ConvCase& g : cases) {
    ConvTensors t = MakeConv(g, 500);
    Tensor gy = RandomTensor(t.y.shape(), 501);
    std::vector<double> x = kernel_test::ToDoubles(t.x), w = kernel_test::ToDoubles(t.w);
    std::vector<double> b = kernel_test::ToDoubles(t.bias), g_out = kernel_test::ToDoubles(gy);
    auto loss = [&] {
      const std::vector<double> y = ReferenceForward(g, x, w, &b);
      double total = 0.0;
      for (size_t i = 0; i < y.size(); ++i) total += g_out[i] * y[i];
      return total;
    };
    std::vector<double> fd_x(x.size()), fd_w(w.size()), fd_b(b.size());
    for (size_t i = 0; i < x.size(); ++i) fd_x[i] = kernel_test::CentralDifference(loss, &x[i], 0.1);
    for (size_t i = 0; i < w.size(); ++i) fd_w[i] = kernel_test::CentralDifference(loss, &w[i], 0.1);
    for (size_t i = 0; i < b.size(); ++i) fd_b[i] = kernel_test::CentralDifference(loss, &b[i], 0.1);
    Tensor dx = Tensor::Empty(t.x.shape()), dw = Tensor::Empty(t.w.shape()), db = Tensor::Empty({g.k});
    ops::Conv2dBackward(t.x, t.w, gy, {g.stride, g.padding}, dx, dw, db, false, t.workspace);
    EXPECT_TRUE(AllClose(dx, fd_x, 1e-5, 1e-5)) << Describe(g);
    EXPECT_TRUE(AllClose(dw, fd_w, 1e-5, 1e-5)) << Describe(g);
    EXPECT_TRUE(AllClose(db, fd_b, 1e-5, 1e-5)) << Describe(g);
  }
}

TEST(KernelsConv, RejectsBadOperands) {
  const ConvCase g = {1, 2, 5, 5, 3, 3, 3, 1, 1};
  ConvTensors t = MakeConv(g, 9);
  const ops::Conv2dParams params{g.stride, g.padding};
  Tensor small = Tensor::Empty({t.workspace.numel() - 1});
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Conv2dForward(t.x, t.w, t.bias, params, t.y, small); },
                                       ErrorKind::kInternal, {"op Conv2dForward", "workspace is smaller"}));
  Tensor w_bad = RandomTensor({3, 4, 3, 3}, 1);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Conv2dForward(t.x, w_bad, t.bias, params, t.y, t.workspace); },
                                       ErrorKind::kInternal, {"input channels", "f32[3, 4, 3, 3]"}));
  Tensor y_bad = Tensor::Empty({1, 3, 4, 5});
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Conv2dForward(t.x, t.w, t.bias, params, y_bad, t.workspace); },
                                       ErrorKind::kInternal, {"y must have shape [1, 3, 5, 5]"}));
  Tensor big_w = RandomTensor({3, 2, 9, 9}, 2);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Conv2dForward(t.x, big_w, Tensor(), params, t.y, t.workspace); },
                                       ErrorKind::kInternal, {"does not fit"}));
  Tensor dy = RandomTensor(t.y.shape(), 3), dw_bad = Tensor::Empty({3, 2, 3, 2});
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] { ops::Conv2dBackward(t.x, t.w, dy, params, Tensor(), dw_bad, Tensor(), false, t.workspace); },
      ErrorKind::kInternal, {"op Conv2dBackward", "dw must have shape [3, 2, 3, 3]"}));
}

}  // namespace
}  // namespace aif
