// The CPU backend of kernels/ops.h, private to kernels/. These functions take
// raw pointers and sizes that kernels/ops*.cpp have already checked against the
// tensors, so they only compute: single-threaded loops written for the
// compiler's vectoriser, and OpenBLAS for products. They never allocate; the
// only scratch is the caller's workspace (convolution).
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

// ---- gemm.cpp --------------------------------------------------------------
// Row-major c[m, n] = alpha * op(a) @ op(b) + beta * c; ld* are row strides
// (elements) of the arrays as stored. beta == 0 ignores c's old contents.
void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// ---- activation.cpp --------------------------------------------------------
// x, y, pre are [rows, cols]; bias [cols] or null (then rows = 1, cols = all
// elements). pre may be null. y and pre may alias x.
void BiasActivationForward(const float* x, const float* bias, int64_t rows, int64_t cols, Activation act, float* y,
                           float* pre);
// saved: y for ReLU, the pre-activation for GELU, unused for kNone. dz may
// alias dy; dbias [cols] or null, never aliasing the others.
void BiasActivationBackward(const float* dy, const float* saved, int64_t rows, int64_t cols, Activation act, float* dz,
                            float* dbias, bool accumulate_dbias);

// ---- dropout.cpp -----------------------------------------------------------
void DropoutForward(const float* x, int64_t rows, int64_t cols, float p, uint64_t seed, uint64_t stream,
                    const int64_t* sample_ids, float* y, uint8_t* mask);
void DropoutBackward(const float* dy, const uint8_t* mask, int64_t n, float p, float* dx);

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

// ---- loss.cpp --------------------------------------------------------------
// logits [rows, classes]; labels [rows]; valid [rows] or null (all valid);
// dlogits null (loss only) or [rows, classes], possibly aliasing logits.
double SoftmaxCrossEntropy(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows,
                           int64_t classes, float grad_scale, float* dlogits);
double MeanSquaredError(const float* pred, const float* target, const uint8_t* valid, int64_t rows, float grad_scale,
                        float* dpred);
int64_t CountCorrect(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows, int64_t classes);
int64_t CountTopK(const float* logits, const int32_t* labels, const uint8_t* valid, int64_t rows, int64_t classes,
                  int64_t k);
void Argmax(const float* logits, int64_t rows, int64_t classes, int32_t* out);
void Softmax(const float* logits, int64_t rows, int64_t classes, float* probs);

// ---- optim.cpp -------------------------------------------------------------
// momentum_buf may be null when hp.momentum == 0.
void SgdUpdate(float* param, const float* grad, float* momentum_buf, int64_t n, const SgdParams& hp);
void AdamWUpdate(float* param, const float* grad, float* m, float* v, int64_t n, const AdamWParams& hp);
double SquaredNorm(const float* x, int64_t n);
void Scale(float* x, int64_t n, float alpha);
void Axpy(float alpha, const float* x, float* y, int64_t n);

// ---- cast.cpp --------------------------------------------------------------
void CastF32ToBF16(const float* src, uint16_t* dst, int64_t n);
void CastBF16ToF32(const uint16_t* src, float* dst, int64_t n);

}  // namespace cpu
}  // namespace ops
}  // namespace aif
