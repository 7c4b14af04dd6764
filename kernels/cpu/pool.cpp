// Max pooling without padding. The forward records, per output, the index
// of the winning input within its plane (h * W + w; the first maximum wins,
// and a NaN wins over numbers so it propagates), so the backward is a
// scatter-add that needs no second look at x and handles overlapping windows
// (stride < kernel) by accumulation.
#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kernels/cpu/cpu_ops.h"
#include "kernels/elementwise_math.h"

namespace aif {
namespace ops {
namespace cpu {

namespace {

// One step of MaxOfWindow's scan: v (at index) replaces the best so far when
// larger, or when it is the first NaN. Written as selects so that it works
// alike on scalars and on GCC vectors (where comparisons give lane masks).
template <typename F, typename I>
inline void TakeIfBetter(const F& v, const I& index, F* best, I* best_index) {
  const auto take = (v > *best) | ((v != v) & (*best == *best));
  *best = take ? v : *best;
  *best_index = take ? index : *best_index;
}

// GCC vector types of kLanes floats and int32s (AVX2/AVX-512 in the clones).
template <int kLanes>
struct Lanes {
  typedef float F __attribute__((vector_size(4 * kLanes)));
  typedef int32_t I __attribute__((vector_size(4 * kLanes)));
};

// kLanes outputs of a pooled row from column 2q on: input columns 2q ..
// 2q + 2 kLanes - 1 of the two input rows, split into even and odd columns.
template <int kLanes>
inline void Pool2x2Lanes(const float* r0, const float* r1, int32_t top, int32_t width, int32_t q, float* y,
                         int32_t* argmax) {
  using F = typename Lanes<kLanes>::F;
  using I = typename Lanes<kLanes>::I;
  I even_lanes, odd_lanes;
  for (int l = 0; l < kLanes; ++l) even_lanes[l] = 2 * l, odd_lanes[l] = 2 * l + 1;
  F top_left, top_right, bottom_left, bottom_right;
  F lo, hi;
  std::memcpy(&lo, r0 + 2 * q, sizeof lo);
  std::memcpy(&hi, r0 + 2 * q + kLanes, sizeof hi);
  top_left = __builtin_shuffle(lo, hi, even_lanes);
  top_right = __builtin_shuffle(lo, hi, odd_lanes);
  std::memcpy(&lo, r1 + 2 * q, sizeof lo);
  std::memcpy(&hi, r1 + 2 * q + kLanes, sizeof hi);
  bottom_left = __builtin_shuffle(lo, hi, even_lanes);
  bottom_right = __builtin_shuffle(lo, hi, odd_lanes);
  const I left = even_lanes + (top + 2 * q);
  const I right = left + 1, below = left + width, below_right = left + width + 1;
  F best = top_left;
  I index = left;
  TakeIfBetter(top_right, right, &best, &index);
  TakeIfBetter(bottom_left, below, &best, &index);
  TakeIfBetter(bottom_right, below_right, &best, &index);
  std::memcpy(y + q, &best, sizeof best);
  std::memcpy(argmax + q, &index, sizeof index);
}

// A pooled row of `count` outputs in blocks of kLanes; the last block
// overlaps the one before it (recomputing a few outputs) instead of a scalar
// tail. Needs count >= kLanes.
template <int kLanes>
inline void Pool2x2Row(const float* r0, const float* r1, int32_t top, int32_t width, int32_t count, float* y,
                       int32_t* argmax) {
  for (int32_t q = 0;; q += kLanes) {
    const int32_t at = std::min(q, count - kLanes);
    Pool2x2Lanes<kLanes>(r0, r1, top, width, at, y, argmax);
    if (at == count - kLanes) break;
  }
}

}  // namespace

// 2x2 windows, stride 2 (the usual pooling): MaxOfWindow's result and index,
// the four candidates compared in its scan order with selects, 8 or 4
// outputs at a time. The generic scan's data-dependent branches mispredict
// on about half of the comparisons, which made pooling a fifth of a CNN's
// training step.
AIF_CPU_CLONES void MaxPool2x2Forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int64_t in_plane = g.h * g.w, out_plane = g.p * g.q;
  const int32_t width = static_cast<int32_t>(g.w), count = static_cast<int32_t>(g.q);
  for (int64_t plane = 0; plane < g.planes; ++plane) {
    for (int64_t p = 0; p < g.p; ++p) {
      const int32_t top = static_cast<int32_t>(2 * p * g.w);
      const float* r0 = x + plane * in_plane + top;
      const float* r1 = r0 + g.w;
      float* yr = y + plane * out_plane + p * g.q;
      int32_t* ar = argmax + plane * out_plane + p * g.q;
      if (count >= 8) {
        Pool2x2Row<8>(r0, r1, top, width, count, yr, ar);
      } else if (count >= 4) {
        Pool2x2Row<4>(r0, r1, top, width, count, yr, ar);
      } else {
        for (int32_t q = 0; q < count; ++q) {
          const int32_t j = 2 * q;
          float best = r0[j];
          int32_t index = top + j;
          TakeIfBetter(r0[j + 1], top + j + 1, &best, &index);
          TakeIfBetter(r1[j], top + width + j, &best, &index);
          TakeIfBetter(r1[j + 1], top + width + j + 1, &best, &index);
          yr[q] = best;
          ar[q] = index;
        }
      }
    }
  }
}

void MaxPool2dForward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  if (g.kernel == 2 && g.stride == 2) {
    MaxPool2x2Forward(g, x, y, argmax);
    return;
  }
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
