// Helpers for the GPU tests (tests/gpu/*_gpu_test.cpp), which run every CUDA
// op against the CPU reference on the same inputs: a fixture that skips, with
// the probe's reason, where no GPU is usable; copies between the devices; and
// comparisons of a GPU result with the CPU's, either within tol + |cpu| * eps
// (naming the largest errors, as kernels_test_util.h does) or byte for byte
// for the ops designed to give the CPU's bits.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/ops.h"
#include "tensor/device.h"
#include "tensor/tensor.h"
#include "unit/kernels_test_util.h"

namespace aif {
namespace gpu_test {

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ProbeCuda().usable) GTEST_SKIP() << "no usable CUDA device: " << ProbeCuda().reason;
  }
};

// A copy on the GPU (undefined stays undefined), and back.
inline Tensor OnGpu(const Tensor& t) { return t.defined() ? t.To(DeviceType::kCuda) : Tensor(); }
inline Tensor OnCpu(const Tensor& t) { return t.To(DeviceType::kCpu); }
// An uninitialised GPU tensor.
inline Tensor EmptyOnGpu(const Shape& shape, DType dtype = DType::kF32) {
  return Tensor::Empty(shape, dtype, DeviceType::kCuda);
}

// A CPU f32 tensor rounded to bf16 (the operands of mixed-precision GEMMs).
inline Tensor ToBF16(const Tensor& f32) {
  Tensor out = Tensor::Empty(f32.shape(), DType::kBF16);
  ops::CastF32ToBF16(f32, out);
  return out;
}

// The GPU tensor's elements within tol + |cpu| * eps of the CPU tensor's.
inline ::testing::AssertionResult CloseToCpu(const Tensor& gpu, const Tensor& cpu, double tol, double eps) {
  return kernel_test::AllClose(OnCpu(gpu), kernel_test::ToDoubles(cpu), tol, eps);
}

inline ::testing::AssertionResult CloseTo(double got, double want, double tol, double eps) {
  if (std::fabs(got - want) <= tol + std::fabs(want) * eps) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << got << ", want " << want << " (abs error " << std::fabs(got - want)
                                       << ", tol " << tol << ", eps " << eps << ")";
}

// The GPU tensor holds exactly the CPU tensor's bytes (same type and size).
inline ::testing::AssertionResult SameBytes(const Tensor& gpu, const Tensor& cpu) {
  const Tensor got = OnCpu(gpu);
  if (got.dtype() != cpu.dtype() || got.numel() != cpu.numel()) {
    return ::testing::AssertionFailure() << "got " << got.Describe() << ", want " << cpu.Describe();
  }
  const size_t size = DTypeSize(cpu.dtype());
  const char* g = static_cast<const char*>(got.raw());
  const char* w = static_cast<const char*>(cpu.raw());
  int64_t differing = 0, first = -1;
  for (int64_t i = 0; i < cpu.numel(); ++i) {
    if (std::memcmp(g + i * size, w + i * size, size) != 0) {
      if (first < 0) first = i;
      ++differing;
    }
  }
  if (differing == 0) return ::testing::AssertionSuccess();
  auto show = [&](const char* p) {
    uint64_t bits = 0;
    std::memcpy(&bits, p + first * size, size);
    return bits;
  };
  ::testing::AssertionResult failure = ::testing::AssertionFailure();
  failure << differing << " of " << cpu.numel() << " elements differ; first at " << first << ": bits 0x" << std::hex
          << show(g) << ", want 0x" << show(w) << std::dec;
  if (cpu.dtype() == DType::kF32) {
    failure << " (" << got.data<float>()[first] << " vs " << cpu.data<float>()[first] << ")";
  }
  return failure;
}

// Sizes for flat ops: below, at and across block (256) and warp (32)
// boundaries, and above the element-wise grid cap (65536 blocks of 256).
inline const std::vector<int64_t>& FlatSizes() {
  static const std::vector<int64_t> sizes = {1, 3, 17, 31, 33, 255, 256, 257, 1000, 1023, 4099, 262145, 16777216 + 3};
  return sizes;
}

struct RowsCols {
  int64_t rows, cols;
};
// [rows, cols] shapes: single rows and columns, odd sizes, tall and wide.
inline const std::vector<RowsCols>& MatrixShapes() {
  static const std::vector<RowsCols> shapes = {{1, 1},     {1, 1023},  {3, 17},  {17, 3},    {1000, 1},  {1023, 17},
                                               {64, 1000}, {257, 255}, {4099, 33}, {20000, 10}, {3, 65537}};
  return shapes;
}

inline Tensor RandomI32(int64_t n, uint64_t seed, int32_t lo, int32_t hi) {
  Tensor t = Tensor::Empty({n}, DType::kI32);
  for (int64_t i = 0; i < n; ++i) {
    t.data<int32_t>()[i] = lo + static_cast<int32_t>(RandomBelow(static_cast<uint64_t>(hi - lo), seed,
                                                                  RngPurpose::kSynthetic, 1, static_cast<uint64_t>(i)));
  }
  return t;
}

}  // namespace gpu_test
}  // namespace aif
