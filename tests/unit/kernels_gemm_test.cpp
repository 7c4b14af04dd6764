// ops::Matmul against a double-precision triple loop, for every combination
// of transposes, odd sizes, alpha and beta; plus the BLAS corner cases the
// CPU backend handles itself (k == 0, beta == 0 over garbage) and the shape
// checks; bf16 operands against the f32 product of their widened values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/ops.h"
#include "kernels_test_util.h"

namespace aif {
namespace {

using kernel_test::AllClose;
using kernel_test::RandomTensor;

// want = alpha * op(a) @ op(b) + beta * c, in double, from the stored layouts.
std::vector<double> ReferenceGemm(const Tensor& a, bool ta, const Tensor& b, bool tb, const Tensor& c, double alpha,
                                  double beta) {
  const int64_t m = c.dim(0), n = c.dim(1), k = ta ? a.dim(0) : a.dim(1);
  const float *A = a.data<float>(), *B = b.data<float>(), *C = c.data<float>();
  std::vector<double> want(m * n);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int64_t l = 0; l < k; ++l) {
        const double av = ta ? A[l * m + i] : A[i * k + l];
        const double bv = tb ? B[j * k + l] : B[l * n + j];
        sum += av * bv;
      }
      want[i * n + j] = alpha * sum + (beta == 0.0 ? 0.0 : beta * C[i * n + j]);
    }
  }
  return want;
}

struct GemmCase {
  int64_t m, n, k;
};

TEST(KernelsGemm, MatchesReferenceForAllTransposesAndOddSizes) {
  const GemmCase cases[] = {{1, 1, 1}, {3, 7, 5}, {17, 33, 1}, {100, 3, 17}, {33, 100, 7}, {1, 17, 100}, {64, 65, 63}};
  const float scalars[][2] = {{1.0f, 0.0f}, {0.7f, -0.3f}, {-2.0f, 1.0f}};
  uint64_t seed = 1;
  for (const GemmCase& g : cases) {
    for (int ta = 0; ta < 2; ++ta) {
      for (int tb = 0; tb < 2; ++tb) {
        for (const auto& s : scalars) {
          Tensor a = RandomTensor(ta ? Shape{g.k, g.m} : Shape{g.m, g.k}, seed++);
          Tensor b = RandomTensor(tb ? Shape{g.n, g.k} : Shape{g.k, g.n}, seed++);
          Tensor c = RandomTensor({g.m, g.n}, seed++);
          const std::vector<double> want = ReferenceGemm(a, ta, b, tb, c, s[0], s[1]);
          ops::Matmul(a, ta, b, tb, c, s[0], s[1]);
          // Products of k terms in [-1, 1): float error grows like k * 2^-24.
          EXPECT_TRUE(AllClose(c, want, 1e-6 * (g.k + 1), 1e-5))
              << "m " << g.m << " n " << g.n << " k " << g.k << " ta " << ta << " tb " << tb << " alpha " << s[0]
              << " beta " << s[1];
        }
      }
    }
  }
}

// f32 tensor holding the bf16 tensor's values exactly.
Tensor Widened(const Tensor& bf16) {
  Tensor out = Tensor::Empty(bf16.shape());
  ops::CastBF16ToF32(bf16, out);
  return out;
}

TEST(KernelsGemm, BF16OperandsGiveTheF32ProductOfTheirValues) {
  // bf16 products are exact in f32 and the sums are f32 sgemm's, so the
  // result is bitwise the f32 product of the widened operands.
  const GemmCase cases[] = {{1, 1, 1}, {3, 7, 5}, {17, 33, 1}, {64, 65, 63}, {100, 3, 17}};
  uint64_t seed = 100;
  for (const GemmCase& g : cases) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      Tensor a32 = RandomTensor(ta ? Shape{g.k, g.m} : Shape{g.m, g.k}, seed++);
      Tensor b32 = RandomTensor(tb ? Shape{g.n, g.k} : Shape{g.k, g.n}, seed++);
      Tensor a = Tensor::Empty(a32.shape(), DType::kBF16), b = Tensor::Empty(b32.shape(), DType::kBF16);
      ops::CastF32ToBF16(a32, a);
      ops::CastF32ToBF16(b32, b);
      Tensor c = RandomTensor({g.m, g.n}, seed++), want = Tensor::Empty({g.m, g.n});
      want.CopyFrom(c);
      ops::Matmul(a, ta, b, tb, c, 0.5f, 2.0f);
      ops::Matmul(Widened(a), ta, Widened(b), tb, want, 0.5f, 2.0f);
      EXPECT_EQ(0, std::memcmp(c.raw(), want.raw(), c.numel() * sizeof(float)))
          << "m " << g.m << " n " << g.n << " k " << g.k << " ta " << ta << " tb " << tb;
      // And it differs from the f32 product of the unrounded values by the
      // rounding of the operands only: at most half an ulp (2^-9) per operand, on terms of size <= 1.
      Tensor exact = Tensor::Zeros({g.m, g.n});
      ops::Matmul(a32, ta, b32, tb, exact, 0.5f, 0.0f);
      Tensor rounded = Tensor::Zeros({g.m, g.n});
      ops::Matmul(a, ta, b, tb, rounded, 0.5f, 0.0f);
      EXPECT_TRUE(AllClose(rounded, kernel_test::ToDoubles(exact), 0.5 * g.k * 2 * std::ldexp(1.0, -9) + 1e-6, 1e-6));
    }
  }
}

TEST(KernelsGemm, RejectsMixedOperandTypes) {
  Tensor a = Tensor::Zeros({3, 4}, DType::kBF16), b = RandomTensor({4, 2}, 1), c = Tensor::Empty({3, 2});
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Matmul(a, false, b, false, c); }, ErrorKind::kInternal,
                                       {"op Matmul", "b must be bf16"}));
  Tensor c16 = Tensor::Empty({3, 2}, DType::kBF16), b16 = Tensor::Zeros({4, 2}, DType::kBF16);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Matmul(a, false, b16, false, c16); }, ErrorKind::kInternal,
                                       {"op Matmul", "c must"}));
}

TEST(KernelsGemm, BetaZeroIgnoresGarbageInC) {
  Tensor a = RandomTensor({5, 3}, 11), b = RandomTensor({3, 4}, 12);
  Tensor c = kernel_test::FilledTensor({5, 4}, std::numeric_limits<float>::quiet_NaN());
  Tensor zeros = Tensor::Zeros({5, 4});
  const std::vector<double> want = ReferenceGemm(a, false, b, false, zeros, 1.0, 0.0);
  ops::Matmul(a, false, b, false, c);
  EXPECT_TRUE(AllClose(c, want, 1e-6, 1e-6));
}

TEST(KernelsGemm, EmptyInnerDimensionScalesC) {
  Tensor a = Tensor::Empty({4, 0}), b = Tensor::Empty({0, 3});
  Tensor c = RandomTensor({4, 3}, 3);
  std::vector<double> want = kernel_test::ToDoubles(c);
  for (double& v : want) v *= 0.5;
  ops::Matmul(a, false, b, false, c, 1.0f, 0.5f);
  EXPECT_TRUE(AllClose(c, want, 0.0, 0.0));
  Tensor garbage = kernel_test::FilledTensor({4, 3}, std::numeric_limits<float>::quiet_NaN());
  ops::Matmul(a, false, b, false, garbage, 1.0f, 0.0f);
  EXPECT_TRUE(AllClose(garbage, std::vector<double>(12, 0.0), 0.0, 0.0));
}

TEST(KernelsGemm, EmptyOutputIsANoOp) {
  Tensor a = RandomTensor({0, 5}, 1), b = RandomTensor({5, 3}, 2), c = Tensor::Empty({0, 3});
  EXPECT_NO_THROW(ops::Matmul(a, false, b, false, c));
}

TEST(KernelsGemm, RejectsMismatchedShapesNamingThem) {
  Tensor a = RandomTensor({3, 4}, 1), b = RandomTensor({5, 2}, 2), c = Tensor::Empty({3, 2});
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Matmul(a, false, b, false, c); }, ErrorKind::kInternal,
                                       {"op Matmul", "inner dimensions", "f32[3, 4]", "f32[5, 2]"}));
  Tensor b_ok = RandomTensor({4, 2}, 3), c_bad = Tensor::Empty({2, 3});
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Matmul(a, false, b_ok, false, c_bad); }, ErrorKind::kInternal,
                                       {"op Matmul", "c must have shape [3, 2]"}));
  Tensor three_d = Tensor::Empty({1, 3, 4});
  EXPECT_TRUE(
      kernel_test::ThrowsError([&] { ops::Matmul(three_d, false, b_ok, false, c); }, ErrorKind::kInternal, {"2-D"}));
  Tensor ints = Tensor::Empty({3, 4}, DType::kI32);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::Matmul(ints, false, b_ok, false, c); }, ErrorKind::kInternal,
                                       {"a must be f32"}));
}

TEST(KernelsGemm, RejectsAnOutputThatAliasesAnInput) {
  Tensor a = RandomTensor({4, 4}, 1), b = RandomTensor({4, 4}, 2);
  EXPECT_TRUE(
      kernel_test::ThrowsError([&] { ops::Matmul(a, false, b, false, a); }, ErrorKind::kInternal, {"overlaps"}));
}

// LinearForward is Matmul then BiasActivationForward on the CPU, bit for bit
// (CUDA may fuse the two: tests/gpu/kernels_linear_gpu_test.cpp).
TEST(KernelsGemm, LinearForwardIsMatmulThenBiasActivation) {
  const int64_t m = 13, n = 7, k = 29;
  for (bool bf16 : {false, true}) {
    for (ops::Activation act : {ops::Activation::kNone, ops::Activation::kRelu, ops::Activation::kGelu}) {
      Tensor x = RandomTensor({m, k}, 1), w = RandomTensor({n, k}, 2), bias = RandomTensor({n}, 3);
      if (bf16) {
        Tensor x16 = Tensor::Empty({m, k}, DType::kBF16), w16 = Tensor::Empty({n, k}, DType::kBF16);
        ops::CastF32ToBF16(x, x16);
        ops::CastF32ToBF16(w, w16);
        x = x16, w = w16;
      }
      Tensor y = Tensor::Empty({m, n}), pre = Tensor::Empty({m, n});
      Tensor want = Tensor::Empty({m, n}), want_pre = Tensor::Empty({m, n});
      ops::LinearForward(x, w, bias, act, y, pre);
      ops::Matmul(x, false, w, true, want);
      ops::BiasActivationForward(want, bias, act, want, want_pre);
      EXPECT_EQ(std::memcmp(y.raw(), want.raw(), y.nbytes()), 0) << bf16 << " " << static_cast<int>(act);
      EXPECT_EQ(std::memcmp(pre.raw(), want_pre.raw(), pre.nbytes()), 0);
      Tensor y2 = Tensor::Empty({m, n});
      ops::LinearForward(x, w, bias, act, y2, Tensor());
      EXPECT_EQ(std::memcmp(y2.raw(), want.raw(), y2.nbytes()), 0);
    }
  }
  Tensor x = RandomTensor({m, k}, 1), w = RandomTensor({n, k}, 2), y = Tensor::Empty({m, n});
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] { ops::LinearForward(x, RandomTensor({n, k + 1}, 2), RandomTensor({n}, 3), ops::Activation::kNone, y,
                               Tensor()); },
      ErrorKind::kInternal, {"op LinearForward", "x must be [N, K] and w [F, K]"}));
  EXPECT_TRUE(kernel_test::ThrowsError(
      [&] { ops::LinearForward(x, w, RandomTensor({n + 1}, 3), ops::Activation::kNone, y, Tensor()); },
      ErrorKind::kInternal, {"op LinearForward", "bias"}));
}

}  // namespace
}  // namespace aif
