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
#include "train/batch_stager.h"
#include "train/metrics_log.h"
#include "train/rank_watchdog.h"
#include "train/step_trace.h"
#include "train/stop_signal.h"
#include "train/train_state.h"
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

// Regression models learn the standardised target: offset and scale are the
// train split's label mean and standard deviation (scale 1 for a constant
// or degenerate target, which has nothing to standardise).
OutputTransform RegressionOutputTransform(const FeatureStats& stats) {
  OutputTransform t;
  const double spread = 1e-6 * std::max(1.0, std::fabs(stats.label_mean));
  if (std::isfinite(stats.label_mean)) t.offset = static_cast<float>(stats.label_mean);
  if (std::isfinite(stats.label_std) && stats.label_std > spread) t.scale = static_cast<float>(stats.label_std);
  return t;
}

// Per-step values all-reduced in one message: sums, and flags as counts.
enum StepSum { kLoss, kCorrect, kSamples, kSaveFlag, kStopFlag, kNumStepSums };

// Per-step results the ops write on the model's device (f64), read by the
// host once per step, after the whole step is queued: on a GPU the host never
// waits between forward, backward and the optimizer.
enum DeviceScalar { kLossSum, kCorrectCount, kGradSquaredNorm, kNumDeviceScalars };

class Trainer {
 public:
  Trainer(const TrainConfig& config, Communicator& comm) : c_(config), comm_(comm), root_(comm.rank() == 0) {}
  TrainResult Run();

 private:
  void Setup();
  void Step(int64_t step);
  void Log(int64_t step, bool evaluated);
  // Reads the next batch and stages it for the device, during micro-batch
  // `micro`; returns the seconds spent (counted and traced as data wait).
  double StageNextBatch(int64_t micro);
  void SaveCheckpoint(int64_t steps_done);
  void WriteModel(const SplitMetrics& test);

  const TrainConfig& c_;
  Communicator& comm_;
  const bool root_;
  ReaderOptions ro_;
  std::unique_ptr<ShardedReader> reader_, val_reader_;
  Task task_ = Task::kClassification;
  int64_t steps_per_epoch_ = 0, total_steps_ = 0, eval_every_ = 0;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Optimizer> optimizer_;
  LrSchedule schedule_;
  std::unique_ptr<GradientBuckets> buckets_;
  std::unique_ptr<MetricsLog> metrics_;
  std::unique_ptr<CheckpointDir> checkpoints_;
  std::unique_ptr<RankWatchdog> watchdog_;
  StepTrace trace_;  // enabled by --trace
  int64_t check_every_ = 0;
  std::unique_ptr<BatchStager> stager_;  // the batch in use and the next one
  Tensor dout_, step_sums_;
  Tensor device_scalars_, host_scalars_;  // DeviceScalar values; host_scalars_ is the host copy on a GPU
  Tensor loss_sum_, correct_count_, grad_squared_norm_;  // 1-element views of device_scalars_
  TrainProgress progress_;
  TrainResult result_;
  Clock::time_point start_, interval_start_, last_save_;
  double elapsed_before_ = 0;  // wall time of the run before its last resume
  double last_lr_ = 0;
};

void Trainer::Setup() {
  c_.Validate(comm_.size());
  ro_ = TrainReaderOptions(c_);
  reader_.reset(new ShardedReader(c_.data, ro_, comm_.rank(), comm_.size()));
  const DatasetFile& dataset = reader_->dataset();
  const DatasetSchema& schema = dataset.schema();
  task_ = schema.task;
  if (dataset.HasSplit("val")) {
    val_reader_.reset(new ShardedReader(c_.data, HeldOutReaderOptions(ro_, "val", c_.eval_batch_size), comm_.rank(),
                                        comm_.size()));
  }
  steps_per_epoch_ = reader_->batches_per_epoch() / c_.micro_batches;
  if (steps_per_epoch_ < 1) ThrowUsage("the train split is smaller than one global batch; lower --batch-size");
  total_steps_ = c_.steps > 0 ? c_.steps : c_.epochs * steps_per_epoch_;
  eval_every_ = c_.eval_every > 0 ? c_.eval_every : steps_per_epoch_;

  // The model, identical on every rank: built from the seed, then rank 0's
  // copy broadcast; or every rank loads the same checkpoint.
  const int64_t outputs = task_ == Task::kClassification ? schema.num_classes() : 1;
  model_ = Model::Build(c_.model_spec, schema.sample_shape, outputs, c_.device);
  model_->Initialize(c_.seed);
  if (task_ == Task::kRegression) model_->set_output_transform(RegressionOutputTransform(dataset.ReadStats()));
  comm_.Broadcast(model_->params(), 0);
  optimizer_ = Optimizer::Create(c_.optimizer, *model_);
  schedule_ = c_.schedule;
  schedule_.total_steps = total_steps_;
  buckets_.reset(new GradientBuckets(&comm_, model_->grads(), c_.bucket_bytes));
  stager_.reset(new BatchStager(c_.device, task_));
  checkpoints_.reset(new CheckpointDir(c_.run_dir));
  if (c_.resume) {
    CheckResumeCompatible(*c_.resume, c_, dataset.fingerprint());
    progress_ = RestoreCheckpoint(*c_.resume, *model_, *optimizer_);
    reader_->Seek(progress_.cursor);
    elapsed_before_ = progress_.elapsed_s;
    result_.resumed_from = progress_.step;
    result_.final_loss = progress_.last_logged_loss;
    CheckReplicasAgree(comm_, model_->params(), progress_.step);
  }
  if (root_) {
    MakeDirectories(c_.run_dir);
    nlohmann::json effective = c_.effective_config;
    effective["total_steps"] = total_steps_;
    effective["steps_per_epoch"] = steps_per_epoch_;
    effective["world_size"] = comm_.size();
    WriteFileAtomic(c_.run_dir + "/config.json", effective.dump(2) + "\n");
    if (c_.resume) {
      TruncateMetricsLog(c_.run_dir + "/metrics.jsonl", progress_.step);
    } else {
      RemoveFileIfExists(c_.run_dir + "/metrics.jsonl");  // a run killed before its first checkpoint
    }
    LogInfo("model '%s' on %d rank(s) (%s, %s, %s), global batch %lld (%lld per rank), %lld steps (%lld per epoch)\n%s",
            c_.model_spec.c_str(), comm_.size(), DeviceName(c_.device), PrecisionName(c_.precision),
            comm_.backend().c_str(),
            static_cast<long long>(c_.batch_size),
            static_cast<long long>(reader_->local_batch_rows() * c_.micro_batches),
            static_cast<long long>(total_steps_), static_cast<long long>(steps_per_epoch_), model_->Summary().c_str());
    if (c_.resume) {
      LogInfo("resuming from %s: step %lld, epoch %lld, sample position %lld (saved on %lld rank(s))",
              c_.resume_path.c_str(), static_cast<long long>(progress_.step),
              static_cast<long long>(progress_.cursor.epoch), static_cast<long long>(progress_.cursor.position),
              static_cast<long long>(c_.resume->meta.value("world_size", int64_t{0})));
    }
  }
  check_every_ = c_.check_every;
  const bool skips = c_.gradient_sync == GradientSync::kOff || c_.gradient_sync == GradientSync::kCycle;
  if (skips && comm_.size() > 1) {
    check_every_ = 0;  // the replicas diverge by design
    if (root_) {
      LogWarn("--comm %s: gradients are not all-reduced (in every step, or every third), so each of the %d ranks "
              "trains its own model and the results are wrong; use it only to time steps (benchmarks)",
              GradientSyncName(c_.gradient_sync), comm_.size());
    }
  }
  metrics_.reset(new MetricsLog(c_.run_dir + "/metrics.jsonl", root_));
  step_sums_ = Tensor::Zeros({kNumStepSums});
  device_scalars_ = Tensor::Zeros({kNumDeviceScalars}, DType::kF64, c_.device);
  host_scalars_ = c_.device == DeviceType::kCpu ? device_scalars_ : Tensor::Zeros({kNumDeviceScalars}, DType::kF64);
  loss_sum_ = device_scalars_.View(kLossSum, {1});
  correct_count_ = device_scalars_.View(kCorrectCount, {1});
  grad_squared_norm_ = device_scalars_.View(kGradSquaredNorm, {1});
  watchdog_.reset(new RankWatchdog(c_.run_dir + "/heartbeats", comm_.rank(), comm_.size(), c_.comm_timeout));
}

void Trainer::Step(int64_t step) {
  IntervalSums& iv = progress_.interval;
  // The mean over the global batch; a regression's squared error in the
  // standardised target's units (the loss values stay in the target's units).
  const double target_scale = model_->output_transform().scale;
  const float grad_scale = static_cast<float>(1.0 / (static_cast<double>(c_.batch_size) * target_scale * target_scale));
  int64_t samples = 0;
  const GradientSync mode = GradientSyncAt(c_.gradient_sync, step);
  const bool sync = mode != GradientSync::kOff;
  const bool overlap = mode == GradientSync::kOverlap;
  trace_.SetStep(step);
  auto t0 = Clock::now();
  for (int64_t micro = 0; micro < c_.micro_batches; ++micro) {
    // The batch was staged during the previous forward pass (the first one
    // of a run is staged here): on a GPU its copy has run meanwhile.
    if (stager_->staged() == 0) StageNextBatch(micro);
    const BatchStager::Staged& batch = stager_->Front();
    const BatchTensors& bt = batch.tensors;
    auto tf = Clock::now();
    PassContext ctx;
    ctx.seed = c_.seed;
    ctx.step = step;
    ctx.sample_ids = bt.sample_ids;
    ctx.accumulate = micro > 0;
    ctx.gemm_dtype = c_.precision;
    Tensor out = model_->Forward(bt.features, ctx);
    // The forward kernels are queued: stage the next batch while they run
    // (traced as a data wait inside the forward pass).
    const double staging = StageNextBatch(micro);
    if (!dout_.defined() || dout_.shape() != out.shape()) dout_ = Tensor::Empty(out.shape(), DType::kF32, out.device());
    // Into device scalars: queued, not waited for (read after the optimizer).
    if (task_ == Task::kClassification) {
      ops::CountCorrectInto(out, bt.labels, bt.valid, correct_count_, micro > 0);
      ops::SoftmaxCrossEntropyInto(out, bt.labels, bt.valid, grad_scale, dout_, loss_sum_, micro > 0);
    } else {
      ops::MeanSquaredErrorInto(out, bt.labels, bt.valid, grad_scale, dout_, loss_sum_, micro > 0);
    }
    samples += batch.rows;
    auto tb = Clock::now();
    iv.forward += Seconds(tf, tb) - staging;
    trace_.Add(StepTrace::kForward, tf, tb, micro);
    const bool last = micro + 1 == c_.micro_batches;
    if (last && sync) buckets_->BeginStep();
    model_->Backward(dout_, ctx, [&](int64_t offset, int64_t count) {
      if (last && overlap) buckets_->MarkReady(offset, count);
    });
    auto te = Clock::now();
    iv.backward += Seconds(tb, te);
    trace_.Add(StepTrace::kBackward, tb, te, micro);
    if (last) progress_.cursor = batch.next;  // the staged batch after it is read again on resume
    stager_->Pop();
  }
  auto tc = Clock::now();
  if (sync) buckets_->Finish();  // starts the buckets not started yet, waits for all
  auto to = Clock::now();
  iv.comm += Seconds(tc, to);
  if (sync) trace_.AddAllReduce(*buckets_, tc, to);

  ops::SquaredNormInto(model_->grads(), grad_squared_norm_);
  if (c_.clip_norm > 0) ops::ClipToNorm(model_->grads(), grad_squared_norm_, c_.clip_norm);
  last_lr_ = schedule_.At(step);
  optimizer_->Step(*model_, last_lr_);
  // The step's one wait for the device: its loss, correct count and norm.
  if (host_scalars_.raw() != device_scalars_.raw()) host_scalars_.CopyFrom(device_scalars_);
  const double* scalars = host_scalars_.data<double>();
  const double grad_norm = std::sqrt(scalars[kGradSquaredNorm]);
  auto ts = Clock::now();
  iv.optimizer += Seconds(to, ts);
  trace_.Add(StepTrace::kOptimizer, to, ts);

  // One small all-reduce per step: the loss (and so the NaN check), and the
  // decisions every rank must take together: save now (rank 0's clock),
  // stop now (a signal reached any rank).
  float* sums = step_sums_.data<float>();
  sums[kLoss] = static_cast<float>(scalars[kLossSum]);
  sums[kCorrect] = static_cast<float>(scalars[kCorrectCount]);
  sums[kSamples] = static_cast<float>(samples);
  sums[kSaveFlag] = root_ && c_.checkpoint_seconds > 0 && Seconds(last_save_, Clock::now()) >= c_.checkpoint_seconds;
  sums[kStopFlag] = StopSignalReceived() != 0;
  comm_.AllReduce(step_sums_, ReduceOp::kSum);
  trace_.Add(StepTrace::kStepSums, ts, Clock::now());
  const double step_loss = sums[kLoss] / std::max(1.0f, sums[kSamples]);
  if (!std::isfinite(step_loss) || !std::isfinite(grad_norm)) {
    throw Error(ErrorKind::kData,
                Format("the loss became %s at step %lld (learning rate %g); lower --lr, add --clip-norm, or check "
                       "the data for extreme values",
                       std::isnan(step_loss) || std::isnan(grad_norm) ? "NaN" : "infinite",
                       static_cast<long long>(step + 1), last_lr_),
                /*collective=*/true);
  }
  iv.loss += sums[kLoss];
  iv.correct += static_cast<int64_t>(sums[kCorrect]);
  iv.samples += static_cast<int64_t>(sums[kSamples]);
  iv.grad_norm += grad_norm;
  iv.steps += 1;
  const auto end = Clock::now();
  iv.wall += Seconds(t0, end);
  trace_.Add(StepTrace::kStep, t0, end, static_cast<int64_t>(mode));
  progress_.step = step + 1;
}

double Trainer::StageNextBatch(int64_t micro) {
  auto t0 = Clock::now();
  Batch b = reader_->Next();
  stager_->Push(b);
  reader_->Recycle(std::move(b));
  auto t1 = Clock::now();
  progress_.interval.data += Seconds(t0, t1);
  trace_.Add(StepTrace::kDataWait, t0, t1, micro);
  return Seconds(t0, t1);
}

void Trainer::Log(int64_t step, bool evaluated) {
  IntervalSums& iv = progress_.interval;
  const double elapsed = elapsed_before_ + Seconds(start_, Clock::now());
  const double interval = Seconds(interval_start_, Clock::now());
  const double per_step = iv.steps ? 1000.0 / iv.steps : 0;
  nlohmann::json rec;
  rec["step"] = step + 1;
  rec["epoch"] = step / steps_per_epoch_;
  rec["loss"] = iv.samples ? iv.loss / iv.samples : 0.0;
  if (task_ == Task::kClassification) rec["train_accuracy"] = iv.samples ? double(iv.correct) / iv.samples : 0.0;
  rec["lr"] = last_lr_;
  rec["grad_norm"] = iv.steps ? iv.grad_norm / iv.steps : 0.0;
  rec["samples_per_s"] = interval > 0 ? iv.samples / interval : 0.0;
  rec["step_ms"] = iv.wall * per_step;
  rec["data_wait_ms"] = iv.data * per_step;
  rec["forward_ms"] = iv.forward * per_step;
  rec["backward_ms"] = iv.backward * per_step;
  rec["comm_ms"] = iv.comm * per_step;
  rec["optimizer_ms"] = iv.optimizer * per_step;
  const SplitMetrics& val = progress_.val;
  if (evaluated) {
    rec["val_loss"] = val.loss;
    if (task_ == Task::kClassification) rec["val_accuracy"] = val.accuracy;
  }
  rec["elapsed_s"] = elapsed;
  metrics_->Append(rec);
  if (root_) {
    const double done = std::max<int64_t>(1, step + 1 - (result_.resumed_from > 0 ? result_.resumed_from : 0));
    const double eta = Seconds(start_, Clock::now()) / done * (total_steps_ - step - 1);
    std::string val_text = evaluated ? (task_ == Task::kClassification ? Format(" val_acc %.4f", val.accuracy)
                                                                        : Format(" val_loss %.4g", val.loss))
                                     : "";
    LogInfo("step %lld/%lld epoch %lld loss %.4f%s lr %.4g %.0f samples/s ETA %s", static_cast<long long>(step + 1),
            static_cast<long long>(total_steps_), static_cast<long long>(step / steps_per_epoch_),
            rec["loss"].get<double>(), val_text.c_str(), last_lr_, rec["samples_per_s"].get<double>(),
            Duration(eta).c_str());
  }
  result_.final_loss = progress_.last_logged_loss = rec["loss"];
  result_.samples_per_s = rec["samples_per_s"];
  iv = IntervalSums();
  interval_start_ = Clock::now();
}

void Trainer::SaveCheckpoint(int64_t steps_done) {
  StepTrace::Span span(&trace_, StepTrace::kCheckpoint);
  progress_.elapsed_s = elapsed_before_ + Seconds(start_, Clock::now());
  Checkpoint ck = MakeCheckpoint(c_, *model_, *optimizer_, progress_, reader_->dataset().fingerprint(), comm_.size());
  ck.step = steps_done;
  if (root_) {
    auto t0 = Clock::now();
    result_.last_checkpoint = checkpoints_->Save(ck, c_.retention);
    LogInfo("checkpoint %s (step %lld, %.2f s)", result_.last_checkpoint.c_str(), static_cast<long long>(steps_done),
            Seconds(t0, Clock::now()));
  }
  last_save_ = Clock::now();
}

void Trainer::WriteModel(const SplitMetrics& test) {
  const DatasetFile& dataset = reader_->dataset();
  ModelMetadata meta;
  meta.schema = dataset.schema();
  meta.normalization = NormalizationName(reader_->normalization());
  meta.norm_offset = reader_->normalization_offset();
  meta.norm_scale = reader_->normalization_scale();
  meta.reference_stats = dataset.ReadStats();
  meta.dataset_fingerprint = dataset.fingerprint();
  meta.lineage = c_.lineage;
  meta.lineage["config"] = c_.effective_config;
  meta.lineage["dataset_path"] = AbsolutePath(c_.data);
  meta.lineage["dataset_fingerprint"] = dataset.fingerprint();
  meta.lineage["steps"] = total_steps_;
  meta.lineage["final_train_loss"] = result_.final_loss;
  if (val_reader_) {
    meta.lineage["val_loss"] = progress_.val.loss;
    if (task_ == Task::kClassification) meta.lineage["val_accuracy"] = progress_.val.accuracy;
  }
  if (test.samples > 0) {
    meta.lineage["test_loss"] = test.loss;
    if (task_ == Task::kClassification) meta.lineage["test_accuracy"] = test.accuracy;
  }
  meta.lineage["train_seconds"] = elapsed_before_ + Seconds(start_, Clock::now());
  result_.model_path = c_.run_dir + "/model.h5";
  result_.params_sha256 = ParamsSha256(*model_);
  if (root_) WriteModelFile(result_.model_path, *model_, meta);
}

TrainResult Trainer::Run() {
  InstallStopSignalHandlers();
  Setup();
  if (!c_.trace_path.empty()) trace_ = StepTrace(&comm_, c_.trace_path, progress_.step, c_.trace_steps);
  start_ = interval_start_ = last_save_ = Clock::now();
  for (int64_t step = progress_.step; step < total_steps_; ++step) {
    watchdog_->Enter(step);
    Step(step);
    const bool last_step = step + 1 == total_steps_;
    if (check_every_ > 0 && (step + 1) % check_every_ == 0) {
      StepTrace::Span span(&trace_, StepTrace::kReplicaCheck);
      CheckReplicasAgree(comm_, model_->params(), step + 1);
    }
    bool evaluated = false;
    if (val_reader_ && ((step + 1) % eval_every_ == 0 || last_step)) {
      StepTrace::Span span(&trace_, StepTrace::kValidation);
      progress_.val = EvaluateSplit(*model_, *val_reader_, comm_, task_, c_.precision);
      evaluated = true;
    }
    if ((step + 1) % c_.log_every == 0 || last_step || evaluated) Log(step, evaluated);
    const float* sums = step_sums_.data<float>();
    const bool stop = sums[kStopFlag] > 0;
    if (last_step || stop || sums[kSaveFlag] > 0 || (c_.checkpoint_every > 0 && (step + 1) % c_.checkpoint_every == 0)) {
      SaveCheckpoint(step + 1);
    }
    watchdog_->Leave();
    if (stop && !last_step) {
      result_.stop_signal = StopSignalReceived() ? StopSignalReceived() : -1;
      result_.steps = step + 1;
      trace_.WriteMerged();
      comm_.Barrier();
      return result_;
    }
  }
  result_.steps = total_steps_;
  result_.val_loss = progress_.val.loss;
  result_.val_accuracy = progress_.val.accuracy;
  // A last look at the held-out test split, when the dataset has one (the
  // full report with per-class metrics is `aif evaluate`).
  SplitMetrics test;
  if (reader_->dataset().HasSplit("test")) {
    ShardedReader test_reader(c_.data, HeldOutReaderOptions(ro_, "test", c_.eval_batch_size), comm_.rank(),
                              comm_.size());
    {
      StepTrace::Span span(&trace_, StepTrace::kTestEvaluation);
      test = EvaluateSplit(*model_, test_reader, comm_, task_, c_.precision);
    }
    result_.test_loss = test.loss;
    result_.test_accuracy = test.accuracy;
    nlohmann::json rec = {{"step", total_steps_}, {"final", true}, {"test_loss", test.loss},
                          {"elapsed_s", elapsed_before_ + Seconds(start_, Clock::now())}};
    if (task_ == Task::kClassification) rec["test_accuracy"] = test.accuracy;
    metrics_->Append(rec);
  }
  WriteModel(test);
  trace_.WriteMerged();
  comm_.Barrier();
  return result_;
}

}  // namespace

ReaderOptions TrainReaderOptions(const TrainConfig& c) {
  ReaderOptions o;
  o.split = "train";
  o.global_batch = c.batch_size / c.micro_batches;
  o.seed = c.seed;
  o.window_chunks = c.shuffle_window;
  o.remainder = Remainder::kDrop;
  o.normalization = ParseNormalization(c.normalization);
  o.memory_bytes = c.reader_memory;
  return o;
}

void CheckTrainSetup(const TrainConfig& c, const DatasetFile& dataset, int rank, int world_size) {
  c.Validate(world_size);
  const ReaderOptions train = TrainReaderOptions(c);
  ShardedReader::CheckOptions(dataset, train, rank, world_size);
  // One step takes micro_batches batches of batch_size / micro_batches rows.
  const int64_t rows = dataset.split("train").rows;
  if (rows / train.global_batch < c.micro_batches) {
    ThrowUsage("--batch-size %lld exceeds the %lld rows of the train split; use at most %lld",
               static_cast<long long>(c.batch_size), static_cast<long long>(rows),
               static_cast<long long>(rows / c.micro_batches * c.micro_batches));
  }
  if (dataset.HasSplit("val")) {
    ShardedReader::CheckOptions(dataset, HeldOutReaderOptions(train, "val", c.eval_batch_size), rank, world_size);
  }
}

TrainResult Train(const TrainConfig& config, Communicator& comm) {
  Trainer trainer(config, comm);
  return trainer.Run();
}

}  // namespace aif
