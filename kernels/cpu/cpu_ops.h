// The CPU backend of kernels/ops.h, private to kernels/: the ops of
// kernels/backend_ops.inc and kernels/backend_vision_ops.inc (declared once
// for both backends) plus the CPU's own convolution helper. These functions
// only compute: single-threaded loops written for the compiler's vectoriser,
// and OpenBLAS for products. They never allocate; the only scratch is the
// caller's workspace (convolution).
#pragma once

#include <cstdint>

#include "kernels/ops.h"
#include "kernels/vision_geometry.h"

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

// Convolution and pooling (conv.cpp, pool.cpp).
#include "kernels/backend_vision_ops.inc"

// True when im2col would copy x unchanged (1x1 kernel, stride 1, no
// padding): the products then read x directly and need no workspace.
bool ConvIsPointwise(const ConvGeometry& g);

}  // namespace cpu
}  // namespace ops
}  // namespace aif
