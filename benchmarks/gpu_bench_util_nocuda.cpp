// gpu_bench_util.h in a build without CUDA: callers check ProbeCuda().usable
// (false here) before using a GPU, so reaching any of these is a bug.
#include "gpu_bench_util.h"
#include "core/error.h"  // ThrowInternal

namespace aif {
namespace bench {
namespace {

[[noreturn]] void NoCuda(const char* what) { ThrowInternal("%s: this build has no CUDA backend", what); }

}  // namespace

nlohmann::json GpuJson() { NoCuda("GpuJson"); }
std::string GpuSummary() { NoCuda("GpuSummary"); }
GpuTiming TimeOnGpu(const std::function<void()>&, int, int, double) { NoCuda("TimeOnGpu"); }
CopyPeak MeasureCopyPeak(size_t, int) { NoCuda("MeasureCopyPeak"); }
GemmPeak MeasureGemmPeak(DType, int64_t, int) { NoCuda("MeasureGemmPeak"); }

}  // namespace bench
}  // namespace aif
