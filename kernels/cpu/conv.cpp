// 2-D convolution (NCHW) as im2col + sgemm, one image at a time so the
// scratch is one image's column matrix (c*r*s x p*q floats, the caller's
// workspace) instead of the whole batch's. Backward, per image: im2col of x
// for dw += dy_n @ col^T, then the same workspace receives w^T @ dy_n, which
// col2im scatters into dx_n. A 1x1, stride-1, unpadded convolution is a
// plain product: x is used as its own column matrix and no workspace is
// needed. Padding is handled by computing, per kernel offset, the range of
// output positions that read inside the image, so inner loops have no tests.
#include <algorithm>

#include "kernels/cpu/cpu_ops.h"

namespace aif {
namespace ops {
namespace cpu {
namespace {

// Output positions o in [0, out) read input o * stride + offset; returns the
// sub-range [*lo, *hi) where that input lies inside [0, in).
void InsideRange(int64_t out, int64_t in, int64_t offset, int64_t stride, int64_t* lo, int64_t* hi) {
  int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t end = in - 1 - offset < 0 ? 0 : (in - 1 - offset) / stride + 1;
  *lo = std::min(first, out);
  *hi = std::max(*lo, std::min(end, out));
}

// Walks the column matrix [c*r*s, p*q] of one image row by row: for kernel
// tap (c, r, s) and output row p, calls visit(col_offset, image_offset, q_lo,
// q_hi, w_offset), where col_offset starts that row of q outputs, output q
// reads image element image_offset + q * stride + w_offset, and only q in
// [q_lo, q_hi) read inside the image; image_offset is -1 when the whole row
// reads padding.
template <typename Visit>
void ForEachColumnRow(const ConvGeometry& g, Visit&& visit) {
  int64_t col_offset = 0;
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t r = 0; r < g.r; ++r) {
      int64_t p_lo, p_hi;
      InsideRange(g.p, g.h, r - g.padding, g.stride, &p_lo, &p_hi);
      for (int64_t s = 0; s < g.s; ++s) {
        const int64_t w_offset = s - g.padding;
        int64_t q_lo, q_hi;
        InsideRange(g.q, g.w, w_offset, g.stride, &q_lo, &q_hi);
        for (int64_t p = 0; p < g.p; ++p, col_offset += g.q) {
          const bool inside = p >= p_lo && p < p_hi;
          const int64_t image_offset = inside ? (c * g.h + p * g.stride + r - g.padding) * g.w : -1;
          visit(col_offset, image_offset, q_lo, q_hi, w_offset);
        }
      }
    }
  }
}

// col [c*r*s, p*q] from one image x [c, h, w]; zeros where the kernel reads padding.
void Im2Col(const ConvGeometry& g, const float* x, float* col) {
  ForEachColumnRow(g, [&](int64_t col_offset, int64_t image_offset, int64_t q_lo, int64_t q_hi, int64_t w_offset) {
    float* out = col + col_offset;
    if (image_offset < 0) {
      std::fill(out, out + g.q, 0.0f);
      return;
    }
    const float* in_row = x + image_offset;
    std::fill(out, out + q_lo, 0.0f);
    if (g.stride == 1) {  // the common case: a contiguous copy
      std::copy(in_row + q_lo + w_offset, in_row + q_hi + w_offset, out + q_lo);
    } else {
      for (int64_t q = q_lo; q < q_hi; ++q) out[q] = in_row[q * g.stride + w_offset];
    }
    std::fill(out + q_hi, out + g.q, 0.0f);
  });
}

// dx [c, h, w] = the sum, over kernel taps, of col's entries scattered back
// to the inputs they were read from (the adjoint of Im2Col).
void Col2Im(const ConvGeometry& g, const float* col, float* dx) {
  std::fill(dx, dx + g.c * g.h * g.w, 0.0f);
  ForEachColumnRow(g, [&](int64_t col_offset, int64_t image_offset, int64_t q_lo, int64_t q_hi, int64_t w_offset) {
    if (image_offset < 0) return;
    float* out_row = dx + image_offset;
    const float* in = col + col_offset;
    if (g.stride == 1) {  // contiguous, so it vectorises
      float* out = out_row + q_lo + w_offset;
      const float* src = in + q_lo;
      for (int64_t i = 0; i < q_hi - q_lo; ++i) out[i] += src[i];
    } else {
      for (int64_t q = q_lo; q < q_hi; ++q) out_row[q * g.stride + w_offset] += in[q];
    }
  });
}

}  // namespace

bool ConvIsPointwise(const ConvGeometry& g) { return g.r == 1 && g.s == 1 && g.stride == 1 && g.padding == 0; }

void Conv2dForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                   float* workspace) {
  const int64_t crs = g.c * g.r * g.s, pq = g.p * g.q;
  const bool pointwise = ConvIsPointwise(g);
  for (int64_t n = 0; n < g.n; ++n) {
    const float* x_n = x + n * g.c * g.h * g.w;
    float* y_n = y + n * g.k * pq;
    if (!pointwise) Im2Col(g, x_n, workspace);
    Gemm(false, false, g.k, pq, crs, 1.0f, w, crs, pointwise ? x_n : workspace, pq, 0.0f, y_n, pq);
    if (!bias) continue;
    for (int64_t k = 0; k < g.k; ++k) {
      float* plane = y_n + k * pq;
      const float b = bias[k];
      for (int64_t i = 0; i < pq; ++i) plane[i] += b;
    }
  }
}

void Conv2dBackward(const ConvGeometry& g, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* dbias, bool accumulate, float* workspace) {
  const int64_t crs = g.c * g.r * g.s, pq = g.p * g.q;
  const bool pointwise = ConvIsPointwise(g);
  if (dbias) {
    // One double total per output channel, over all images and positions.
    for (int64_t k = 0; k < g.k; ++k) {
      double total = 0.0;
      for (int64_t n = 0; n < g.n; ++n) {
        const float* plane = dy + (n * g.k + k) * pq;
#pragma omp simd reduction(+ : total)
        for (int64_t i = 0; i < pq; ++i) total += plane[i];
      }
      dbias[k] = static_cast<float>(accumulate ? dbias[k] + total : total);
    }
  }
  // Every image adds into dw, so start from zero unless accumulating.
  if (!accumulate) std::fill(dw, dw + g.k * crs, 0.0f);
  for (int64_t n = 0; n < g.n; ++n) {
    const float* x_n = x + n * g.c * g.h * g.w;
    const float* dy_n = dy + n * g.k * pq;
    if (!pointwise) Im2Col(g, x_n, workspace);
    Gemm(false, true, g.k, crs, pq, 1.0f, dy_n, pq, pointwise ? x_n : workspace, pq, 1.0f, dw, crs);
    if (!dx) continue;
    float* dx_n = dx + n * g.c * g.h * g.w;
    Gemm(true, false, crs, pq, g.k, 1.0f, w, crs, dy_n, pq, 0.0f, pointwise ? dx_n : workspace, pq);
    if (!pointwise) Col2Im(g, workspace, dx_n);
  }
}

}  // namespace cpu
}  // namespace ops
}  // namespace aif
