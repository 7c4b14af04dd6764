// Training throughput of a Fashion-MNIST model on one CPU or one GPU, against
// PyTorch on the same machine, model, batch, device and precision, and against
// bounds measured in the same run: the step's own GEMMs timed alone through
// ops::Matmul (the GEMM bound, for the MLPs), and on a GPU a large cuBLAS
// GEMM of the run's precision (the device's peak).
//
// The story, llm.c style: correctness first (on a GPU aif's first SGD step
// gives the losses aif's CPU step gives; then aif's and PyTorch's steps from
// the same weights and batch agree), then warm-up, then medians of repeated
// runs. Output: a table with the targets on stdout and JSON (--json).
//
//   build/benchmarks/train_mlp_bench [--device cpu|cuda] [--model mlp|wide|cnn] [--precision fp32|bf16]
//       [--threads 1] [--batch B] [--steps 200] [--repeats 5] [--json FILE] [--no-torch] [--python PATH]
//       [--require-targets]
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"                // Clock, Median, Since
#include "core/strings.h"              // Format
#include "gpu_bench_util.h"            // the GPU's GEMM peak and description
#include "kernels/library_versions.h"  // BLAS version and core-type fix
#include "tensor/device.h"             // ProbeCuda
#include "torch_peer.h"                // torch_mlp.py as a child process
#include "train_step.h"                // models, data, the step, the GEMM bound

namespace aif {
namespace train_bench {
namespace {

using bench::Clock;
using bench::Median;
using bench::Since;

constexpr int kSkipped = 77;

struct Options {
  int threads = 1;
  int64_t batch = 0, steps = 200, repeats = 5;  // batch 0: the model's default
  std::string json, torch_script, python = "/usr/bin/python3", model = "mlp";
  DeviceType device = DeviceType::kCpu;
  DType precision = DType::kF32;
  bool torch = true, require_targets = false;
};

const char* PrecisionName(DType d) { return d == DType::kBF16 ? "bf16" : "fp32"; }

void WriteRaw(const std::string& path, const Tensor& t) {
  const Tensor h = t.To(DeviceType::kCpu);
  std::ofstream(path, std::ios::binary)
      .write(static_cast<const char*>(h.raw()), static_cast<std::streamsize>(h.nbytes()));
}

double RelError(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-30); }

// The relative difference the checks allow between two implementations'
// losses. bf16 against PyTorch is looser: autocast also runs PyTorch's
// convolutions and activations in bf16, aif only its GEMM operands. The
// checks' SGD step (lr 0.1) overshoots and magnifies summation-order
// differences, most for convolutions (the CNN's loss goes from 2.8 to 8.6;
// im2col + sgemm, cuDNN and oneDNN each sum in their own order).
double CheckTolerance(const BenchModel& m, DType precision, bool vs_torch) {
  const double tol = precision == DType::kBF16 ? (vs_torch ? 3e-2 : 1e-3) : 1e-4;
  return m.widths.empty() ? 5 * tol : tol;
}

// Correctness on a GPU: the first SGD step (lr 0.1) on the GPU gives the
// losses before and after that the CPU gives, from the same weights and
// batch (dropout masks are the same bits on both). Returns 0 or 5.
int CheckGpuAgainstCpu(const BenchModel& m, const Batch& gpu_batch, DType precision, nlohmann::json* result) {
  const Batch host{gpu_batch.x.To(DeviceType::kCpu), gpu_batch.y.To(DeviceType::kCpu),
                   gpu_batch.ids.To(DeviceType::kCpu)};
  const int64_t batch = host.x.dim(0);
  Stepper cpu(m.spec, batch, DeviceType::kCpu, precision), gpu(m.spec, batch, DeviceType::kCuda, precision);
  const double cb = cpu.Step(host, 0, 0.1, nullptr), gb = gpu.Step(gpu_batch, 0, 0.1, nullptr);
  const double ca = cpu.EvalLoss(host), ga = gpu.EvalLoss(gpu_batch);
  const double err = std::max(RelError(gb, cb), RelError(ga, ca)), tol = CheckTolerance(m, precision, false);
  std::printf("correctness: loss before/after one SGD step  GPU %.6f / %.6f  CPU %.6f / %.6f  (max rel. error %.1e, "
              "allowed %.0e) %s\n",
              gb, ga, cb, ca, err, tol, err <= tol ? "OK" : "MISMATCH");
  (*result)["correctness_gpu_vs_cpu"] = {{"gpu", {gb, ga}}, {"cpu", {cb, ca}}, {"max_rel_error", err}};
  return err <= tol ? 0 : 5;
}

// Correctness against PyTorch: aif's model (without dropout, whose masks
// differ) and one batch are handed to torch_mlp.py on the same device and
// precision; both take one SGD step. Returns 0, or 5 on a mismatch or a
// failed check; 0 with a message when the peer cannot run here.
int CheckAgainstTorch(const BenchModel& m, const Batch& b, const Options& o, const TorchPeer& peer,
                      const std::string& peer_args, nlohmann::json* result) {
  const int64_t batch = b.x.dim(0);
  Stepper s(m.check_spec, batch, o.device, o.precision);
  char dir[] = "/tmp/aif-bench-XXXXXX";
  if (!mkdtemp(dir)) return 4;
  const std::string d = dir;
  WriteRaw(d + "/params", s.model().params());
  WriteRaw(d + "/x", b.x);
  WriteRaw(d + "/y", b.y);
  const double before = s.Step(b, 0, 0.1, nullptr), after = s.EvalLoss(b);
  nlohmann::json j;
  std::string why;
  const PeerStatus status = peer.Run(Format("check %s/params %s/x %s/y %lld %s", d.c_str(), d.c_str(), d.c_str(),
                                            static_cast<long long>(batch), peer_args.c_str()),
                                     &j, &why);
  for (const char* f : {"/params", "/x", "/y"}) std::remove((d + f).c_str());
  rmdir(dir);
  if (status == PeerStatus::kUnavailable) {
    std::printf("correctness against PyTorch: skipped, %s\n", why.c_str());
    return 0;
  }
  if (status == PeerStatus::kFailed) {
    std::printf("correctness against PyTorch: the check did not run (%s); stopping\n", why.c_str());
    return 5;
  }
  const double tb = j["loss_before"], ta = j["loss_after"];
  const double err = std::max(RelError(before, tb), RelError(after, ta));
  const double tol = CheckTolerance(m, o.precision, true);
  std::printf("correctness: loss before/after one SGD step  aif %.6f / %.6f  PyTorch %.6f / %.6f  (max rel. error "
              "%.1e, allowed %.0e) %s\n",
              before, after, tb, ta, err, tol, err <= tol ? "OK" : "MISMATCH");
  (*result)["correctness"] = {{"aif", {before, after}}, {"torch", {tb, ta}}, {"max_rel_error", err}};
  return err <= tol ? 0 : 5;
}

struct Target {
  std::string what;
  double value = 0, required = 0;  // value < 0: not measured
  std::string unit;                // "x" (a speed-up) or "%" (of a bound or peak)
  std::string missing;             // why it was not measured
  bool Met() const { return value >= 0 && value >= required; }
};

// Prints the targets as pass/fail columns; true when every one is met.
bool ReportTargets(const std::vector<Target>& targets, nlohmann::json* result) {
  bool all = true;
  nlohmann::json rows = nlohmann::json::array();
  std::printf("%-34s %10s %10s  %s\n", "target", "value", "required", "result");
  for (const Target& t : targets) {
    const std::string value = t.value < 0 ? "-" : Format(t.unit == "%" ? "%.1f%s" : "%.2f%s", t.value, t.unit.c_str());
    const std::string status = t.value < 0 ? "n/a: " + t.missing : t.Met() ? "met" : "MISSED";
    std::printf("%-34s %10s %10s  %s\n", t.what.c_str(), value.c_str(),
                Format(">= %g%s", t.required, t.unit.c_str()).c_str(), status.c_str());
    rows.push_back({{"target", t.what}, {"value", t.value < 0 ? nlohmann::json() : nlohmann::json(t.value)},
                    {"required", t.required}, {"met", t.Met()}, {"status", status}});
    all = all && t.Met();
  }
  (*result)["targets"] = rows;
  return all;
}

int Main(const Options& o) {
  const BenchModel& m = *FindBenchModel(o.model);
  const bool gpu = o.device == DeviceType::kCuda;
  if (gpu && !ProbeCuda().usable) {
    std::printf("train_mlp_bench: skipped, --device cuda but no usable CUDA device: %s\n", ProbeCuda().reason.c_str());
    return kSkipped;
  }
  const int64_t batch = o.batch > 0 ? o.batch : m.batch;
  const char* precision = PrecisionName(o.precision);
  nlohmann::json result;
  result["model"] = m.spec;
  result["model_name"] = m.name;
  result["batch"] = batch;
  result["threads"] = o.threads;
  result["device"] = DeviceName(o.device);
  result["precision"] = precision;
  result["blas"] = BlasLibraryVersion();
  result["machine"] = bench::MachineJson();
  result["command"] = Format("train_mlp_bench --device %s --model %s --precision %s --threads %d --batch %lld "
                             "--steps %lld --repeats %lld",
                             DeviceName(o.device), m.name.c_str(), precision, o.threads, static_cast<long long>(batch),
                             static_cast<long long>(o.steps), static_cast<long long>(o.repeats));
  std::printf("aif training throughput: %s, batch %lld, %s, %s\n", m.spec.c_str(), static_cast<long long>(batch),
              precision, gpu ? "one GPU" : Format("%d CPU thread(s)", o.threads).c_str());
  if (gpu) {
    result["gpu"] = bench::GpuJson();
    std::printf("GPU: %s\n", bench::GpuSummary().c_str());
  } else {
    std::printf("BLAS: %s\n", BlasLibraryVersion().c_str());
  }

  // The peer: is PyTorch there at all?
  const TorchPeer peer{o.python, o.torch_script};
  const std::string peer_args = Format("--model %s --device %s --precision %s", m.name.c_str(),
                                       DeviceName(o.device), precision);
  nlohmann::json probe;
  std::string torch_missing = "--no-torch";
  const bool torch_ok = o.torch && peer.Run("probe", &probe, &torch_missing) == PeerStatus::kOk;
  if (torch_ok) {
    std::printf("PyTorch %s (%s): CUDA %s, torch.compile %s\n\n", probe["torch"].get<std::string>().c_str(),
                o.python.c_str(), probe["cuda"].get<bool>() ? "available" : "not available",
                probe["compile"].get<bool>() ? "available" : "not available");
    result["torch_probe"] = probe;
  } else {
    std::printf("PyTorch: not available (%s); peer comparisons skipped\n\n", torch_missing.c_str());
  }

  // 1. Correctness.
  const std::vector<Batch> data = MakeData(batch, 16, o.device);
  if (gpu) {
    if (int rc = CheckGpuAgainstCpu(m, data[0], o.precision, &result)) return rc;
  }
  if (torch_ok) {
    if (int rc = CheckAgainstTorch(m, data[0], o, peer, peer_args, &result)) return rc;
  }
  std::printf("\n");

  // 2 and 3. The bounds, and aif's step, measured in alternating rounds so
  // that both see the same machine (a shared VM's speed drifts); medians.
  const double flops_per_sample = [&] {
    const auto probe_model = Model::Build(m.spec, {1, 28, 28}, 10);
    return static_cast<double>(probe_model->ForwardFlopsPerSample() + probe_model->BackwardFlopsPerSample());
  }();
  Stepper s(m.spec, batch, o.device, o.precision);
  for (int i = 0; i < 20; ++i) s.Step(data[i % 16], i, 0.01, nullptr);
  bench::GemmPeak peak;
  if (gpu) {
    peak = bench::MeasureGemmPeak(o.precision, 8192, 10);
    result["gemm_peak"] = bench::ToJson(peak);
  }
  std::vector<double> rates, bounds, gemm_rates;
  Phases ph;
  for (int64_t r = 0; r < o.repeats; ++r) {
    if (!m.widths.empty()) {
      double bound_s = 0, gemm_flops = 0;
      result["gemms"] = GemmBound(m.widths, batch, o.device, o.precision, &bound_s, &gemm_flops);
      bounds.push_back(batch / bound_s);
      gemm_rates.push_back(gemm_flops);
    }
    if (gpu) DeviceSynchronize();
    auto t0 = Clock::now();
    // On the CPU the phases are timed inside the runs; on a GPU that would
    // need a synchronisation per phase, so a separate pass below does it.
    for (int64_t i = 0; i < o.steps; ++i) s.Step(data[i % 16], i, 0.01, gpu ? nullptr : &ph);
    if (gpu) DeviceSynchronize();
    rates.push_back(batch * o.steps / Since(t0));
  }
  double phase_steps = static_cast<double>(o.steps * o.repeats);
  if (gpu) {
    for (int64_t i = 0; i < o.steps; ++i) s.Step(data[i % 16], i, 0.01, &ph);
    phase_steps = static_cast<double>(o.steps);
  }
  const double aif_rate = Median(rates), n = phase_steps;
  const double bound_rate = bounds.empty() ? 0 : Median(bounds), gemm_flops = bounds.empty() ? 0 : Median(gemm_rates);
  std::printf("%.2f MFLOP per sample (forward + backward)\n", flops_per_sample / 1e6);
  if (!bounds.empty()) {
    std::printf("%s GEMM on the step's shapes: %.1f GFLOP/s; GEMM-bound rate: %.0f samples/s (%.3f ms of GEMM per "
                "step)\n",
                precision, gemm_flops / 1e9, bound_rate, batch / bound_rate * 1e3);
    result["gemm_gflop_per_s"] = gemm_flops / 1e9;
    if (o.precision == DType::kF32) result["sgemm_gflop_per_s"] = gemm_flops / 1e9;
    result["gemm_bound_samples_per_s"] = bound_rate;
  } else {
    std::printf("GEMM bound: none for this model (its convolutions are not GEMMs)\n");
  }
  if (gpu) {
    std::printf("GEMM peak: cuBLAS %s %lld^3 %.1f TFLOP/s\n", precision, static_cast<long long>(peak.n),
                peak.flops_per_s / 1e12);
  }
  std::printf("\n");
  result["flops_per_sample"] = flops_per_sample;
  const double aif_flops = aif_rate * flops_per_sample;
  result["aif"] = {{"samples_per_s", aif_rate},     {"data_ms", ph.data / n * 1e3},
                   {"forward_ms", ph.forward / n * 1e3}, {"backward_ms", ph.backward / n * 1e3},
                   {"comm_ms", ph.comm / n * 1e3},  {"optimizer_ms", ph.optimizer / n * 1e3},
                   {"tflop_per_s", aif_flops / 1e12}};
  if (bound_rate > 0) result["aif"]["fraction_of_gemm_bound"] = aif_rate / bound_rate;
  if (gpu) result["aif"]["fraction_of_gemm_peak"] = aif_flops / peak.flops_per_s;

  // 4. PyTorch: same model, loss, optimizer, batch, device, precision and
  // thread count; eager, and on a GPU torch.compile too.
  struct PeerRun {
    const char* label;
    const char* mode;
    double rate = 0;
    std::string missing;
  };
  std::vector<PeerRun> peers = {{"PyTorch eager", "eager", 0, ""}};
  if (gpu) peers.push_back({"torch.compile", "compiled", 0, ""});
  for (PeerRun& p : peers) {
    nlohmann::json j;
    p.missing = torch_ok ? "" : torch_missing;
    if (torch_ok && peer.Run(Format("bench %lld %lld %lld %d %s --mode %s", static_cast<long long>(batch),
                                    static_cast<long long>(o.steps), static_cast<long long>(o.repeats), o.threads,
                                    peer_args.c_str(), p.mode),
                             &j, &p.missing) == PeerStatus::kOk) {
      p.rate = j["samples_per_s"];
      result[std::string(p.mode) == "eager" ? "torch" : "torch_compiled"] = j;
    } else if (torch_ok) {
      std::printf("%s: not measured (%s)\n", p.label, p.missing.c_str());
    }
  }

  std::printf("%-14s %12s %9s %9s %9s %9s %9s %9s %9s\n", "", "samples/s", "data ms", "fwd ms", "bwd ms", "comm ms",
              "opt ms", "TFLOP/s", gpu ? "of peak" : "of bound");
  auto share = [&](double rate) {
    if (gpu) return Format("%8.1f%%", 100 * rate * flops_per_sample / peak.flops_per_s);
    return bound_rate > 0 ? Format("%8.1f%%", 100 * rate / bound_rate) : std::string("-");
  };
  std::printf("%-14s %12.0f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9s\n", "aif", aif_rate, ph.data / n * 1e3,
              ph.forward / n * 1e3, ph.backward / n * 1e3, ph.comm / n * 1e3, ph.optimizer / n * 1e3,
              aif_flops / 1e12, share(aif_rate).c_str());
  for (const PeerRun& p : peers) {
    if (p.rate <= 0) continue;
    const auto& t = result[std::string(p.mode) == "eager" ? "torch" : "torch_compiled"];
    std::printf("%-14s %12.0f %9s %9.3f %9.3f %9s %9.3f %9.3f %9s\n", p.label, p.rate, "-",
                t["forward_ms"].get<double>(), t["backward_ms"].get<double>(), "-", t["optimizer_ms"].get<double>(),
                p.rate * flops_per_sample / 1e12, share(p.rate).c_str());
  }
  if (bound_rate > 0) std::printf("%-14s %12.0f\n", "GEMM bound", bound_rate);
  if (gpu) std::printf("(GPU phases from a separate pass that synchronises after each phase)\n");
  std::printf("\n");

  // Targets: on the CPU those of the original benchmark; on a GPU 2x eager
  // and 1.2x torch.compile for the small models, and for the wide MLP at
  // least PyTorch's speed and 75 % of the GEMM peak.
  std::vector<Target> targets;
  auto vs_peer = [&](const PeerRun& p, double required) {
    targets.push_back({std::string("aif / ") + p.label, p.rate > 0 ? aif_rate / p.rate : -1, required, "x", p.missing});
  };
  if (!gpu) {
    if (bound_rate > 0) targets.push_back({"aif / GEMM bound", 100 * aif_rate / bound_rate, 85, "%", ""});
    vs_peer(peers[0], 1.15);
  } else if (m.name == "wide") {
    vs_peer(peers[0], 1.0);
    vs_peer(peers[1], 1.0);
    const double of_peak = 100 * aif_flops / peak.flops_per_s;
    targets.push_back({Format("aif FLOP/s / %s GEMM peak", precision), of_peak, 75, "%", ""});
  } else {
    vs_peer(peers[0], 2.0);
    vs_peer(peers[1], 1.2);
  }
  if (peers[0].rate > 0) result["speedup_vs_torch"] = aif_rate / peers[0].rate;
  if (gpu && peers[1].rate > 0) result["speedup_vs_torch_compiled"] = aif_rate / peers[1].rate;
  const bool pass = ReportTargets(targets, &result);
  result["targets_met"] = pass;
  if (!o.json.empty()) std::ofstream(o.json) << result.dump(2) << "\n";
  return (o.require_targets && !pass) ? 1 : 0;
}

void Usage(FILE* to) {
  std::fprintf(to,
               "usage: train_mlp_bench [--device cpu|cuda] [--model mlp|wide|cnn] [--precision fp32|bf16]\n"
               "           [--threads N] [--batch B] [--steps S] [--repeats R] [--json FILE] [--no-torch]\n"
               "           [--python PATH] [--require-targets]\n"
               "  models: mlp = 784-512-256-10 relu (batch 256), wide = 784-4096-4096-10 relu (batch 4096),\n"
               "          cnn = jobs/configs/fmnist_cnn.ini's model with its dropout (batch 128)\n"
               "  --python: the interpreter with torch for the peer (default /usr/bin/python3)\n"
               "  --require-targets: exit 1 when a target is missed or could not be measured\n"
               "Exit status: 0, 1 targets missed (with --require-targets), 2 usage, 5 results differ,\n"
               "77 --device cuda without a usable GPU.\n");
}

}  // namespace
}  // namespace train_bench
}  // namespace aif

int main(int argc, char** argv) {
  aif::train_bench::Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--threads") o.threads = std::atoi(next().c_str());
    else if (a == "--batch") o.batch = std::atoll(next().c_str());
    else if (a == "--steps") o.steps = std::atoll(next().c_str());
    else if (a == "--repeats") o.repeats = std::atoll(next().c_str());
    else if (a == "--json") o.json = next();
    else if (a == "--no-torch") o.torch = false;
    else if (a == "--require-targets") o.require_targets = true;
    else if (a == "--python") o.python = next();
    else if (a == "--model") o.model = next();
    else if (a == "--device" || a == "--precision") {
      const std::string v = next();
      const bool ok = a == "--device" ? (v == "cpu" || v == "cuda") : (v == "fp32" || v == "bf16");
      if (!ok) {
        std::fprintf(stderr, "train_mlp_bench: %s takes %s, not '%s'\n", a.c_str(),
                     a == "--device" ? "cpu or cuda" : "fp32 or bf16", v.c_str());
        return 2;
      }
      if (a == "--device") o.device = v == "cuda" ? aif::DeviceType::kCuda : aif::DeviceType::kCpu;
      else o.precision = v == "bf16" ? aif::DType::kBF16 : aif::DType::kF32;
    } else if (a == "--help" || a == "-h") {
      aif::train_bench::Usage(stdout);
      return 0;
    } else {
      aif::train_bench::Usage(stderr);
      return 2;
    }
  }
  if (!aif::train_bench::FindBenchModel(o.model)) {
    std::fprintf(stderr, "train_mlp_bench: --model takes mlp, wide or cnn, not '%s'\n", o.model.c_str());
    return 2;
  }
  if (o.threads < 1 || o.batch < 0 || o.steps < 1 || o.repeats < 1) {
    aif::train_bench::Usage(stderr);
    return 2;
  }
  // OpenBLAS reads its thread count and core type only when it loads: set
  // them (for us and for the PyTorch child) and start again, once.
  const std::string threads = std::to_string(o.threads);
  const char* have = std::getenv("OPENBLAS_NUM_THREADS");
  if (!std::getenv("AIF_BENCH_REEXEC")) {
    setenv("AIF_BENCH_REEXEC", "1", 1);
    setenv("OPENBLAS_NUM_THREADS", threads.c_str(), 1);
    setenv("OMP_NUM_THREADS", threads.c_str(), 1);
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    std::string core = aif::BlasCoreTypeOverride();
    if (!core.empty() && !std::getenv("OPENBLAS_CORETYPE")) setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
    if (!have || threads != have || !core.empty()) execv("/proc/self/exe", argv);
  }
  // The source tree of the build, or AIF_SOURCE_DIR from the environment
  // (a build carried to another machine: scripts/gpu_run.sh sets it).
  const char* source = std::getenv("AIF_SOURCE_DIR");
  o.torch_script = std::string(source && *source ? source : AIF_SOURCE_DIR) + "/benchmarks/train/torch_mlp.py";
  try {
    return aif::train_bench::Main(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_mlp_bench: %s\n", e.what());
    return 5;
  }
}
