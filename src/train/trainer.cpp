#include "train/trainer.h"

#include <chrono>
#include <cmath>

#include "comm/gradient_buckets.h"
#include "comm/replica_check.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "kernels/ops.h"
#include "nn/model_file.h"
#include "train/batch_tensors.h"
#include "train/metrics_log.h"
#include "train/validation.h"

namespace aif {
namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::string Duration(double s) {
  if (s < 90) return Format("%.0fs", s);
  if (s < 5400) return Format("%.0fm%02.0fs", std::floor(s / 60), std::fmod(s, 60));
  return Format("%.0fh%02.0fm", std::floor(s / 3600), std::fmod(s / 60, 60));
}

// Per-interval sums of where a step's time goes (seconds) and what it did.
struct Interval {
  double data = 0, forward = 0, backward = 0, comm = 0, optimizer = 0, wall = 0;
  double loss = 0, grad_norm = 0;
  int64_t samples = 0, correct = 0, steps = 0;
};

// A reader over a held-out split: every sample once, padded, unshuffled.
ReaderOptions HeldOutReaderOptions(ReaderOptions o, const std::string& split, int64_t batch) {
  o.split = split;
  o.global_batch = batch;
  o.shuffle = false;
  o.remainder = Remainder::kPad;
  return o;
}

}  // namespace

void TrainConfig::Validate(int world_size) const {
  if (data.empty()) ThrowUsage("--data is required (a dataset from 'aif prepare')");
  if (run_dir.empty()) ThrowUsage("--run-dir is required (where config, metrics and the model go)");
  if (model_spec.empty()) ThrowUsage("--model is required, e.g. --model 'mlp 784-256-10 relu'");
  if ((steps > 0) == (epochs > 0)) ThrowUsage("give exactly one of --steps and --epochs (a positive number)");
  if (batch_size <= 0) ThrowUsage("--batch-size must be > 0");
  if (micro_batches <= 0 || batch_size % micro_batches != 0) {
    ThrowUsage("--micro-batches must divide --batch-size (%lld)", static_cast<long long>(batch_size));
  }
  if (batch_size / micro_batches < world_size) {
    ThrowUsage("the global batch (%lld per micro-batch) is smaller than the number of ranks (%d); every rank needs "
               "at least one sample: raise --batch-size or use fewer ranks",
               static_cast<long long>(batch_size / micro_batches), world_size);
  }
  if (clip_norm < 0) ThrowUsage("--clip-norm must be >= 0");
  if (log_every <= 0) ThrowUsage("--log-every must be > 0");
  if (eval_every < 0 || check_every < 0) ThrowUsage("--eval-every and --check-every must be >= 0");
  if (eval_batch_size < world_size) ThrowUsage("--eval-batch-size must be at least the number of ranks");
  LrSchedule s = schedule;
  s.Validate();
}

TrainResult Train(const TrainConfig& config, Communicator& comm) {
  const bool root = comm.rank() == 0;
  config.Validate(comm.size());

  // Data: the train split in global micro-batches; val, when present, padded.
  ReaderOptions ro;
  ro.split = "train";
  ro.global_batch = config.batch_size / config.micro_batches;
  ro.seed = config.seed;
  ro.window_chunks = config.shuffle_window;
  ro.remainder = Remainder::kDrop;
  ro.normalization = ParseNormalization(config.normalization);
  ro.memory_bytes = config.reader_memory;
  ShardedReader reader(config.data, ro, comm.rank(), comm.size());
  const DatasetFile& dataset = reader.dataset();
  const DatasetSchema& schema = dataset.schema();
  const Task task = schema.task;
  std::unique_ptr<ShardedReader> val_reader;
  if (dataset.HasSplit("val")) {
    val_reader.reset(new ShardedReader(config.data, HeldOutReaderOptions(ro, "val", config.eval_batch_size),
                                       comm.rank(), comm.size()));
  }
  const int64_t steps_per_epoch = reader.batches_per_epoch() / config.micro_batches;
  if (steps_per_epoch < 1) ThrowUsage("the train split is smaller than one global batch; lower --batch-size");
  const int64_t total_steps = config.steps > 0 ? config.steps : config.epochs * steps_per_epoch;
  const int64_t eval_every = config.eval_every > 0 ? config.eval_every : steps_per_epoch;

  // Model, identical on every rank: built from the seed, then rank 0's copy broadcast.
  const int64_t outputs = task == Task::kClassification ? schema.num_classes() : 1;
  std::unique_ptr<Model> model = Model::Build(config.model_spec, schema.sample_shape, outputs);
  model->Initialize(config.seed);
  comm.Broadcast(model->params(), 0);
  std::unique_ptr<Optimizer> optimizer = Optimizer::Create(config.optimizer, *model);
  LrSchedule schedule = config.schedule;
  schedule.total_steps = total_steps;
  GradientBuckets buckets(&comm, model->grads(), config.bucket_bytes);

  if (root) {
    MakeDirectories(config.run_dir);
    nlohmann::json effective = config.effective_config;
    effective["total_steps"] = total_steps;
    effective["steps_per_epoch"] = steps_per_epoch;
    effective["world_size"] = comm.size();
    WriteFileAtomic(config.run_dir + "/config.json", effective.dump(2) + "\n");
    LogInfo("model '%s' on %d rank(s), global batch %lld (%lld per rank), %lld steps (%lld per epoch)\n%s",
            config.model_spec.c_str(), comm.size(), static_cast<long long>(config.batch_size),
            static_cast<long long>(reader.local_batch_rows() * config.micro_batches), static_cast<long long>(total_steps),
            static_cast<long long>(steps_per_epoch), model->Summary().c_str());
  }
  MetricsLog metrics(config.run_dir + "/metrics.jsonl", root);

  BatchTensors batch;
  Tensor dout;
  Tensor step_sums = Tensor::Zeros({3});  // loss sum, correct, samples: all-reduced every step
  Interval iv;
  SplitMetrics val;
  TrainResult result;
  const auto start = Clock::now();
  auto interval_start = start;
  const float grad_scale = 1.0f / static_cast<float>(config.batch_size);

  for (int64_t step = 0; step < total_steps; ++step) {
    double loss_sum = 0;
    int64_t correct = 0, samples = 0;
    auto t0 = Clock::now();
    for (int64_t micro = 0; micro < config.micro_batches; ++micro) {
      auto td = Clock::now();
      Batch b = reader.Next();
      batch.Load(b, task);
      auto tf = Clock::now();
      iv.data += Seconds(td, tf);
      PassContext ctx;
      ctx.training = true;
      ctx.seed = config.seed;
      ctx.step = step;
      ctx.sample_ids = batch.sample_ids;
      ctx.accumulate = micro > 0;
      Tensor out = model->Forward(batch.features, ctx);
      if (!dout.defined() || dout.shape() != out.shape()) dout = Tensor::Empty(out.shape());
      if (task == Task::kClassification) {
        correct += ops::CountCorrect(out, batch.labels, batch.valid);
        loss_sum += ops::SoftmaxCrossEntropy(out, batch.labels, batch.valid, grad_scale, dout);
      } else {
        loss_sum += ops::MeanSquaredError(out, batch.labels, batch.valid, grad_scale, dout);
      }
      samples += b.rows;
      auto tb = Clock::now();
      iv.forward += Seconds(tf, tb);
      const bool last = micro + 1 == config.micro_batches;
      if (last) buckets.BeginStep();
      model->Backward(dout, ctx, [&](int64_t offset, int64_t count) {
        if (last) buckets.MarkReady(offset, count);
      });
      iv.backward += Seconds(tb, Clock::now());
    }
    auto tc = Clock::now();
    buckets.Finish();
    auto to = Clock::now();
    iv.comm += Seconds(tc, to);

    const double grad_norm = std::sqrt(ops::SquaredNorm(model->grads()));
    if (config.clip_norm > 0 && grad_norm > config.clip_norm) {
      ops::Scale(model->grads(), static_cast<float>(config.clip_norm / grad_norm));
    }
    const double lr = schedule.At(step);
    optimizer->Step(*model, lr);
    auto te = Clock::now();
    iv.optimizer += Seconds(to, te);

    // One small all-reduce per step: the loss (also the NaN check on every rank).
    float* sums = step_sums.data<float>();
    sums[0] = static_cast<float>(loss_sum);
    sums[1] = static_cast<float>(correct);
    sums[2] = static_cast<float>(samples);
    comm.AllReduce(step_sums, ReduceOp::kSum);
    const double step_loss = sums[0] / std::max(1.0f, sums[2]);
    if (!std::isfinite(step_loss) || !std::isfinite(grad_norm)) {
      throw Error(ErrorKind::kData,
                  Format("the loss became %s at step %lld (learning rate %g); lower --lr, add --clip-norm, or check "
                         "the data for extreme values",
                         std::isnan(step_loss) || std::isnan(grad_norm) ? "NaN" : "infinite",
                         static_cast<long long>(step + 1), lr),
                  /*collective=*/true);
    }
    iv.loss += sums[0];
    iv.correct += static_cast<int64_t>(sums[1]);
    iv.samples += static_cast<int64_t>(sums[2]);
    iv.grad_norm += grad_norm;
    iv.steps += 1;
    iv.wall += Seconds(t0, Clock::now());

    if (config.check_every > 0 && (step + 1) % config.check_every == 0) {
      CheckReplicasAgree(comm, model->params(), step + 1);
    }
    const bool last_step = step + 1 == total_steps;
    bool evaluated = false;
    if (val_reader && ((step + 1) % eval_every == 0 || last_step)) {
      val = EvaluateSplit(*model, *val_reader, comm, task);
      evaluated = true;
    }
    if ((step + 1) % config.log_every == 0 || last_step || evaluated) {
      const double elapsed = Seconds(start, Clock::now());
      const double interval = Seconds(interval_start, Clock::now());
      const double per_step = iv.steps ? 1000.0 / iv.steps : 0;
      nlohmann::json rec;
      rec["step"] = step + 1;
      rec["epoch"] = step / steps_per_epoch;
      rec["loss"] = iv.samples ? iv.loss / iv.samples : 0.0;
      if (task == Task::kClassification) rec["train_accuracy"] = iv.samples ? double(iv.correct) / iv.samples : 0.0;
      rec["lr"] = lr;
      rec["grad_norm"] = iv.steps ? iv.grad_norm / iv.steps : 0.0;
      rec["samples_per_s"] = interval > 0 ? iv.samples / interval : 0.0;
      rec["step_ms"] = iv.wall * per_step;
      rec["data_wait_ms"] = iv.data * per_step;
      rec["forward_ms"] = iv.forward * per_step;
      rec["backward_ms"] = iv.backward * per_step;
      rec["comm_ms"] = iv.comm * per_step;
      rec["optimizer_ms"] = iv.optimizer * per_step;
      if (evaluated) {
        rec["val_loss"] = val.loss;
        if (task == Task::kClassification) rec["val_accuracy"] = val.accuracy;
      }
      rec["elapsed_s"] = elapsed;
      metrics.Append(rec);
      if (root) {
        const double eta = elapsed / (step + 1) * (total_steps - step - 1);
        std::string val_text = evaluated ? (task == Task::kClassification ? Format(" val_acc %.4f", val.accuracy)
                                                                           : Format(" val_loss %.4g", val.loss))
                                         : "";
        LogInfo("step %lld/%lld epoch %lld loss %.4f%s lr %.4g %.0f samples/s ETA %s", static_cast<long long>(step + 1),
                static_cast<long long>(total_steps), static_cast<long long>(step / steps_per_epoch),
                rec["loss"].get<double>(), val_text.c_str(), lr, rec["samples_per_s"].get<double>(),
                Duration(eta).c_str());
      }
      result.final_loss = rec["loss"];
      result.samples_per_s = rec["samples_per_s"];
      iv = Interval();
      interval_start = Clock::now();
    }
  }
  result.steps = total_steps;
  result.val_loss = val.loss;
  result.val_accuracy = val.accuracy;
  // A last look at the held-out test split, when the dataset has one (the
  // full report with per-class metrics is `aif evaluate`).
  SplitMetrics test;
  if (dataset.HasSplit("test")) {
    ShardedReader test_reader(config.data, HeldOutReaderOptions(ro, "test", config.eval_batch_size), comm.rank(),
                              comm.size());
    test = EvaluateSplit(*model, test_reader, comm, task);
    result.test_loss = test.loss;
    result.test_accuracy = test.accuracy;
    nlohmann::json rec = {{"step", total_steps}, {"final", true}, {"test_loss", test.loss},
                          {"elapsed_s", Seconds(start, Clock::now())}};
    if (task == Task::kClassification) rec["test_accuracy"] = test.accuracy;
    metrics.Append(rec);
  }

  // The model file, with what inference and drift detection need.
  ModelMetadata meta;
  meta.schema = schema;
  meta.normalization = NormalizationName(reader.normalization());
  meta.norm_offset = reader.normalization_offset();
  meta.norm_scale = reader.normalization_scale();
  meta.reference_stats = dataset.ReadStats();
  meta.dataset_fingerprint = dataset.fingerprint();
  meta.lineage = config.lineage;
  meta.lineage["config"] = config.effective_config;
  meta.lineage["dataset_path"] = AbsolutePath(config.data);
  meta.lineage["dataset_fingerprint"] = dataset.fingerprint();
  meta.lineage["steps"] = total_steps;
  meta.lineage["final_train_loss"] = result.final_loss;
  if (val_reader) {
    meta.lineage["val_loss"] = val.loss;
    if (task == Task::kClassification) meta.lineage["val_accuracy"] = val.accuracy;
  }
  if (test.samples > 0) {
    meta.lineage["test_loss"] = test.loss;
    if (task == Task::kClassification) meta.lineage["test_accuracy"] = test.accuracy;
  }
  meta.lineage["train_seconds"] = Seconds(start, Clock::now());
  result.model_path = config.run_dir + "/model.h5";
  result.params_sha256 = ParamsSha256(*model);
  if (root) WriteModelFile(result.model_path, *model, meta);
  comm.Barrier();
  return result;
}

}  // namespace aif
