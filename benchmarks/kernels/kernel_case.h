// One entry of aif_kernel_bench's table, nccl-tests style: an op at one
// shape, with the work one call must do (minimum bytes moved, or FLOPs), a
// check that runs the op once on the CPU and once on the GPU from the same
// inputs and compares, and one GPU call to time. Cases are made lazily (a
// maker per entry), so only one case's tensors exist at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace aif {
namespace kernel_bench {

// The device peak a case is compared with.
enum class Peak { kCopy, kGemmF32, kGemmBF16 };

// Elements compared and how many were outside tol + |cpu| * eps (#wrong).
struct CheckResult {
  int64_t checked = 0, wrong = 0;
  double max_abs = 0, max_rel = 0;  // over all compared elements
  std::string first_wrong;          // "dlogits[123]: gpu 1.5, cpu 1.25 (tol ...)"
  void Merge(const CheckResult& other);
};

struct KernelCase {
  std::string op, variant, shape;
  Peak peak = Peak::kCopy;
  double bytes = 0;  // kCopy cases: the bytes one call must read and write at least
  double flops = 0;  // GEMM cases: 2 m n k per product
  std::function<CheckResult()> check;  // first; leaves the GPU inputs in place for `run`
  std::function<void()> run;           // one call on the GPU
};
using CaseMaker = std::function<KernelCase()>;

// "[128,1,28,28]": a shape for the table, without ShapeString's spaces.
std::string Dims(const Shape& shape);
// CPU f32 tensor, uniform in [lo, hi), reproducible from `seed`.
Tensor Uniform(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f);
// Copies to the GPU (undefined stays undefined), and an uninitialised GPU tensor.
Tensor Gpu(const Tensor& t);
Tensor GpuEmpty(const Shape& shape, DType dtype = DType::kF32);
// The GPU tensor against the CPU's, element by element (f32, bf16, u8, i32):
// an element is wrong unless |gpu - cpu| <= tol + |cpu| * eps, or both NaN.
CheckResult Compare(const std::string& what, const Tensor& gpu, const Tensor& cpu, double tol, double eps);
CheckResult CompareValue(const std::string& what, double gpu, double cpu, double tol, double eps);

// The memory-bound ops of kernels/ops.h at about `elements` f32 elements each.
std::vector<CaseMaker> MemoryBoundCases(int64_t elements);
// ops::Matmul on the training GEMMs of the MLPs (f32 and bf16) and
// Conv2dForward/Backward on the Fashion-MNIST CNN's convolutions.
std::vector<CaseMaker> GemmBoundCases();

}  // namespace kernel_bench
}  // namespace aif
