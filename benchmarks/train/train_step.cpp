// Implements train_step.h.
#include "train_step.h"

#include "bench_util.h"        // Clock, Median, Since
#include "core/rng.h"          // synthetic data
#include "core/strings.h"      // Format
#include "gpu_bench_util.h"    // TimeOnGpu
#include "kernels/ops.h"       // the ops the step uses

namespace aif {
namespace train_bench {

using bench::Clock;
using bench::Median;
using bench::Since;

const BenchModel* FindBenchModel(const std::string& name) {
  // The CNN is jobs/configs/fmnist_cnn.ini's model, dropout included.
  static const std::vector<BenchModel> models = {
      {"mlp", "mlp 784-512-256-10 relu", "mlp 784-512-256-10 relu", 256, {784, 512, 256, 10}},
      {"wide", "mlp 784-4096-4096-10 relu", "mlp 784-4096-4096-10 relu", 4096, {784, 4096, 4096, 10}},
      {"cnn",
       "conv(32,3,pad=1) relu pool(2) conv(64,3,pad=1) relu pool(2) flatten linear(128) relu dropout(0.3) linear(10)",
       "conv(32,3,pad=1) relu pool(2) conv(64,3,pad=1) relu pool(2) flatten linear(128) relu linear(10)", 128, {}},
  };
  for (const BenchModel& m : models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<Batch> MakeData(int64_t batch, int count, DeviceType device) {
  std::vector<Batch> data;
  for (int b = 0; b < count; ++b) {
    Tensor x = Tensor::Empty({batch, 784}), y = Tensor::Empty({batch}, DType::kI32);
    Tensor ids = Tensor::Empty({batch}, DType::kI64);
    for (int64_t i = 0; i < x.numel(); ++i) {
      x.data<float>()[i] = UniformFloat(RandomBits(1, RngPurpose::kSynthetic, b, i).v[0]);
    }
    for (int64_t i = 0; i < batch; ++i) {
      y.data<int32_t>()[i] = static_cast<int32_t>(RandomBelow(10, 2, RngPurpose::kSynthetic, b, i));
      ids.data<int64_t>()[i] = b * batch + i;
    }
    if (device == DeviceType::kCpu) data.push_back({x, y, ids});
    else data.push_back({x.To(device), y.To(device), ids.To(device)});
  }
  return data;
}

Stepper::Stepper(const std::string& spec, int64_t batch, DeviceType device, DType precision)
    : device_(device), precision_(precision) {
  std::unique_ptr<Model> host = Model::Build(spec, {1, 28, 28}, 10);
  host->Initialize(1);
  model_ = device == DeviceType::kCpu ? std::move(host) : host->CopyTo(device);
  OptimizerConfig c;
  c.momentum = 0.9;
  opt_ = Optimizer::Create(c, *model_);
  if (device == DeviceType::kCpu) {
    comm_ = MakeLocalCommunicator();
    buckets_.reset(new GradientBuckets(comm_.get(), model_->grads(), int64_t{25} << 20));
    x_ = Tensor::Empty({batch, 784});
  }
  dout_ = Tensor::Empty({batch, 10}, DType::kF32, device);
}

double Stepper::Step(const Batch& b, int64_t step, double lr, Phases* ph) {
  const bool gpu = device_ != DeviceType::kCpu;
  // On a GPU the phase clocks wait for the device, or they would time the queueing.
  auto now = [&] {
    if (gpu && ph) DeviceSynchronize();
    return Clock::now();
  };
  auto t0 = now();
  if (!gpu) x_.CopyFrom(b.x);  // the copy out of the reader's batch, as in aif train
  const Tensor& x = gpu ? b.x : x_;
  auto t1 = now();
  PassContext ctx;
  ctx.step = step;
  ctx.sample_ids = b.ids;
  ctx.gemm_dtype = precision_;
  Tensor out = model_->Forward(x, ctx);
  const double loss = ops::SoftmaxCrossEntropy(out, b.y, Tensor(), 1.0f / x.dim(0), dout_);
  auto t2 = now();
  if (buckets_) buckets_->BeginStep();
  model_->Backward(dout_, ctx, [&](int64_t o, int64_t n) {
    if (buckets_) buckets_->MarkReady(o, n);
  });
  auto t3 = now();
  if (buckets_) buckets_->Finish();
  auto t4 = now();
  opt_->Step(*model_, lr);
  auto t5 = now();
  if (ph) {
    ph->data += std::chrono::duration<double>(t1 - t0).count();
    ph->forward += std::chrono::duration<double>(t2 - t1).count();
    ph->backward += std::chrono::duration<double>(t3 - t2).count();
    ph->comm += std::chrono::duration<double>(t4 - t3).count();
    ph->optimizer += std::chrono::duration<double>(t5 - t4).count();
  }
  return loss / x.dim(0);
}

double Stepper::EvalLoss(const Batch& b) {
  PassContext eval;
  eval.training = false;
  eval.gemm_dtype = precision_;
  Tensor sink = Tensor::Empty({b.x.dim(0), 10}, DType::kF32, device_);
  return ops::SoftmaxCrossEntropy(model_->Forward(b.x, eval), b.y, Tensor(), 0.0f, sink) / b.x.dim(0);
}

namespace {

struct GemmShape {
  std::string what;
  Tensor a, b, c;
  bool ta, tb;
  double flops;
};

// A [rows, cols] operand of `dtype` on `device`, small repeating values.
Tensor Operand(int64_t rows, int64_t cols, DType dtype, DeviceType device) {
  Tensor t = Tensor::Empty({rows, cols});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 0.001f * (i % 17);
  if (dtype == DType::kBF16) {
    Tensor h = Tensor::Empty({rows, cols}, DType::kBF16);
    ops::CastF32ToBF16(t, h);
    t = h;
  }
  return device == DeviceType::kCpu ? t : t.To(device);
}

}  // namespace

nlohmann::json GemmBound(const std::vector<int64_t>& widths, int64_t n, DeviceType device, DType dtype,
                         double* bound_seconds, double* gemm_flops) {
  std::vector<GemmShape> shapes;
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    const int64_t in = widths[l], out = widths[l + 1];
    auto A = [&](int64_t r, int64_t c) { return Operand(r, c, dtype, device); };
    auto C = [&](int64_t r, int64_t c) { return Tensor::Empty({r, c}, DType::kF32, device); };
    const double f = 2.0 * n * in * out;
    const long long N = n, I = in, O = out;
    const int L = static_cast<int>(l + 1);
    shapes.push_back({Format("fwd  L%d [%lld,%lld]x[%lld,%lld]^T", L, N, I, O, I), A(n, in), A(out, in), C(n, out),
                      false, true, f});
    shapes.push_back({Format("dW   L%d [%lld,%lld]^Tx[%lld,%lld]", L, N, O, N, I), A(n, out), A(n, in), C(out, in),
                      true, false, f});
    if (l > 0) {
      shapes.push_back({Format("dX   L%d [%lld,%lld]x[%lld,%lld]", L, N, O, O, I), A(n, out), A(out, in), C(n, in),
                        false, false, f});
    }
  }
  nlohmann::json out = nlohmann::json::array();
  *bound_seconds = 0;
  double total_flops = 0;
  for (auto& s : shapes) {
    auto call = [&] { ops::Matmul(s.a, s.ta, s.b, s.tb, s.c); };
    double t = 0;
    if (device == DeviceType::kCpu) {
      for (int w = 0; w < 10; ++w) call();
      std::vector<double> times;
      for (int r = 0; r < 7; ++r) {
        const int reps = 20;
        auto t0 = Clock::now();
        for (int i = 0; i < reps; ++i) call();
        times.push_back(Since(t0) / reps);
      }
      t = Median(times);
    } else {
      t = bench::TimeOnGpu(call, 7).Median();
    }
    *bound_seconds += t;
    total_flops += s.flops;
    out.push_back({{"gemm", s.what}, {"seconds", t}, {"gflop_per_s", s.flops / t / 1e9}});
  }
  *gemm_flops = total_flops / *bound_seconds;
  return out;
}

}  // namespace train_bench
}  // namespace aif
