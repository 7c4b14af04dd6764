// Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11), the
// generator behind curand's Philox. A draw is a pure function of
// (seed, purpose, stream, index), so shuffles, splits, initialisation and
// dropout masks do not depend on how work is divided among ranks or threads,
// and CUDA code can reproduce them bit for bit (the functions are
// host/device-callable when compiled by nvcc).
//
// Counter layout (128 bits): index (64 bits) | stream (48 bits) | purpose (16).
// Key: the 64-bit seed.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define AIF_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define AIF_HOST_DEVICE inline
#endif

namespace aif {

// Each consumer of randomness has its own purpose, so streams never collide.
enum class RngPurpose : uint32_t {
  kValidationSplit = 1,  // prepare: which train samples go to val/test
  kChunkOrder = 2,       // reader: permutation of chunk ids per epoch
  kWindowShuffle = 3,    // reader: shuffle within a window of chunks
  kInit = 4,             // nn: parameter initialisation
  kDropout = 5,          // nn: dropout masks
  kSynthetic = 6,        // tests and benchmarks: synthetic data
};

struct U32x4 {
  uint32_t v[4];
};

AIF_HOST_DEVICE void MulHiLo32(uint32_t a, uint32_t b, uint32_t* hi, uint32_t* lo) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  *lo = static_cast<uint32_t>(p);
}

// The raw Philox4x32-10 bijection.
AIF_HOST_DEVICE U32x4 Philox4x32x10(U32x4 ctr, uint32_t k0, uint32_t k1) {
  const uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  const uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += kW0;
      k1 += kW1;
    }
    uint32_t hi0, lo0, hi1, lo1;
    MulHiLo32(kM0, ctr.v[0], &hi0, &lo0);
    MulHiLo32(kM1, ctr.v[2], &hi1, &lo1);
    U32x4 next = {{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
    ctr = next;
  }
  return ctr;
}

// 128 random bits for (seed, purpose, stream, index). stream uses 48 bits.
AIF_HOST_DEVICE U32x4 RandomBits(uint64_t seed, RngPurpose purpose, uint64_t stream, uint64_t index) {
  U32x4 ctr = {{static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
                static_cast<uint32_t>(stream),
                static_cast<uint32_t>((stream >> 32) & 0xFFFFu) | (static_cast<uint32_t>(purpose) << 16)}};
  return Philox4x32x10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

AIF_HOST_DEVICE uint64_t Random64(uint64_t seed, RngPurpose purpose, uint64_t stream, uint64_t index) {
  U32x4 r = RandomBits(seed, purpose, stream, index);
  return (static_cast<uint64_t>(r.v[1]) << 32) | r.v[0];
}

// Uniform integer in [0, n) by Lemire's multiply-shift (bias below 2^-64 * n).
AIF_HOST_DEVICE uint64_t RandomBelow(uint64_t n, uint64_t seed, RngPurpose purpose, uint64_t stream,
                                     uint64_t index) {
  uint64_t x = Random64(seed, purpose, stream, index);
#if defined(__CUDA_ARCH__)
  return __umul64hi(x, n);
#else
  return static_cast<uint64_t>((static_cast<unsigned __int128>(x) * n) >> 64);
#endif
}

// Uniform float in [0, 1) from the top 24 bits of one 32-bit word.
AIF_HOST_DEVICE float UniformFloat(uint32_t bits) { return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f); }

}  // namespace aif
