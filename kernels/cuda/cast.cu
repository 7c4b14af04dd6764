// f32 <-> bf16 casts on CUDA, the counterparts of cpu/cast.cpp: element-wise
// grid-stride loops calling tensor/dtype.h's FloatToBF16 / BF16ToFloat, the
// same integer arithmetic as the CPU (round to nearest even, NaN kept), so a
// bf16 copy is bit-identical on both devices.
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.h"
#include "tensor/dtype.h"

namespace aif {
namespace ops {
namespace cuda {
namespace {

__global__ void F32ToBF16Kernel(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) dst[i] = FloatToBF16(src[i]);
}

__global__ void BF16ToF32Kernel(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = GlobalThread(); i < n; i += ThreadCount()) dst[i] = BF16ToFloat(src[i]);
}

}  // namespace

void CastF32ToBF16(const float* src, uint16_t* dst, int64_t n) {
  if (n == 0) return;
  AIF_LAUNCH(F32ToBF16Kernel, ElementBlocks(n), kThreads, src, dst, n);
}

void CastBF16ToF32(const uint16_t* src, float* dst, int64_t n) {
  if (n == 0) return;
  AIF_LAUNCH(BF16ToF32Kernel, ElementBlocks(n), kThreads, src, dst, n);
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
