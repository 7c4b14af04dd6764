// aif train: data-parallel training under mpirun/srun (or one process).
// Options become a TrainConfig; a collective pre-flight checks everything
// that can be checked before training (options, dataset, model spec against
// the data), so a mistake is reported once and no rank starts alone.
#include "comm/communicator.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "data/dataset_file.h"
#include "data/sharded_reader.h"
#include "jobs/job.h"
#include "nn/model.h"
#include "checkpoint/checkpoint_dir.h"
#include "jobs/job_device.h"
#include "train/device_option.h"
#include "train/stop_signal.h"
#include "train/train_state.h"
#include "train/trainer.h"
#if defined(AIF_WITH_CUDA)
#include "comm/nccl_communicator.h"
#endif

namespace aif {

// SGD with momentum at 0.1 diverges on the squared error of wider MLPs even
// with standardised targets (3-256-256-1 on a price table: NaN; 0.01: R2 0.99).
constexpr double kRegressionDefaultLr = 0.01;

int TrainMain(int argc, char** argv, JobContext& ctx) {
  TrainConfig c;
  int64_t seed = 0;
  double lr = 0.1, bucket_mb = 25;
  std::string reader_memory = "256M", resume = "auto", gradient_sync = "overlap", device = "auto";
  std::string precision = "fp32";
  JobOptions options("train", "aif train --data DATASET.h5 --run-dir RUN --model SPEC (--steps N | --epochs N) [options]",
                     "Trains a model data-parallel over the ranks it is launched with (mpirun -np N, or srun\n"
                     "--mpi=pmix). --batch-size is the global batch; each rank takes its share, gradients\n"
                     "are averaged across ranks while backward runs. Writes RUN/config.json,\n"
                     "RUN/metrics.jsonl (one line per log interval), RUN/checkpoints/ and RUN/model.h5.\n"
                     "A run continues from its newest valid checkpoint when started again (--resume auto),\n"
                     "on any number of ranks. SIGTERM, SIGINT or SIGUSR1 make it checkpoint and exit 75.\n\n"
                     "Examples:\n"
                     "  aif train --config jobs/configs/fmnist_mlp.ini --data data/fmnist.h5 --run-dir runs/mlp\n"
                     "  mpirun -np 2 aif train --data data/fmnist.h5 --run-dir runs/x --model 'mlp 784-256-10' --epochs 2\n\n"
                     "Model specs (docs/models.md): 'mlp 784-256-128-10 relu dropout=0.1' or\n"
                     "'conv(32,3,pad=1) relu pool(2) conv(64,3,pad=1) relu pool(2) flatten linear(128) relu linear(10)'.");
  options.AddOptional<std::string>("data", &c.data, "dataset file from 'aif prepare'; required")
      .AddOptional<std::string>("run-dir", &c.run_dir, "output directory of this run; required")
      .AddOptional<std::string>("model", &c.model_spec, "model spec; required")
      .Add<int64_t>("steps", &c.steps, 0, "optimizer steps (or use --epochs)")
      .Add<int64_t>("epochs", &c.epochs, 0, "passes over the train split (or use --steps)")
      .Add<int64_t>("batch-size", &c.batch_size, 128,
                    "global batch size per optimizer step; unless given, at most the train split's rows")
      .Add<int64_t>("micro-batches", &c.micro_batches, 1, "gradient accumulation: forward/backward passes per step")
      .Add<int64_t>("seed", &seed, 0, "seed of initialisation, shuffling and dropout")
      .Add<std::string>("optimizer", &c.optimizer.name, "sgd", "sgd or adamw")
      .Add<double>("lr", &lr, 0.1,
                   "base learning rate; 0.01 unless given for a regression dataset (a squared error's gradient "
                   "is not bounded as cross-entropy's is)")
      .Add<double>("momentum", &c.optimizer.momentum, 0.9, "sgd momentum")
      .AddFlag("nesterov", &c.optimizer.nesterov, "sgd with Nesterov momentum")
      .Add<double>("weight-decay", &c.optimizer.weight_decay, 0.0, "decoupled weight decay (weights only, not biases)")
      .Add<double>("beta1", &c.optimizer.beta1, 0.9, "adamw beta1")
      .Add<double>("beta2", &c.optimizer.beta2, 0.999, "adamw beta2")
      .Add<double>("eps", &c.optimizer.eps, 1e-8, "adamw epsilon")
      .Add<std::string>("schedule", &c.schedule.kind, "constant", "learning-rate schedule: constant, step or cosine")
      .Add<int64_t>("warmup-steps", &c.schedule.warmup_steps, 0, "linear warm-up steps before the schedule")
      .Add<int64_t>("step-size", &c.schedule.step_size, 0, "step schedule: steps between decays")
      .Add<double>("gamma", &c.schedule.gamma, 0.1, "step schedule: decay factor")
      .Add<double>("min-lr", &c.schedule.min_lr, 0.0, "cosine schedule: final learning rate")
      .Add<double>("clip-norm", &c.clip_norm, 0.0, "clip the global gradient norm to this (0: off)")
      .Add<int64_t>("eval-every", &c.eval_every, 0, "steps between validations on the val split (0: every epoch)")
      .Add<int64_t>("eval-batch-size", &c.eval_batch_size, 1000, "global batch size of validation")
      .Add<int64_t>("log-every", &c.log_every, 50, "steps between progress lines and metrics records")
      .Add<double>("bucket-mb", &bucket_mb, 25.0, "gradient all-reduce bucket size in MiB")
      .Add<int64_t>("check-every", &c.check_every, 100, "steps between parameter consistency checks (0: never)")
      .Add<std::string>("reader-memory", &reader_memory, "256M", "memory bound of the data reader per rank")
      .Add<int64_t>("shuffle-window", &c.shuffle_window, 16, "chunks shuffled together (docs/data.md)")
      .Add<std::string>("normalization", &c.normalization, "auto", "auto, scale, standardize or none")
      .Add<int64_t>("checkpoint-every", &c.checkpoint_every, 0, "steps between checkpoints (0: only by time)")
      .Add<double>("checkpoint-seconds", &c.checkpoint_seconds, 600, "seconds between checkpoints (0: only by steps)")
      .Add<int64_t>("keep-last", &c.retention.keep_last, 3, "checkpoints kept (the newest)")
      .Add<int64_t>("keep-every", &c.retention.keep_every, 0, "also keep checkpoints at multiples of this step")
      .Add<double>("comm-timeout", &c.comm_timeout, 300,
                   "seconds a step may wait for other ranks before stopping with the silent ranks named (0: never)")
      .Add<std::string>("resume", &resume, "auto",
                        "auto (continue from RUN's newest valid checkpoint, if any), never, or a checkpoint file")
      .AddOptional<std::string>("trace", &c.trace_path,
                                "write a Chrome-trace/Perfetto timeline of every rank's steps to this JSON file")
      .Add<int64_t>("trace-steps", &c.trace_steps, 200, "steps recorded by --trace, from the first step of the run")
      .Add<std::string>("comm", &gradient_sync, "overlap",
                        "for benchmarks: 'after-backward' starts the gradient all-reduce after backward; 'off' skips "
                        "it (results are wrong with more than one rank); 'cycle' takes the three in turn per step");
  options.Add<std::string>("precision", &precision, "fp32",
                           "fp32, or bf16: mixed precision, the linear layers' GEMMs take bf16 operands and sum in "
                           "fp32 (tensor cores on GPUs; emulated on CPUs), weights and optimizer state stay fp32");
  AddDeviceOption(&options, &device);  // on CUDA, gradients are all-reduced with NCCL
  if (!ParseJobOptions(ctx, &options, argc, argv)) return 0;

  // Pre-flight, on every rank alike: all of these fail the same way everywhere.
  RunCollectively(ctx, [&] {
    if (seed < 0) ThrowUsage("--seed must be >= 0");
    c.seed = static_cast<uint64_t>(seed);
    c.schedule.base_lr = lr;
    c.bucket_bytes = static_cast<int64_t>(bucket_mb * 1048576.0);
    c.gradient_sync = ParseGradientSync(gradient_sync);
    c.precision = ParsePrecision(precision);
    ParseDeviceRequest(device);
    auto bytes = ParseBytes(reader_memory);
    if (!bytes) ThrowUsage("--reader-memory: '%s' is not a size (e.g. 256M, 1G)", reader_memory.c_str());
    c.reader_memory = static_cast<int64_t>(*bytes);
    ParseNormalization(c.normalization);
    c.Validate(ctx.world_size);
    auto dataset = DatasetFile::Open(c.data);
    const DatasetSchema& schema = dataset->schema();
    // A small table (iris: 120 train rows) trains with the default options:
    // the default global batch shrinks to the train split.
    const int64_t train_rows = dataset->HasSplit("train") ? dataset->split("train").rows : 0;
    if (!options.Has("batch-size") && c.micro_batches > 0 && train_rows >= c.micro_batches &&
        train_rows < c.batch_size) {
      c.batch_size = train_rows / c.micro_batches * c.micro_batches;
      if (ctx.is_root()) {
        LogInfo("--batch-size defaults to %lld, the train split's rows (fewer than 128)",
                static_cast<long long>(c.batch_size));
      }
    }
    if (schema.task == Task::kRegression && !options.Has("lr")) {
      lr = c.schedule.base_lr = kRegressionDefaultLr;  // the trainer validates the schedule again
    }
    Model::Build(c.model_spec, schema.sample_shape,
                 schema.task == Task::kClassification ? schema.num_classes() : 1);
    CheckTrainSetup(c, *dataset, ctx.rank, ctx.world_size);
    // Which checkpoint to continue from: every rank reads and verifies the
    // same files, so they agree (and a damaged newest one is skipped alike).
    CheckpointDir checkpoints(c.run_dir);
    if (resume == "never") {
      if (!checkpoints.Empty() || PathExists(c.run_dir + "/model.h5")) {
        ThrowUsage("'%s' already holds a run and --resume is never; choose a new --run-dir", c.run_dir.c_str());
      }
    } else if (resume == "auto") {
      auto ck = checkpoints.LoadNewestValid(&c.resume_path);
      if (ck) c.resume = std::make_shared<const Checkpoint>(std::move(*ck));
    } else {
      c.resume = std::make_shared<const Checkpoint>(ReadCheckpointFile(resume));
      c.resume_path = resume;
    }
    if (c.resume) CheckResumeCompatible(*c.resume, c, dataset->fingerprint());
  });
  c.effective_config = options.EffectiveConfig();
  c.lineage = JobLineage(ctx, options);

  std::unique_ptr<Communicator> comm = ctx.mpi ? MakeMpiCommunicator() : MakeLocalCommunicator();
  c.device = SetUpJobDevice(ctx, *comm, device);
  if (c.device == DeviceType::kCuda) {
#if defined(AIF_WITH_CUDA)
    comm = MakeNcclCommunicator(std::move(comm), NcclOptions{c.comm_timeout});  // its watchdog: --comm-timeout
#endif
  }
  TrainResult r = Train(c, *comm);
  if (r.stop_signal != 0) {
    if (ctx.is_root()) {
      LogInfo("stopped cleanly on %s after step %lld; checkpoint %s. Run the same command again to resume (exit "
              "code %d)",
              SignalName(r.stop_signal), static_cast<long long>(r.steps), r.last_checkpoint.c_str(),
              kExitStoppedCleanly);
    }
    return kExitStoppedCleanly;
  }
  if (ctx.is_root()) {
    std::string val = r.val_accuracy >= 0 ? Format(", val accuracy %.4f", r.val_accuracy) : "";
    if (r.test_accuracy >= 0) val += Format(", test accuracy %.4f", r.test_accuracy);
    LogInfo("done: %lld steps, final loss %.4f%s; model %s (params_sha256 %.16s)", static_cast<long long>(r.steps),
            r.final_loss, val.c_str(), r.model_path.c_str(), r.params_sha256.c_str());
  }
  return 0;
}

}  // namespace aif
