// NormalizeRow: one row of features as float32,
// dst[f] = (src[f] - offset[f]) * scale[f], the reader's normalisation.
// Built for AVX-512, AVX2 and the baseline and picked at load time (GCC
// target_clones); every version does the same IEEE operations without
// contraction, so the bits do not depend on the CPU. src, offset, scale and
// dst must not overlap.
#pragma once

#include <cstdint>

namespace aif {

void NormalizeRow(const uint8_t* src, const float* offset, const float* scale, int64_t n, float* dst);
void NormalizeRow(const float* src, const float* offset, const float* scale, int64_t n, float* dst);

}  // namespace aif
