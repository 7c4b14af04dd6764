// The checking half of kernel_case.h: inputs, copies and comparisons.
#include "kernel_case.h"

#include <algorithm>
#include <cmath>

#include "bench_util.h"    // FillUniform
#include "core/strings.h"  // Format

namespace aif {
namespace kernel_bench {
namespace {

double ElementAt(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kF32: return t.data<float>()[i];
    case DType::kBF16: return BF16ToFloat(t.data<uint16_t>()[i]);
    case DType::kU8: return t.data<uint8_t>()[i];
    case DType::kI32: return t.data<int32_t>()[i];
    case DType::kI64: return static_cast<double>(t.data<int64_t>()[i]);
    case DType::kF64: return t.data<double>()[i];
  }
  return 0;
}

}  // namespace

void CheckResult::Merge(const CheckResult& other) {
  checked += other.checked;
  wrong += other.wrong;
  max_abs = std::max(max_abs, other.max_abs);
  max_rel = std::max(max_rel, other.max_rel);
  if (first_wrong.empty()) first_wrong = other.first_wrong;
}

std::string Dims(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor Uniform(const Shape& shape, uint64_t seed, float lo, float hi) {
  Tensor t = Tensor::Empty(shape);
  bench::FillUniform(t.data<float>(), t.numel(), seed, lo, hi);
  return t;
}

Tensor Gpu(const Tensor& t) { return t.defined() ? t.To(DeviceType::kCuda) : Tensor(); }

Tensor GpuEmpty(const Shape& shape, DType dtype) { return Tensor::Empty(shape, dtype, DeviceType::kCuda); }

CheckResult Compare(const std::string& what, const Tensor& gpu, const Tensor& cpu, double tol, double eps) {
  CheckResult r;
  const Tensor got = gpu.To(DeviceType::kCpu);
  if (got.dtype() != cpu.dtype() || got.numel() != cpu.numel()) {
    r.checked = r.wrong = 1;
    r.first_wrong = Format("%s: gpu %s, cpu %s", what.c_str(), got.Describe().c_str(), cpu.Describe().c_str());
    return r;
  }
  for (int64_t i = 0; i < cpu.numel(); ++i) {
    const double g = ElementAt(got, i), w = ElementAt(cpu, i);
    ++r.checked;
    if (std::isnan(g) && std::isnan(w)) continue;
    const double err = std::fabs(g - w);
    const bool ok = err <= tol + std::fabs(w) * eps;  // false for NaN against a number
    if (!std::isnan(err)) {
      r.max_abs = std::max(r.max_abs, err);
      r.max_rel = std::max(r.max_rel, err / std::max(std::fabs(w), 1e-30));
    }
    if (!ok) {
      if (r.wrong == 0) {
        r.first_wrong = Format("%s[%lld]: gpu %.9g, cpu %.9g (allowed %.3g)", what.c_str(), static_cast<long long>(i),
                               g, w, tol + std::fabs(w) * eps);
      }
      ++r.wrong;
    }
  }
  return r;
}

CheckResult CompareValue(const std::string& what, double gpu, double cpu, double tol, double eps) {
  CheckResult r;
  r.checked = 1;
  const double err = std::fabs(gpu - cpu);
  r.max_abs = err;
  r.max_rel = err / std::max(std::fabs(cpu), 1e-30);
  if (!(err <= tol + std::fabs(cpu) * eps)) {
    r.wrong = 1;
    r.first_wrong =
        Format("%s: gpu %.17g, cpu %.17g (allowed %.3g)", what.c_str(), gpu, cpu, tol + std::fabs(cpu) * eps);
  }
  return r;
}

}  // namespace kernel_bench
}  // namespace aif
