// Max pooling without padding. The forward records, per output, the index
// of the winning input within its plane (h * W + w; the first maximum wins,
// and a NaN wins over numbers so it propagates), so the backward is a
// scatter-add that needs no second look at x and handles overlapping windows
// (stride < kernel) by accumulation.
#include <algorithm>

#include "core/error.h"
#include "kernels/cpu/cpu_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cpu {

void MaxPool2dForward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int64_t in_plane = g.h * g.w, out_plane = g.p * g.q;
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    const float* xp = x + plane * in_plane;
    float* yp = y + plane * out_plane;
    int32_t* ap = argmax + plane * out_plane;
    for (int64_t p = 0; p < g.p; ++p) {
      for (int64_t q = 0; q < g.q; ++q) {
        int64_t best_index = 0;
        yp[p * g.q + q] = MaxOfWindow(xp, g.w, p * g.stride, q * g.stride, g.kernel, &best_index);
        ap[p * g.q + q] = static_cast<int32_t>(best_index);
      }
    }
  }
}

void MaxPool2dBackward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  const int64_t in_plane = g.h * g.w, out_plane = g.p * g.q;
  std::fill(dx, dx + g.planes * in_plane, 0.0f);
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    float* dxp = dx + plane * in_plane;
    const float* dyp = dy + plane * out_plane;
    const int32_t* ap = argmax + plane * out_plane;
    for (int64_t i = 0; i < out_plane; ++i) {
      // argmax is caller-provided: a corrupt index must not write out of bounds.
      if (ap[i] < 0 || ap[i] >= in_plane) {
        ThrowInternal("op MaxPool2dBackward: argmax %d of output %lld outside its plane of %lld inputs", ap[i],
                      static_cast<long long>(plane * out_plane + i), static_cast<long long>(in_plane));
      }
      dxp[ap[i]] += dyp[i];
    }
  }
}

}  // namespace cpu
}  // namespace ops
}  // namespace aif
