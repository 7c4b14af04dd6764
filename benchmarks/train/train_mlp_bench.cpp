// Training throughput of the Fashion-MNIST MLP 784-512-256-10 at batch 256,
// against PyTorch on the same machine and thread count, and against the
// machine's own sgemm on the very GEMM shapes of the step (the GEMM bound).
//
// The story, llm.c style: correctness first (aif's first SGD step gives the
// losses PyTorch gives from the same weights and batch), then warm-up, then
// medians of repeated runs. Output: a table on stdout and JSON (--json).
//
//   build/benchmarks/train_mlp_bench [--threads 1] [--batch 256] [--steps 200]
//       [--repeats 5] [--json FILE] [--no-torch] [--require-targets]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"                   // Since, Median
#include "comm/communicator.h"            // Local backend: the comm phase of a 1-rank run
#include "comm/gradient_buckets.h"        // the same bucketed all-reduce as aif train
#include "core/rng.h"                     // synthetic data
#include "core/strings.h"                 // Format
#include "kernels/library_versions.h"     // BLAS version and core-type fix
#include "kernels/ops.h"                  // the ops the step uses
#include "nn/model.h"                     // the model, built from its spec
#include "train/optimizer.h"              // SGD with momentum, as aif train

namespace aif {
namespace {

using bench::Clock;
using bench::Median;
using bench::Since;

const char* kSpec = "mlp 784-512-256-10 relu";

struct Options {
  int threads = 1;
  int64_t batch = 256, steps = 200, repeats = 5;
  std::string json, torch_script;
  bool torch = true, require_targets = false;
};

std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  if (pclose(p) != 0) return "";
  return out;
}

// Synthetic in-memory data, like the PyTorch side: the content does not
// change the speed of dense layers.
struct Data {
  std::vector<Tensor> x, y, ids;
};
Data MakeData(int64_t batch, int batches) {
  Data d;
  for (int b = 0; b < batches; ++b) {
    Tensor x = Tensor::Empty({batch, 784}), y = Tensor::Empty({batch}, DType::kI32);
    Tensor ids = Tensor::Empty({batch}, DType::kI64);
    for (int64_t i = 0; i < x.numel(); ++i) {
      x.data<float>()[i] = UniformFloat(RandomBits(1, RngPurpose::kSynthetic, b, i).v[0]);
    }
    for (int64_t i = 0; i < batch; ++i) {
      y.data<int32_t>()[i] = static_cast<int32_t>(RandomBelow(10, 2, RngPurpose::kSynthetic, b, i));
      ids.data<int64_t>()[i] = b * batch + i;
    }
    d.x.push_back(x);
    d.y.push_back(y);
    d.ids.push_back(ids);
  }
  return d;
}

struct Phases {
  double data = 0, forward = 0, backward = 0, comm = 0, optimizer = 0;
};

// One training step exactly as src/train/trainer.cpp does it.
struct Stepper {
  std::unique_ptr<Model> model;
  std::unique_ptr<Optimizer> opt;
  std::unique_ptr<Communicator> comm = MakeLocalCommunicator();
  std::unique_ptr<GradientBuckets> buckets;
  Tensor x, dout;
  explicit Stepper(int64_t batch) {
    model = Model::Build(kSpec, {1, 28, 28}, 10);
    model->Initialize(1);
    OptimizerConfig c;
    c.momentum = 0.9;
    opt = Optimizer::Create(c, *model);
    buckets.reset(new GradientBuckets(comm.get(), model->grads(), int64_t{25} << 20));
    x = Tensor::Empty({batch, 784});
    dout = Tensor::Empty({batch, 10});
  }
  double Step(const Tensor& bx, const Tensor& by, const Tensor& ids, int64_t step, double lr, Phases* ph) {
    auto t0 = Clock::now();
    x.CopyFrom(bx);  // the copy out of the reader's batch, as in aif train
    auto t1 = Clock::now();
    PassContext ctx;
    ctx.step = step;
    ctx.sample_ids = ids;
    Tensor out = model->Forward(x, ctx);
    double loss = ops::SoftmaxCrossEntropy(out, by, Tensor(), 1.0f / x.dim(0), dout);
    auto t2 = Clock::now();
    buckets->BeginStep();
    model->Backward(dout, ctx, [&](int64_t o, int64_t n) { buckets->MarkReady(o, n); });
    auto t3 = Clock::now();
    buckets->Finish();
    auto t4 = Clock::now();
    opt->Step(*model, lr);
    auto t5 = Clock::now();
    if (ph) {
      ph->data += std::chrono::duration<double>(t1 - t0).count();
      ph->forward += std::chrono::duration<double>(t2 - t1).count();
      ph->backward += std::chrono::duration<double>(t3 - t2).count();
      ph->comm += std::chrono::duration<double>(t4 - t3).count();
      ph->optimizer += std::chrono::duration<double>(t5 - t4).count();
    }
    return loss / x.dim(0);
  }
};

void WriteRaw(const std::string& path, const Tensor& t) {
  std::ofstream(path, std::ios::binary).write(static_cast<const char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
}

// The GEMMs of one step, timed alone through the same ops::Matmul calls.
struct GemmShape {
  std::string what;
  Tensor a, b, c;
  bool ta, tb;
  double flops;
};

nlohmann::json GemmBound(int64_t n, double* bound_seconds, double* gemm_flops) {
  const int64_t sizes[] = {784, 512, 256, 10};
  std::vector<GemmShape> shapes;
  for (int l = 0; l < 3; ++l) {
    const int64_t in = sizes[l], out = sizes[l + 1];
    auto T = [](int64_t r, int64_t c) {
      Tensor t = Tensor::Empty({r, c});
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 0.001f * (i % 17);
      return t;
    };
    const double f = 2.0 * n * in * out;
    shapes.push_back({Format("fwd  L%d [%lld,%lld]x[%lld,%lld]^T", l + 1, (long long)n, (long long)in, (long long)out,
                             (long long)in), T(n, in), T(out, in), T(n, out), false, true, f});
    shapes.push_back({Format("dW   L%d [%lld,%lld]^Tx[%lld,%lld]", l + 1, (long long)n, (long long)out, (long long)n,
                             (long long)in), T(n, out), T(n, in), T(out, in), true, false, f});
    if (l > 0) {
      shapes.push_back({Format("dX   L%d [%lld,%lld]x[%lld,%lld]", l + 1, (long long)n, (long long)out, (long long)out,
                               (long long)in), T(n, out), T(out, in), T(n, in), false, false, f});
    }
  }
  nlohmann::json out = nlohmann::json::array();
  *bound_seconds = 0;
  double total_flops = 0;
  for (auto& s : shapes) {
    for (int w = 0; w < 10; ++w) ops::Matmul(s.a, s.ta, s.b, s.tb, s.c);
    std::vector<double> times;
    for (int r = 0; r < 7; ++r) {
      const int reps = 20;
      auto t0 = Clock::now();
      for (int i = 0; i < reps; ++i) ops::Matmul(s.a, s.ta, s.b, s.tb, s.c);
      times.push_back(Since(t0) / reps);
    }
    double t = Median(times);
    *bound_seconds += t;
    total_flops += s.flops;
    out.push_back({{"gemm", s.what}, {"seconds", t}, {"gflop_per_s", s.flops / t / 1e9}});
  }
  *gemm_flops = total_flops / *bound_seconds;
  return out;
}

int Main(const Options& o) {
  nlohmann::json result;
  result["model"] = kSpec;
  result["batch"] = o.batch;
  result["threads"] = o.threads;
  result["blas"] = BlasLibraryVersion();
  result["command"] = Format("train_mlp_bench --threads %d --batch %lld --steps %lld --repeats %lld", o.threads,
                             (long long)o.batch, (long long)o.steps, (long long)o.repeats);
  std::printf("aif training throughput: %s, batch %lld, %d thread(s)\nBLAS: %s\n\n", kSpec, (long long)o.batch,
              o.threads, BlasLibraryVersion().c_str());

  // 1. Correctness: aif's first SGD step against PyTorch's from the same state.
  Data data = MakeData(o.batch, 16);
  bool torch_ok = o.torch && !RunCommand("/usr/bin/python3 -c 'import torch' 2>/dev/null && echo yes").empty();
  if (torch_ok) {
    Stepper s(o.batch);
    char dir[] = "/tmp/aif-bench-XXXXXX";
    if (!mkdtemp(dir)) return 4;
    const std::string d = dir;
    WriteRaw(d + "/params", s.model->params());
    WriteRaw(d + "/x", data.x[0]);
    WriteRaw(d + "/y", data.y[0]);
    double before = s.Step(data.x[0], data.y[0], data.ids[0], 0, 0.1, nullptr);
    PassContext eval;
    eval.training = false;
    Tensor sink = Tensor::Empty({o.batch, 10});
    double after = ops::SoftmaxCrossEntropy(s.model->Forward(data.x[0], eval), data.y[0], Tensor(), 0.0f, sink) / o.batch;
    std::string out = RunCommand(Format("/usr/bin/python3 %s check %s/params %s/x %s/y %lld", o.torch_script.c_str(),
                                        d.c_str(), d.c_str(), d.c_str(), (long long)o.batch));
    RunCommand("rm -rf " + d);
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded()) {
      std::printf("correctness: the PyTorch check did not run; stopping\n");
      return 5;
    }
    double tb = j["loss_before"], ta = j["loss_after"];
    double err = std::max(std::fabs(before - tb) / tb, std::fabs(after - ta) / ta);
    std::printf("correctness: loss before/after one SGD step  aif %.6f / %.6f  PyTorch %.6f / %.6f  (max rel. error "
                "%.1e) %s\n\n",
                before, after, tb, ta, err, err < 1e-4 ? "OK" : "MISMATCH");
    result["correctness"] = {{"aif", {before, after}}, {"torch", {tb, ta}}, {"max_rel_error", err}};
    if (err >= 1e-4) return 5;
  } else {
    std::printf("correctness: PyTorch (python3-torch) not available; peer comparison skipped\n\n");
  }

  // 2 and 3. The GEMM bound on the step's own shapes, and aif's step, measured
  // in alternating rounds so that both see the same machine (a shared VM's
  // speed drifts); medians over the rounds.
  auto probe = Model::Build(kSpec, {1, 28, 28}, 10);
  const double flops_per_sample = probe->ForwardFlopsPerSample() + probe->BackwardFlopsPerSample();
  Stepper s(o.batch);
  for (int i = 0; i < 20; ++i) s.Step(data.x[i % 16], data.y[i % 16], data.ids[i % 16], i, 0.01, nullptr);
  std::vector<double> rates, bounds, gemm_rates;
  Phases ph;
  for (int64_t r = 0; r < o.repeats; ++r) {
    double bound_s = 0, gemm_flops = 0;
    result["gemms"] = GemmBound(o.batch, &bound_s, &gemm_flops);
    bounds.push_back(o.batch / bound_s);
    gemm_rates.push_back(gemm_flops);
    auto t0 = Clock::now();
    for (int64_t i = 0; i < o.steps; ++i) s.Step(data.x[i % 16], data.y[i % 16], data.ids[i % 16], i, 0.01, &ph);
    rates.push_back(o.batch * o.steps / Since(t0));
  }
  const double bound_rate = Median(bounds), gemm_flops = Median(gemm_rates);
  std::printf("sgemm on the step's shapes: %.1f GFLOP/s; %.2f MFLOP per sample (forward + backward)\n",
              gemm_flops / 1e9, flops_per_sample / 1e6);
  std::printf("GEMM-bound rate: %.0f samples/s (%.3f ms of GEMM per step)\n\n", bound_rate, o.batch / bound_rate * 1e3);
  result["sgemm_gflop_per_s"] = gemm_flops / 1e9;
  result["flops_per_sample"] = flops_per_sample;
  result["gemm_bound_samples_per_s"] = bound_rate;
  const double aif_rate = Median(rates), n = static_cast<double>(o.steps * o.repeats);
  result["aif"] = {{"samples_per_s", aif_rate},     {"data_ms", ph.data / n * 1e3},
                   {"forward_ms", ph.forward / n * 1e3}, {"backward_ms", ph.backward / n * 1e3},
                   {"comm_ms", ph.comm / n * 1e3},  {"optimizer_ms", ph.optimizer / n * 1e3},
                   {"fraction_of_gemm_bound", aif_rate / bound_rate}};

  // 4. PyTorch, same shapes, same thread count.
  double torch_rate = 0;
  if (torch_ok) {
    std::string out = RunCommand(Format("/usr/bin/python3 %s bench %lld %lld %lld %d", o.torch_script.c_str(),
                                        (long long)o.batch, (long long)o.steps, (long long)o.repeats, o.threads));
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (!j.is_discarded()) {
      torch_rate = j["samples_per_s"];
      result["torch"] = j;
    }
  }

  std::printf("%-10s %12s %9s %9s %9s %9s %9s %10s\n", "", "samples/s", "data ms", "fwd ms", "bwd ms", "comm ms",
              "opt ms", "of bound");
  std::printf("%-10s %12.0f %9.3f %9.3f %9.3f %9.3f %9.3f %9.1f%%\n", "aif", aif_rate, ph.data / n * 1e3,
              ph.forward / n * 1e3, ph.backward / n * 1e3, ph.comm / n * 1e3, ph.optimizer / n * 1e3,
              100 * aif_rate / bound_rate);
  if (torch_rate > 0) {
    const auto& t = result["torch"];
    std::printf("%-10s %12.0f %9s %9.3f %9.3f %9s %9.3f %9.1f%%\n", "PyTorch", torch_rate, "-",
                t["forward_ms"].get<double>(), t["backward_ms"].get<double>(), "-", t["optimizer_ms"].get<double>(),
                100 * torch_rate / bound_rate);
  }
  std::printf("%-10s %12.0f\n\n", "GEMM bound", bound_rate);

  bool pass = aif_rate >= 0.85 * bound_rate;
  std::printf("target: >= 85%% of the GEMM bound: %s (%.1f%%)\n", pass ? "met" : "MISSED", 100 * aif_rate / bound_rate);
  if (torch_rate > 0) {
    bool faster = aif_rate >= 1.15 * torch_rate;
    std::printf("target: >= 1.15x PyTorch: %s (%.2fx)\n", faster ? "met" : "MISSED", aif_rate / torch_rate);
    result["speedup_vs_torch"] = aif_rate / torch_rate;
    pass = pass && faster;
  }
  result["targets_met"] = pass;
  if (!o.json.empty()) std::ofstream(o.json) << result.dump(2) << "\n";
  return (o.require_targets && !pass) ? 1 : 0;
}

}  // namespace
}  // namespace aif

int main(int argc, char** argv) {
  aif::Options o;
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
    else {
      std::fprintf(stderr, "usage: train_mlp_bench [--threads N] [--batch B] [--steps S] [--repeats R] [--json FILE] "
                           "[--no-torch] [--require-targets]\n");
      return 2;
    }
  }
  if (o.threads < 1 || o.batch < 1 || o.steps < 1 || o.repeats < 1) return 2;
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
  o.torch_script = std::string(AIF_SOURCE_DIR) + "/benchmarks/train/torch_mlp.py";
  return aif::Main(o);
}
