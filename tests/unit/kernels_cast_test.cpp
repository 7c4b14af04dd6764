// CastF32ToBF16/CastBF16ToF32: bit-exact agreement with dtype.h's rounding
// (the function the CUDA side shares), known round-to-nearest-even cases,
// NaN and infinities, and the round trip's relative error bound (half an
// ulp of an 8-bit significand: 2^-8).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/ops.h"
#include "kernels_test_util.h"

namespace aif {
namespace {

float FromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

TEST(KernelsCast, RoundsToNearestEvenLikeDtypeH) {
  const float inf = std::numeric_limits<float>::infinity();
  // 1 + 2^-8 lies halfway between bf16 1.0 and 1.0078125: ties go to the even 1.0;
  // 1 + 3 * 2^-8 lies halfway between 1.0078125 and 1.015625: to the even 1.015625.
  const std::vector<float> values = {
      1.0f,   -2.5f,  FromBits(0x3f808000u), FromBits(0x3f818000u), FromBits(0x3f808001u), inf, -inf, 0.0f, -0.0f,
      1e-40f, 3.0e38f};
  const uint16_t want[] = {0x3f80,
                           0xc020,
                           0x3f80,
                           0x3f82,
                           0x3f81,
                           0x7f80,
                           0xff80,
                           0x0000,
                           0x8000,
                           FloatToBF16(1e-40f),
                           FloatToBF16(3.0e38f)};
  Tensor src = Tensor::FromVector({static_cast<int64_t>(values.size())}, values);
  Tensor dst = Tensor::Empty(src.shape(), DType::kBF16);
  ops::CastF32ToBF16(src, dst);
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(dst.data<uint16_t>()[i], want[i]) << values[i];
}

TEST(KernelsCast, NaNStaysNaN) {
  Tensor src =
      Tensor::FromVector({2}, {std::nanf(""), FromBits(0x7f800001u)});  // the second is a NaN with low bits only
  Tensor half = Tensor::Empty({2}, DType::kBF16), back = Tensor::Empty({2});
  ops::CastF32ToBF16(src, half);
  ops::CastBF16ToF32(half, back);
  EXPECT_TRUE(std::isnan(back.data<float>()[0]));
  EXPECT_TRUE(std::isnan(back.data<float>()[1]));
}

TEST(KernelsCast, RandomValuesMatchDtypeHAndRoundTripWithinHalfAnUlp) {
  for (int64_t n : {1, 7, 33, 1000}) {
    Tensor src = kernel_test::RandomTensor({n}, 90 + n, -1000.0f, 1000.0f);
    Tensor half = Tensor::Empty({n}, DType::kBF16), back = Tensor::Empty({n});
    ops::CastF32ToBF16(src, half);
    ops::CastBF16ToF32(half, back);
    std::vector<double> want(n);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(half.data<uint16_t>()[i], FloatToBF16(src.data<float>()[i])) << i;
      want[i] = src.data<float>()[i];
    }
    EXPECT_TRUE(kernel_test::AllClose(back, want, 0.0, std::ldexp(1.0, -8))) << n;
  }
}

TEST(KernelsCast, RejectsWrongTypesAndSizes) {
  Tensor src = kernel_test::RandomTensor({4}, 1);
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::CastF32ToBF16(src, Tensor::Empty({4})); }, ErrorKind::kInternal,
                                       {"op CastF32ToBF16", "dst must be bf16"}));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::CastF32ToBF16(src, Tensor::Empty({3}, DType::kBF16)); },
                                       ErrorKind::kInternal, {"dst must have 4 elements"}));
  EXPECT_TRUE(kernel_test::ThrowsError([&] { ops::CastBF16ToF32(src, Tensor::Empty({4})); }, ErrorKind::kInternal,
                                       {"op CastBF16ToF32", "src must be bf16"}));
}

}  // namespace
}  // namespace aif
