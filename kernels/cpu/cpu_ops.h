// The CPU backend of kernels/ops.h, private to kernels/: the ops of
// kernels/backend_ops.inc (declared once for both backends) plus convolution
// and pooling, which only the CPU has so far. These functions only compute:
// single-threaded loops written for the compiler's vectoriser, and OpenBLAS
// for products. They never allocate; the only scratch is the caller's
// workspace (convolution).
#pragma once

#include <cstdint>

#include "kernels/ops.h"

// Hot element-wise loops are compiled three times (AVX-512, AVX2, baseline
// x86-64) and the loader picks the best one the CPU has (GCC target_clones,
// an ifunc): the binary stays portable and runs at full vector width. With
// -ffp-contract=off (kernels/CMakeLists.txt) every clone computes each
// element with the same IEEE operations, so results are bitwise identical
// whichever clone runs (mixed CPU generations in one job stay in lock-step).
// Reductions whose order would depend on the vector width are not cloned.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AIF_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define AIF_CPU_CLONES
#endif
#define AIF_CPU_INLINE __attribute__((always_inline)) inline

namespace aif {
namespace ops {
namespace cpu {

// The ops both backends implement (gemm, activation, dropout, loss, optim,
// cast .cpp files here).
#include "kernels/backend_ops.inc"

// ---- conv.cpp --------------------------------------------------------------
// Sizes of one convolution: x [n, c, h, w], w [k, c, r, s], y [n, k, p, q].
struct ConvGeometry {
  int64_t n, c, h, w;
  int64_t k, r, s;
  int64_t p, q;
  int64_t stride, padding;
};
// True when im2col would copy x unchanged (1x1 kernel, stride 1, no
// padding): the products then read x directly and need no workspace.
bool ConvIsPointwise(const ConvGeometry& g);
// bias may be null; workspace holds c*r*s*p*q floats (unused if pointwise).
void Conv2dForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                   float* workspace);
// dx may be null (not computed); dbias may be null. dx is overwritten; dw
// and dbias are overwritten, or added to when `accumulate`.
void Conv2dBackward(const ConvGeometry& g, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* dbias, bool accumulate, float* workspace);

// ---- pool.cpp --------------------------------------------------------------
// planes = n * c; each plane is h x w in, p x q out.
struct PoolGeometry {
  int64_t planes, h, w;
  int64_t p, q;
  int64_t kernel, stride;
};
void MaxPool2dForward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax);
void MaxPool2dBackward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx);

}  // namespace cpu
}  // namespace ops
}  // namespace aif
