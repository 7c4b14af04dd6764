// Implements gpu_bench_util.h with the CUDA runtime and cuBLAS (built with
// AIF_WITH_CUDA only). Everything runs on aif's compute stream, the stream
// the ops launch on, so event timings bracket exactly the queued work.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "gpu_bench_util.h"
#include "core/error.h"                // ThrowInternal
#include "core/strings.h"              // Format
#include "kernels/library_versions.h"  // cuBLAS and cuDNN versions
#include "tensor/compute_stream.h"     // the stream the ops run on
#include "tensor/cuda_check.h"         // AIF_CUDA_CHECK
#include "tensor/device.h"             // ProbeCuda: driver and runtime versions
#include "tensor/tensor.h"             // device buffers through the caching allocator

namespace aif {
namespace bench {
namespace {

void CublasCheck(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    ThrowInternal("%s:%d: %s failed: %s", file, line, call, cublasGetStatusString(status));
  }
}
#define BENCH_CUBLAS_CHECK(call) CublasCheck((call), #call, __FILE__, __LINE__)

// A CUDA event, destroyed with its scope.
struct Event {
  cudaEvent_t e = nullptr;
  Event() { AIF_CUDA_CHECK(cudaEventCreate(&e)); }
  ~Event() { cudaEventDestroy(e); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

// Seconds of GPU time for `reps` calls, bracketed by events on the compute stream.
double TimeCalls(const std::function<void()>& call, int reps, Event& start, Event& stop) {
  AIF_CUDA_CHECK(cudaEventRecord(start.e, ComputeStream()));
  for (int i = 0; i < reps; ++i) call();
  AIF_CUDA_CHECK(cudaEventRecord(stop.e, ComputeStream()));
  AIF_CUDA_CHECK(cudaEventSynchronize(stop.e));
  float ms = 0;
  AIF_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e, stop.e));
  return ms * 1e-3;
}

int DeviceAttribute(cudaDeviceAttr attr, int device) {
  int value = 0;
  AIF_CUDA_CHECK(cudaDeviceGetAttribute(&value, attr, device));
  return value;
}

}  // namespace

nlohmann::json GpuJson() {
  const CudaProbe& probe = ProbeCuda();
  int device = 0;
  AIF_CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp prop;
  AIF_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  const int mem_khz = DeviceAttribute(cudaDevAttrMemoryClockRate, device);
  const int bus_bits = DeviceAttribute(cudaDevAttrGlobalMemoryBusWidth, device);
  return {{"name", prop.name},
          {"device", device},
          {"compute_capability", Format("%d.%d", prop.major, prop.minor)},
          {"sms", prop.multiProcessorCount},
          {"memory_gib", prop.totalGlobalMem / 1073741824.0},
          {"l2_mib", DeviceAttribute(cudaDevAttrL2CacheSize, device) / 1048576.0},
          {"bus_bits", bus_bits},
          {"memory_clock_mhz", mem_khz / 1000.0},
          {"sm_clock_mhz", DeviceAttribute(cudaDevAttrClockRate, device) / 1000.0},
          // Double data rate: two transfers per clock on each bus bit.
          {"theoretical_gb_per_s", 2.0 * mem_khz * 1e3 * bus_bits / 8 / 1e9},
          {"driver", CudaVersionString(probe.driver_version)},
          {"runtime", CudaVersionString(probe.runtime_version)},
          {"cublas", CublasLibraryVersion()},
          {"cudnn", CudnnLibraryVersion()}};
}

std::string GpuSummary() {
  const nlohmann::json g = GpuJson();
  return Format("%s (sm_%s, %d SMs, %.0f GiB), driver %s, runtime %s, cuBLAS %s, cuDNN %s",
                g["name"].get<std::string>().c_str(), g["compute_capability"].get<std::string>().c_str(),
                g["sms"].get<int>(), g["memory_gib"].get<double>(), g["driver"].get<std::string>().c_str(),
                g["runtime"].get<std::string>().c_str(), g["cublas"].get<std::string>().c_str(),
                g["cudnn"].get<std::string>().c_str());
}

GpuTiming TimeOnGpu(const std::function<void()>& call, int samples, int warmup, double min_sample_s) {
  Event start, stop;
  // Warm-up in growing rounds that each wait for the GPU: an asynchronous
  // call must not let the host queue seconds of work before we look.
  int calls = 0, round = 1;
  double total = 0, per_call = 0;
  while (true) {
    const double t = TimeCalls(call, round, start, stop);
    total += t;
    calls += round;
    per_call = t / round;
    if (calls >= warmup && total >= 0.05) break;
    round = std::min(round * 2, 4096);
  }
  GpuTiming timing;
  timing.reps = static_cast<int>(std::clamp(std::ceil(min_sample_s / std::max(per_call, 1e-9)), 1.0, 10000.0));
  for (int s = 0; s < std::max(samples, 1); ++s) {
    timing.per_call_s.push_back(TimeCalls(call, timing.reps, start, stop) / timing.reps);
  }
  return timing;
}

CopyPeak MeasureCopyPeak(size_t bytes, int samples) {
  const int64_t n = static_cast<int64_t>(bytes / sizeof(float));
  Tensor host = Tensor::Empty({n});
  FillUniform(host.data<float>(), n, 11, -1.0f, 1.0f);
  Tensor src = host.To(DeviceType::kCuda), dst = Tensor::Zeros({n}, DType::kF32, DeviceType::kCuda);
  auto copy = [&] {
    AIF_CUDA_CHECK(cudaMemcpyAsync(dst.raw(), src.raw(), n * sizeof(float), cudaMemcpyDeviceToDevice, ComputeStream()));
  };
  copy();
  const Tensor back = dst.To(DeviceType::kCpu);
  if (std::memcmp(back.raw(), host.raw(), host.nbytes()) != 0) {
    ThrowInternal("device-to-device copy of %s: the destination differs from the source", HumanBytes(bytes).c_str());
  }
  CopyPeak peak;
  peak.bytes = static_cast<double>(host.nbytes());
  peak.timing = TimeOnGpu(copy, samples);
  peak.bytes_per_s = 2 * peak.bytes / peak.timing.Median();
  peak.max_bytes_per_s = 2 * peak.bytes / peak.timing.Min();
  return peak;
}

GemmPeak MeasureGemmPeak(DType dtype, int64_t n, int samples) {
  AIF_CHECK(dtype == DType::kF32 || dtype == DType::kBF16, "GEMM peak: f32 or bf16");
  Tensor a = Tensor::Empty({n, n}), b = Tensor::Empty({n, n});
  FillUniform(a.data<float>(), a.numel(), 21, -1.0f, 1.0f);
  FillUniform(b.data<float>(), b.numel(), 22, -1.0f, 1.0f);
  Tensor da, db;
  if (dtype == DType::kBF16) {
    // Round on the host and keep the rounded values for the reference.
    Tensor a16 = Tensor::Empty({n, n}, DType::kBF16), b16 = Tensor::Empty({n, n}, DType::kBF16);
    for (int64_t i = 0; i < a.numel(); ++i) {
      a16.data<uint16_t>()[i] = FloatToBF16(a.data<float>()[i]);
      b16.data<uint16_t>()[i] = FloatToBF16(b.data<float>()[i]);
      a.data<float>()[i] = BF16ToFloat(a16.data<uint16_t>()[i]);
      b.data<float>()[i] = BF16ToFloat(b16.data<uint16_t>()[i]);
    }
    da = a16.To(DeviceType::kCuda);
    db = b16.To(DeviceType::kCuda);
  } else {
    da = a.To(DeviceType::kCuda);
    db = b.To(DeviceType::kCuda);
  }
  Tensor dc = Tensor::Zeros({n, n}, DType::kF32, DeviceType::kCuda);

  cublasHandle_t handle = nullptr;
  BENCH_CUBLAS_CHECK(cublasCreate(&handle));
  std::unique_ptr<cublasContext, void (*)(cublasHandle_t)> owner(handle, [](cublasHandle_t h) { cublasDestroy(h); });
  BENCH_CUBLAS_CHECK(cublasSetStream(handle, ComputeStream()));
  BENCH_CUBLAS_CHECK(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));  // no TF32 for f32
  const int ni = static_cast<int>(n);
  const float one = 1.0f, zero = 0.0f;
  auto gemm = [&] {
    if (dtype == DType::kF32) {
      BENCH_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, ni, ni, ni, &one, da.data<float>(), ni,
                                     db.data<float>(), ni, &zero, dc.data<float>(), ni));
    } else {
      BENCH_CUBLAS_CHECK(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, ni, ni, ni, &one, da.raw(), CUDA_R_16BF, ni,
                                      db.raw(), CUDA_R_16BF, ni, &zero, dc.raw(), CUDA_R_32F, ni, CUBLAS_COMPUTE_32F,
                                      CUBLAS_GEMM_DEFAULT));
    }
  };

  // Correctness first: column-major C[i + j n] = sum_k A[i + k n] B[k + j n],
  // at 16 places, against a double-precision sum. The tolerance allows f32
  // accumulation of n terms; TF32 (10-bit mantissas) would fail it.
  gemm();
  const Tensor c = dc.To(DeviceType::kCpu);
  GemmPeak peak;
  peak.dtype = dtype;
  peak.n = n;
  for (int s = 0; s < 16; ++s) {
    const int64_t i = (s * 7919 + 13) % n, j = (s * 104729 + 101) % n;
    double want = 0;
    for (int64_t k = 0; k < n; ++k) want += double(a.data<float>()[i + k * n]) * double(b.data<float>()[k + j * n]);
    const double got = c.data<float>()[i + j * n], err = std::fabs(got - want);
    peak.max_rel_error = std::max(peak.max_rel_error, err / std::max(1.0, std::fabs(want)));
    if (!(err <= 1e-6 * static_cast<double>(n) + 1e-5 * std::fabs(want))) {
      ThrowInternal("%s GEMM peak: C[%lld, %lld] is %.9g, a double-precision sum gives %.9g: cuBLAS result wrong",
                    DTypeName(dtype), static_cast<long long>(i), static_cast<long long>(j), got, want);
    }
  }
  peak.timing = TimeOnGpu(gemm, samples);
  const double flops = 2.0 * static_cast<double>(n) * n * n;
  peak.flops_per_s = flops / peak.timing.Median();
  peak.max_flops_per_s = flops / peak.timing.Min();
  return peak;
}

}  // namespace bench
}  // namespace aif
