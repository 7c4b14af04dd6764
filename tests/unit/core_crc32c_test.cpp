// CRC-32C: the standard check values, extension over pieces, and the
// hardware path (three interleaved streams joined by zero-byte operators)
// against a bit-by-bit reference on lengths around its block sizes and at
// unaligned offsets.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/crc32c.h"

namespace aif {
namespace {

uint32_t BitwiseCrc32c(const uint8_t* p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
  }
  return ~crc;
}

TEST(Crc32c, StandardCheckValues) {
  const std::string digits = "123456789";
  EXPECT_EQ(Crc32c(0, digits.data(), digits.size()), 0xE3069283u);
  const std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF);
  EXPECT_EQ(Crc32c(0, zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720, B.4
  EXPECT_EQ(Crc32c(0, ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(0, nullptr, 0), 0u);
}

TEST(Crc32c, MatchesBitwiseReferenceOnEveryPathAndExtends) {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(3 * 8192 * 2 + 3 * 256 * 3 + 100);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{255}, size_t{767}, size_t{768}, size_t{769},
                   size_t{3 * 8192 - 1}, size_t{3 * 8192}, size_t{3 * 8192 + 777}, size_t{2 * 3 * 8192 + 3 * 256 + 9}}) {
    for (size_t offset : {size_t{0}, size_t{3}}) {
      if (offset + n > data.size()) continue;
      const uint8_t* p = data.data() + offset;
      const uint32_t want = BitwiseCrc32c(p, n);
      ASSERT_EQ(Crc32c(0, p, n), want) << "n " << n << " offset " << offset;
      const size_t cut = n / 3;  // extension: any split gives the same CRC
      ASSERT_EQ(Crc32c(Crc32c(0, p, cut), p + cut, n - cut), want) << "n " << n;
    }
  }
  // A single flipped bit anywhere changes it.
  const uint32_t base = Crc32c(0, data.data(), data.size());
  for (size_t at : {size_t{0}, size_t{8191}, data.size() / 2, data.size() - 1}) {
    data[at] ^= 0x10;
    EXPECT_NE(Crc32c(0, data.data(), data.size()), base) << at;
    data[at] ^= 0x10;
  }
}

}  // namespace
}  // namespace aif
