// Matrix products go to OpenBLAS (cblas_sgemm, row-major); this file only
// covers the cases BLAS rejects or handles poorly: empty outputs, and k == 0,
// where BLAS demands a leading dimension >= 1 although the product is empty,
// so c = beta * c is computed here. Threads are OpenBLAS's own
// (OPENBLAS_NUM_THREADS); ops.cpp has checked that sizes fit BLAS's int.
#include <cblas.h>

#include <algorithm>

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

}  // namespace cpu
}  // namespace ops
}  // namespace aif
