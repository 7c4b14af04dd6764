// Dropout whose mask is a pure function of (seed, stream, global sample
// index, feature): one Philox draw per element at counter
// sample_ids[r] * cols + j, so a row's mask is the same whichever rank or
// batch split processes it, and the CUDA kernel can reproduce it bit for bit.
// Kept elements are scaled by 1 / (1 - p), computed once in float.
#include <algorithm>

#include "core/error.h"
#include "kernels/cpu/cpu_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cpu {

AIF_CPU_CLONES void DropoutForward(const float* x, int64_t rows, int64_t cols, float p, uint64_t seed, uint64_t stream,
                    const int64_t* sample_ids, float* y, uint8_t* mask) {
  const int64_t n = rows * cols;
  if (p == 0.0f) {  // UniformFloat(.) >= 0 always holds: everything is kept, unscaled
    if (y != x) std::copy(x, x + n, y);
    std::fill(mask, mask + n, uint8_t{1});
    return;
  }
  const float scale = 1.0f / (1.0f - p);
  for (int64_t r = 0; r < rows; ++r) {
    if (sample_ids[r] < 0) {
      ThrowInternal("op DropoutForward: sample id %lld of row %lld is negative", static_cast<long long>(sample_ids[r]),
                    static_cast<long long>(r));
    }
    const uint64_t first = static_cast<uint64_t>(sample_ids[r]) * static_cast<uint64_t>(cols);
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    uint8_t* mr = mask + r * cols;
    for (int64_t j = 0; j < cols; ++j) {
      const bool keep = DropoutKeeps(seed, stream, first + static_cast<uint64_t>(j), p);
      mr[j] = keep ? 1 : 0;
      const float v = xr[j];
      yr[j] = keep ? v * scale : 0.0f;
    }
  }
}

AIF_CPU_CLONES void DropoutBackward(const float* dy, const uint8_t* mask, int64_t n, float p, float* dx) {
  const float scale = 1.0f / (1.0f - p);
  // A multiply by 0 or scale rather than a select: it vectorises.
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (static_cast<float>(mask[i]) * scale);
}

}  // namespace cpu
}  // namespace ops
}  // namespace aif
