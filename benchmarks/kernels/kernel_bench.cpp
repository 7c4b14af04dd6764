// aif_kernel_bench: the speed of aif's CUDA ops against the device's own
// peaks, measured in the same run (benchmarks/README.md, "GPU kernels and
// training throughput"). llm.c and nccl-tests style: every case first runs
// once on the CPU and the GPU from the same inputs and must agree (#wrong
// column; a mismatch stops the program before anything else is timed), then
// warm-up, then the median of --repeats timed samples (CUDA events on the
// compute stream). Memory-bound ops report GB/s of the least traffic their
// contract allows and the share of a device-to-device copy's bandwidth;
// GEMM-bound ops TFLOP/s and the share of a large cuBLAS GEMM of the same
// precision. Without a usable GPU it prints why and exits 77 (skipped).
//
//   build/benchmarks/aif_kernel_bench [--repeats 20] [--json FILE] [--quick] [--only TEXT]
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"      // CommandLine, MachineJson
#include "core/strings.h"    // Format, HumanBytes
#include "gpu_bench_util.h"  // timing on the GPU, copy and GEMM peaks, GPU facts
#include "kernel_case.h"     // the cases and their checks
#include "tensor/device.h"   // ProbeCuda

namespace aif {
namespace kernel_bench {
namespace {

constexpr int kSkipped = 77;  // ctest's and automake's "skipped"

struct Options {
  int repeats = 20;
  bool repeats_given = false, quick = false;
  std::string json, only;
};

struct Peaks {
  bench::CopyPeak copy;
  bench::GemmPeak f32, bf16;
  double For(Peak p) const {
    return p == Peak::kCopy ? copy.bytes_per_s : p == Peak::kGemmF32 ? f32.flops_per_s : bf16.flops_per_s;
  }
};

void PrintHeader(bool memory) {
  std::printf("\n%-22s %-24s %-32s %9s %10s %10s %9s %7s %6s %10s\n", "op", "variant", "shape",
              memory ? "MB" : "GFLOP", "median us", "min us", memory ? "GB/s" : "TFLOP/s",
              memory ? "% copy" : "% peak", "#wrong", "max |err|");
}

// Checks, times and prints one case; false (after saying why) on a mismatch.
bool RunCase(const KernelCase& c, const Peaks& peaks, const Options& o, nlohmann::json* rows) {
  const bool memory = c.peak == Peak::kCopy;
  const CheckResult check = c.check();
  nlohmann::json row = {{"op", c.op},
                        {"variant", c.variant},
                        {"shape", c.shape},
                        {"check", {{"checked", check.checked}, {"wrong", check.wrong}, {"max_abs_error", check.max_abs},
                                   {"max_rel_error", check.max_rel}}}};
  const double work = memory ? c.bytes / 1e6 : c.flops / 1e9;
  if (check.wrong > 0) {
    std::printf("%-22s %-24s %-32s %9.1f %10s %10s %9s %7s %6lld %10.2e\n", c.op.c_str(), c.variant.c_str(),
                c.shape.c_str(), work, "-", "-", "-", "-", static_cast<long long>(check.wrong), check.max_abs);
    std::printf("\nMISMATCH: %s %s %s: %lld of %lld elements outside tolerance; first: %s\n"
                "The GPU result differs from the CPU reference: stopping before timing anything else.\n",
                c.op.c_str(), c.variant.c_str(), c.shape.c_str(), static_cast<long long>(check.wrong),
                static_cast<long long>(check.checked), check.first_wrong.c_str());
    row["first_wrong"] = check.first_wrong;
    rows->push_back(row);
    return false;
  }
  const bench::GpuTiming t = bench::TimeOnGpu(c.run, o.repeats);
  const double rate = (memory ? c.bytes : c.flops) / t.Median(), peak = peaks.For(c.peak);
  std::printf("%-22s %-24s %-32s %9.1f %10.1f %10.1f %9.1f %6.1f%% %6lld %10.2e\n", c.op.c_str(), c.variant.c_str(),
              c.shape.c_str(), work, t.Median() * 1e6, t.Min() * 1e6, memory ? rate / 1e9 : rate / 1e12,
              100 * rate / peak, static_cast<long long>(check.wrong), check.max_abs);
  std::fflush(stdout);
  row["time"] = bench::ToJson(t);
  if (memory) {
    row["bytes"] = c.bytes;
    row["gb_per_s"] = rate / 1e9;
    row["fraction_of_copy"] = rate / peak;
  } else {
    row["flops"] = c.flops;
    row["tflop_per_s"] = rate / 1e12;
    row["peak"] = c.peak == Peak::kGemmF32 ? "gemm_f32" : "gemm_bf16";
    row["fraction_of_peak"] = rate / peak;
  }
  rows->push_back(row);
  return true;
}

// Runs the cases in order; false at the first mismatch.
bool RunCases(const std::vector<CaseMaker>& makers, const Peaks& peaks, const Options& o, nlohmann::json* rows) {
  for (const CaseMaker& make : makers) {
    const KernelCase c = make();  // tensors are made by check() and freed with `c`
    if (!o.only.empty() && (c.op + " " + c.variant).find(o.only) == std::string::npos) continue;
    if (!RunCase(c, peaks, o, rows)) return false;
  }
  return true;
}

int Main(const Options& o, const std::string& command) {
  const CudaProbe& probe = ProbeCuda();
  if (!probe.usable) {
    std::printf("aif_kernel_bench: skipped, no usable CUDA device: %s\n", probe.reason.c_str());
    return kSkipped;
  }
  nlohmann::json result = {{"program", "aif_kernel_bench"},
                           {"command", command},
                           {"machine", bench::MachineJson()},
                           {"gpu", bench::GpuJson()},
                           {"repeats", o.repeats},
                           {"quick", o.quick}};
  std::printf("aif_kernel_bench: aif's CUDA ops against this GPU's own peaks\nGPU: %s\ncommand: %s\n",
              bench::GpuSummary().c_str(), command.c_str());

  // The peaks, measured now, on the same device and clocks as the cases.
  Peaks peaks;
  const size_t copy_bytes = (o.quick ? size_t{256} : size_t{1024}) << 20;
  const int64_t gemm_n = o.quick ? 4096 : 8192;
  peaks.copy = bench::MeasureCopyPeak(copy_bytes, o.repeats);
  peaks.f32 = bench::MeasureGemmPeak(DType::kF32, gemm_n, o.repeats);
  peaks.bf16 = bench::MeasureGemmPeak(DType::kBF16, gemm_n, o.repeats);
  const double theory = result["gpu"]["theoretical_gb_per_s"];
  std::printf("\ndevice peaks (median of %d samples):\n", o.repeats);
  std::printf("  copy D2D %s: %.1f GB/s (bytes read + written; %.1f%% of the theoretical %.0f GB/s)\n",
              HumanBytes(static_cast<double>(copy_bytes)).c_str(), peaks.copy.bytes_per_s / 1e9,
              100 * peaks.copy.bytes_per_s / 1e9 / theory, theory);
  std::printf("  cuBLAS SGEMM %lld^3 (f32, no TF32): %.1f TFLOP/s\n", static_cast<long long>(gemm_n),
              peaks.f32.flops_per_s / 1e12);
  std::printf("  cuBLAS GemmEx %lld^3 (bf16 in, f32 compute and out): %.1f TFLOP/s\n", static_cast<long long>(gemm_n),
              peaks.bf16.flops_per_s / 1e12);
  result["peaks"] = {{"copy", bench::ToJson(peaks.copy)},
                     {"gemm_f32", bench::ToJson(peaks.f32)},
                     {"gemm_bf16", bench::ToJson(peaks.bf16)}};

  const std::vector<int64_t> sizes =
      o.quick ? std::vector<int64_t>{int64_t{1} << 20, int64_t{1} << 22}
              : std::vector<int64_t>{int64_t{1} << 24, int64_t{1} << 26, int64_t{1} << 28};
  nlohmann::json memory_rows = nlohmann::json::array(), gemm_rows = nlohmann::json::array();
  std::printf("\nmemory-bound ops: GB/s = the least bytes an op must read and write / median time\n");
  PrintHeader(true);
  bool ok = true;
  for (int64_t n : sizes) {
    ok = RunCases(MemoryBoundCases(n), peaks, o, &memory_rows);
    if (!ok) break;
  }
  if (ok) {
    std::printf("\nGEMM-bound ops: TFLOP/s = 2 m n k (convolutions: 2 N K P Q C R S per product) / median time\n");
    PrintHeader(false);
    ok = RunCases(GemmBoundCases(), peaks, o, &gemm_rows);
  }
  result["memory_bound"] = memory_rows;
  result["gemm_bound"] = gemm_rows;
  result["all_correct"] = ok;
  if (ok) std::printf("\nAll results match the CPU reference.\n");
  if (!o.json.empty()) {
    std::ofstream(o.json) << result.dump(2) << "\n";
    std::printf("wrote %s\n", o.json.c_str());
  }
  return ok ? 0 : 1;
}

void Usage(FILE* to) {
  std::fprintf(to,
               "usage: aif_kernel_bench [--repeats N] [--json FILE] [--quick] [--only TEXT] [--help]\n"
               "  --repeats N   timed samples per case, the median is reported (default 20; 5 with --quick)\n"
               "  --json FILE   write the results, the GPU and the command line as JSON\n"
               "  --quick       smaller sizes and peaks (a smoke test, not a measurement)\n"
               "  --only TEXT   run only the cases whose op and variant contain TEXT (e.g. Matmul, 'bf16 wide')\n"
               "Exit status: 0 all correct, 1 a GPU result differs from the CPU's, 2 usage, 77 no usable GPU.\n");
}

}  // namespace
}  // namespace kernel_bench
}  // namespace aif

int main(int argc, char** argv) {
  aif::kernel_bench::Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--repeats" && has_value) {
      o.repeats = std::atoi(argv[++i]);
      o.repeats_given = true;
    } else if (a == "--json" && has_value) {
      o.json = argv[++i];
    } else if (a == "--only" && has_value) {
      o.only = argv[++i];
    } else if (a == "--quick") {
      o.quick = true;
    } else if (a == "--help" || a == "-h") {
      aif::kernel_bench::Usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "aif_kernel_bench: unknown or incomplete option '%s'\n", a.c_str());
      aif::kernel_bench::Usage(stderr);
      return 2;
    }
  }
  if (o.quick && !o.repeats_given) o.repeats = 5;
  if (o.repeats < 1) {
    std::fprintf(stderr, "aif_kernel_bench: --repeats must be at least 1\n");
    return 2;
  }
  try {
    return aif::kernel_bench::Main(o, aif::bench::CommandLine(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aif_kernel_bench: %s\n", e.what());
    return 5;
  }
}
