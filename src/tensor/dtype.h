// Element types of tensors, and bf16 conversion that is bit-identical on the
// host and the device (round to nearest even; NaN stays NaN). bf16 holds
// activations and weights copies in mixed precision; master weights and
// optimizer state stay f32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__CUDACC__)
#define AIF_TENSOR_HD __host__ __device__ __forceinline__
#else
#define AIF_TENSOR_HD inline
#endif

namespace aif {

enum class DType { kF32, kBF16, kI32, kU8, kI64, kF64 };

size_t DTypeSize(DType dtype);
const char* DTypeName(DType dtype);
DType ParseDType(const std::string& name);  // "f32", "bf16", "i32", "u8", "i64", "f64"; throws kUsage

template <typename T> constexpr DType DTypeOf();
template <> constexpr DType DTypeOf<float>() { return DType::kF32; }
template <> constexpr DType DTypeOf<uint16_t>() { return DType::kBF16; }
template <> constexpr DType DTypeOf<int32_t>() { return DType::kI32; }
template <> constexpr DType DTypeOf<uint8_t>() { return DType::kU8; }
template <> constexpr DType DTypeOf<int64_t>() { return DType::kI64; }
template <> constexpr DType DTypeOf<double>() { return DType::kF64; }

AIF_TENSOR_HD uint16_t FloatToBF16(float f) {
  uint32_t bits;
#if defined(__CUDA_ARCH__)
  bits = __float_as_uint(f);
#else
  std::memcpy(&bits, &f, 4);
#endif
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu)) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

AIF_TENSOR_HD float BF16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
#endif
}

}  // namespace aif
