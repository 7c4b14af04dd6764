#include "data/normalize_row.h"

namespace aif {
namespace {

template <typename T>
inline void NormalizeRowImpl(const T* __restrict src, const float* __restrict offset, const float* __restrict scale,
                             int64_t n, float* __restrict dst) {
  for (int64_t f = 0; f < n; ++f) dst[f] = (static_cast<float>(src[f]) - offset[f]) * scale[f];
}

}  // namespace

__attribute__((target_clones("avx512f", "avx2", "default"))) void NormalizeRow(
    const uint8_t* src, const float* offset, const float* scale, int64_t n, float* dst) {
  NormalizeRowImpl(src, offset, scale, n, dst);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void NormalizeRow(
    const float* src, const float* offset, const float* scale, int64_t n, float* dst) {
  NormalizeRowImpl(src, offset, scale, n, dst);
}

}  // namespace aif
