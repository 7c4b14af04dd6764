#include "core/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace aif {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;  // reflected 0x1EDC6F41

std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1u) ? kPolynomial : 0u);
    table[i] = c;
  }
  return table;
}

uint32_t Crc32cTable(uint32_t crc, const uint8_t* p, size_t n) {
  static const std::array<uint32_t, 256> table = MakeTable();
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return crc;
}

// The hardware loop runs three independent CRCs over three adjacent blocks
// (the instruction's latency is three times its throughput) and joins them
// with "append this many zero bytes" operators, as Mark Adler's crc32c.c
// does: a CRC register is linear, so reg(A || B) = zeros_|B|(reg(A)) ^ reg0(B).

// GF(2) 32x32 matrices as 32 column words.
uint32_t MatrixTimes(const uint32_t* mat, uint32_t vec) {
  uint32_t sum = 0;
  for (; vec != 0; vec >>= 1, ++mat) {
    if (vec & 1u) sum ^= *mat;
  }
  return sum;
}

void MatrixSquare(uint32_t* square, const uint32_t* mat) {
  for (int n = 0; n < 32; ++n) square[n] = MatrixTimes(mat, mat[n]);
}

// Table form of the operator that appends `len` zero bytes to a register.
struct ZerosTable {
  uint32_t t[4][256];
  explicit ZerosTable(size_t len) {
    uint32_t even[32], odd[32];
    odd[0] = kPolynomial;  // the operator for one zero bit
    for (int n = 1; n < 32; ++n) odd[n] = 1u << (n - 1);
    MatrixSquare(even, odd);  // two zero bits
    MatrixSquare(odd, even);  // four
    // Squaring doubles: after the loop, `even` or `odd` holds 8 * len bits' operator.
    const uint32_t* op = nullptr;
    for (;;) {
      MatrixSquare(even, odd);
      len >>= 1;
      if (len == 0) {
        op = even;
        break;
      }
      MatrixSquare(odd, even);
      len >>= 1;
      if (len == 0) {
        op = odd;
        break;
      }
    }
    for (uint32_t n = 0; n < 256; ++n) {
      t[0][n] = MatrixTimes(op, n);
      t[1][n] = MatrixTimes(op, n << 8);
      t[2][n] = MatrixTimes(op, n << 16);
      t[3][n] = MatrixTimes(op, n << 24);
    }
  }
  uint32_t Shift(uint32_t crc) const {
    return t[0][crc & 0xFFu] ^ t[1][(crc >> 8) & 0xFFu] ^ t[2][(crc >> 16) & 0xFFu] ^ t[3][crc >> 24];
  }
};

#if defined(__x86_64__)
constexpr size_t kLong = 8192, kShort = 256;

template <size_t kBlock>
__attribute__((target("sse4.2"))) uint64_t ThreeWay(uint64_t crc0, const uint8_t** p, size_t* n,
                                                   const ZerosTable& zeros) {
  while (*n >= 3 * kBlock) {
    uint64_t crc1 = 0, crc2 = 0;
    const uint8_t* next = *p;
    for (const uint8_t* end = next + kBlock; next < end; next += 8) {
      uint64_t a, b, c;
      std::memcpy(&a, next, 8);
      std::memcpy(&b, next + kBlock, 8);
      std::memcpy(&c, next + 2 * kBlock, 8);
      crc0 = _mm_crc32_u64(crc0, a);
      crc1 = _mm_crc32_u64(crc1, b);
      crc2 = _mm_crc32_u64(crc2, c);
    }
    crc0 = zeros.Shift(static_cast<uint32_t>(crc0)) ^ crc1;
    crc0 = zeros.Shift(static_cast<uint32_t>(crc0)) ^ crc2;
    *p += 3 * kBlock;
    *n -= 3 * kBlock;
  }
  return crc0;
}

__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(uint32_t crc, const uint8_t* p, size_t n) {
  static const ZerosTable long_zeros(kLong), short_zeros(kShort);
  uint64_t c = crc;
  c = ThreeWay<kLong>(c, &p, &n, long_zeros);
  c = ThreeWay<kShort>(c, &p, &n, short_zeros);
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    c = _mm_crc32_u64(c, word);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}

bool HaveSse42() {
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
}
#endif

}  // namespace

uint32_t Crc32c(uint32_t crc, const void* data, size_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
#if defined(__x86_64__)
  if (HaveSse42()) return ~Crc32cSse42(crc, p, n);
#endif
  return ~Crc32cTable(crc, p, n);
}

}  // namespace aif
