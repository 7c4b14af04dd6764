// Matrix products go to OpenBLAS (cblas_sgemm, row-major); this file only
// covers the cases BLAS rejects or handles poorly: empty outputs, and k == 0,
// where BLAS demands a leading dimension >= 1 although the product is empty,
// so c = beta * c is computed here. Threads are OpenBLAS's own
// (OPENBLAS_NUM_THREADS); ops.cpp has checked that sizes fit BLAS's int.
// bf16 operands: Debian's OpenBLAS has no sbgemm, so they are widened to f32
// (exactly) in per-thread scratch and multiplied by sgemm. That gives the
// numbers of a bf16 GEMM with f32 accumulation, not its speed: on the CPU,
// --precision bf16 is for checking a configuration before it goes to GPUs.
#include <cblas.h>

#include <algorithm>
#include <vector>

#include "tensor/dtype.h"

#include "kernels/cpu/cpu_ops.h"

namespace aif {
namespace ops {
namespace cpu {

void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (int64_t i = 0; i < m; ++i) {
      float* row = c + i * ldc;
      // beta == 0 must not propagate NaN from an uninitialised c (BLAS rule).
      if (beta == 0.0f) {
        std::fill(row, row + n, 0.0f);
      } else {
        for (int64_t j = 0; j < n; ++j) row[j] *= beta;
      }
    }
    return;
  }
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(std::max<int64_t>(lda, 1)), b, static_cast<blasint>(std::max<int64_t>(ldb, 1)), beta,
              c, static_cast<blasint>(std::max<int64_t>(ldc, 1)));
}

namespace {

// f32 copy of the rows x cols matrix `src` (row stride ld) into `dst`, packed.
const float* Widen(const uint16_t* src, int64_t rows, int64_t cols, int64_t ld, std::vector<float>* dst) {
  dst->resize(static_cast<size_t>(rows * cols));
  float* out = dst->data();
  for (int64_t i = 0; i < rows; ++i) {
    const uint16_t* row = src + i * ld;
    for (int64_t j = 0; j < cols; ++j) out[i * cols + j] = BF16ToFloat(row[j]);
  }
  return out;
}

}  // namespace

void GemmBF16(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const uint16_t* a,
              int64_t lda, const uint16_t* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  thread_local std::vector<float> wide_a, wide_b;
  // Stored shapes: a is [m, k] or, transposed, [k, m]; b is [k, n] or [n, k].
  const int64_t a_rows = transpose_a ? k : m, a_cols = transpose_a ? m : k;
  const int64_t b_rows = transpose_b ? n : k, b_cols = transpose_b ? k : n;
  const float* fa = Widen(a, a_rows, a_cols, lda, &wide_a);
  const float* fb = Widen(b, b_rows, b_cols, ldb, &wide_b);
  Gemm(transpose_a, transpose_b, m, n, k, alpha, fa, a_cols, fb, b_cols, beta, c, ldc);
}

// The CPU has no fused epilogue: ops::LinearForward runs Gemm and
// BiasActivationForward, which is already one pass over y each.
bool GemmBiasActivation(int64_t, int64_t, int64_t, bool, const void*, const void*, const float*, Activation, float*) {
  return false;
}

}  // namespace cpu
}  // namespace ops
}  // namespace aif
