// Inputs whose all-reduce sum is exact, so the check can demand equality:
// rank r's element i is the small integer ((i + 7r) mod 13) - 6, so every
// partial sum is an integer of magnitude <= 6 * ranks, exactly representable
// in float (for fewer than 2^21 ranks) in any order of summation.
#pragma once

#include <cstdint>
#include <vector>

namespace aif {
namespace bench {

constexpr int kPatternPeriod = 13;

inline float PatternValue(int64_t i, int rank) {
  return static_cast<float>((i + 7 * static_cast<int64_t>(rank)) % kPatternPeriod - 6);
}

inline void FillPattern(float* p, int64_t n, int rank) {
  float period[kPatternPeriod];
  for (int k = 0; k < kPatternPeriod; ++k) period[k] = PatternValue(k, rank);
  for (int64_t i = 0, k = 0; i < n; ++i, k = k + 1 == kPatternPeriod ? 0 : k + 1) p[i] = period[k];
}

// Elements of `p` that differ from the sum of every rank's pattern.
inline int64_t CountWrong(const float* p, int64_t n, int ranks) {
  float expected[kPatternPeriod] = {0};
  for (int k = 0; k < kPatternPeriod; ++k) {
    int64_t sum = 0;
    for (int r = 0; r < ranks; ++r) sum += static_cast<int64_t>(PatternValue(k, r));
    expected[k] = static_cast<float>(sum);
  }
  int64_t wrong = 0;
  for (int64_t i = 0, k = 0; i < n; ++i, k = k + 1 == kPatternPeriod ? 0 : k + 1) wrong += p[i] != expected[k];
  return wrong;
}

}  // namespace bench
}  // namespace aif
