// Matrix products on CUDA through cuBLAS (cublasSgemm, plain FP32: the
// handle's math mode allows no TF32). cuBLAS is column-major; a row-major
// matrix is the column-major view of its transpose, so the row-major
// C = op(A) op(B) is computed as the column-major C^T = op(B)^T op(A)^T:
// the operands swap places and m and n swap, while each keeps its transpose
// flag and its row stride as leading dimension. Empty products never get
// here (ops.cpp's Matmul does them). The handle is per thread and device
// (cuda_context.h).
//
// bf16 operands go through cublasGemmEx with CUDA_R_16BF inputs, an f32
// output and CUBLAS_COMPUTE_32F: the tensor cores multiply bf16 exactly and
// accumulate in f32, the mixed precision of --precision bf16 (master weights
// and the result stay f32).
#include "kernels/cuda/cuda_context.h"
#include "kernels/cuda/cuda_ops.h"

namespace aif {
namespace ops {
namespace cuda {

void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  // ops.cpp checked that every dimension fits cuBLAS's int (FitsBlasInt) and is >= 1.
  AIF_CUBLAS_CHECK(cublasSgemm(CublasHandle(), transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                               transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m),
                               static_cast<int>(k), &alpha, b, static_cast<int>(ldb), a, static_cast<int>(lda), &beta,
                               c, static_cast<int>(ldc)));
}

void GemmBF16(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const uint16_t* a,
              int64_t lda, const uint16_t* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  AIF_CUBLAS_CHECK(cublasGemmEx(CublasHandle(), transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m),
                                static_cast<int>(k), &alpha, b, CUDA_R_16BF, static_cast<int>(ldb), a, CUDA_R_16BF,
                                static_cast<int>(lda), &beta, c, CUDA_R_32F, static_cast<int>(ldc), CUBLAS_COMPUTE_32F,
                                CUBLAS_GEMM_DEFAULT));
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
