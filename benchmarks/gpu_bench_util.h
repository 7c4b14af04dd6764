// GPU pieces shared by aif_kernel_bench and train_mlp_bench: what GPU a result
// was measured on, timing on the compute stream with CUDA events, and the two
// device peaks every GPU number is compared with, measured in the same run: a
// device-to-device copy (memory bandwidth) and a large cuBLAS GEMM per
// precision. The interface has no CUDA types, so callers stay plain C++; in a
// build without CUDA (gpu_bench_util_nocuda.cpp) every function throws, and
// callers check ProbeCuda().usable first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"  // Median, Min
#include "tensor/dtype.h"

namespace aif {
namespace bench {

// {"name", "compute_capability", "sms", "memory_gib", "l2_mib", "bus_bits",
// "memory_clock_mhz", "theoretical_gb_per_s", "driver", "runtime", "cublas",
// "cudnn"}: the current device and the software it was measured with.
nlohmann::json GpuJson();

// "NVIDIA H100 80GB HBM3, driver 13.0, runtime 13.0": one line for a report.
std::string GpuSummary();

// Per-call seconds of `call` on the compute stream (src/tensor/compute_stream.h),
// measured with CUDA events: warm-up calls (at least `warmup`, and at least
// ~50 ms), then `samples` samples of `reps` back-to-back calls each, `reps`
// chosen from the warm-up so that one sample lasts at least `min_sample_s`
// (launch gaps count, as they do in real use). Calls that wait for the host
// (ops that return a value) are timed the same way: their wait is their cost.
struct GpuTiming {
  std::vector<double> per_call_s;  // one per sample
  int reps = 1;                    // calls per sample
  double Median() const { return bench::Median(per_call_s); }
  double Min() const { return bench::Min(per_call_s); }
};
GpuTiming TimeOnGpu(const std::function<void()>& call, int samples, int warmup = 3, double min_sample_s = 1e-3);

// cudaMemcpyAsync device to device of `bytes` on the compute stream. The
// bandwidth counts the bytes read plus the bytes written (2 * bytes / time),
// the way the memory-bound ops count theirs. The copy is checked first.
struct CopyPeak {
  double bytes = 0;            // size of one copy
  double bytes_per_s = 0;      // median, read + write
  double max_bytes_per_s = 0;  // best sample
  GpuTiming timing;
};
CopyPeak MeasureCopyPeak(size_t bytes, int samples);

// C = A B for n x n x n through cuBLAS on the compute stream, as aif's Matmul
// calls it: kF32 is cublasSgemm with CUBLAS_DEFAULT_MATH (no TF32), kBF16 is
// cublasGemmEx with bf16 A and B, f32 C and CUBLAS_COMPUTE_32F. Inputs are
// uniform in [-1, 1] (data-dependent power draw makes zeros faster); 16
// elements of C are checked against a double-precision dot product first,
// and a mismatch throws.
struct GemmPeak {
  DType dtype = DType::kF32;
  int64_t n = 0;
  double flops_per_s = 0;      // median, 2 n^3 per call
  double max_flops_per_s = 0;  // best sample
  double max_rel_error = 0;    // of the checked elements
  GpuTiming timing;
};
GemmPeak MeasureGemmPeak(DType dtype, int64_t n, int samples);

inline nlohmann::json ToJson(const GpuTiming& t) {
  return {{"median_s", t.Median()}, {"min_s", t.Min()}, {"calls_per_sample", t.reps}, {"samples_s", t.per_call_s}};
}
inline nlohmann::json ToJson(const CopyPeak& p) {
  return {{"bytes", p.bytes}, {"gb_per_s", p.bytes_per_s / 1e9}, {"max_gb_per_s", p.max_bytes_per_s / 1e9},
          {"time", ToJson(p.timing)}};
}
inline nlohmann::json ToJson(const GemmPeak& p) {
  return {{"dtype", DTypeName(p.dtype)},
          {"n", p.n},
          {"tflop_per_s", p.flops_per_s / 1e12},
          {"max_tflop_per_s", p.max_flops_per_s / 1e12},
          {"max_rel_error", p.max_rel_error},
          {"time", ToJson(p.timing)}};
}

}  // namespace bench
}  // namespace aif
