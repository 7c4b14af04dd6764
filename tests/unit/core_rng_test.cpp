// Philox4x32-10 against the Random123 known-answer vectors, and the
// properties the reader and initialisers rely on.
#include <gtest/gtest.h>

#include <set>

#include "core/rng.h"

namespace aif {
namespace {

TEST(Philox, MatchesRandom123KnownAnswers) {
  U32x4 zero = Philox4x32x10(U32x4{{0, 0, 0, 0}}, 0, 0);
  EXPECT_EQ(zero.v[0], 0x6627e8d5u);
  EXPECT_EQ(zero.v[1], 0xe169c58du);
  EXPECT_EQ(zero.v[2], 0xbc57ac4cu);
  EXPECT_EQ(zero.v[3], 0x9b00dbd8u);
  U32x4 ones = Philox4x32x10(U32x4{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu, 0xffffffffu);
  EXPECT_EQ(ones.v[0], 0x408f276du);
  EXPECT_EQ(ones.v[1], 0x41c83b0eu);
  EXPECT_EQ(ones.v[2], 0xa20bc7c6u);
  EXPECT_EQ(ones.v[3], 0x6d5451fdu);
  U32x4 pi = Philox4x32x10(U32x4{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u, 0x299f31d0u);
  EXPECT_EQ(pi.v[0], 0xd16cfe09u);
  EXPECT_EQ(pi.v[1], 0x94fdccebu);
  EXPECT_EQ(pi.v[2], 0x5001e420u);
  EXPECT_EQ(pi.v[3], 0x24126ea1u);
}

TEST(Philox, PurposesAndStreamsAreIndependent) {
  uint64_t a = Random64(7, RngPurpose::kDropout, 3, 11);
  EXPECT_EQ(a, Random64(7, RngPurpose::kDropout, 3, 11));  // a pure function
  EXPECT_NE(a, Random64(7, RngPurpose::kInit, 3, 11));
  EXPECT_NE(a, Random64(7, RngPurpose::kDropout, 4, 11));
  EXPECT_NE(a, Random64(7, RngPurpose::kDropout, 3, 12));
  EXPECT_NE(a, Random64(8, RngPurpose::kDropout, 3, 11));
}

TEST(Philox, RandomBelowStaysInRangeAndCoversIt) {
  std::set<uint64_t> seen;
  for (uint64_t i = 0; i < 2000; ++i) {
    uint64_t v = RandomBelow(10, 1, RngPurpose::kSynthetic, 0, i);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(Philox, UniformFloatIsInUnitInterval) {
  EXPECT_EQ(UniformFloat(0), 0.0f);
  EXPECT_LT(UniformFloat(0xffffffffu), 1.0f);
  double sum = 0;
  for (uint64_t i = 0; i < 10000; ++i) sum += UniformFloat(RandomBits(3, RngPurpose::kSynthetic, 0, i).v[0]);
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

}  // namespace
}  // namespace aif
