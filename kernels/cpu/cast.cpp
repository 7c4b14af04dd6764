// Element type conversions for mixed precision. Rounding is dtype.h's
// FloatToBF16 (round to nearest even, NaN kept), the same function the CUDA
// kernels use, so a bf16 copy is bit-identical on both devices.
#include "kernels/cpu/cpu_ops.h"
#include "tensor/dtype.h"

namespace aif {
namespace ops {
namespace cpu {

void CastF32ToBF16(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = FloatToBF16(src[i]);
}

void CastBF16ToF32(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = BF16ToFloat(src[i]);
}

}  // namespace cpu
}  // namespace ops
}  // namespace aif
