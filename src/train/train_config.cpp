// TrainConfig's checks and the --comm names (train_config.h).
#include "train/train_config.h"

#include "core/error.h"

namespace aif {

namespace {
struct SyncName {
  GradientSync sync;
  const char* name;
};
constexpr SyncName kSyncNames[] = {
    {GradientSync::kOverlap, "overlap"}, {GradientSync::kAfterBackward, "after-backward"}, {GradientSync::kOff, "off"},
    {GradientSync::kCycle, "cycle"}};
}  // namespace

GradientSync ParseGradientSync(const std::string& name) {
  for (const SyncName& s : kSyncNames) {
    if (name == s.name) return s.sync;
  }
  ThrowUsage("--comm must be overlap, after-backward, off or cycle, not '%s'", name.c_str());
}

const char* GradientSyncName(GradientSync sync) {
  for (const SyncName& s : kSyncNames) {
    if (sync == s.sync) return s.name;
  }
  return "?";
}

GradientSync GradientSyncAt(GradientSync sync, int64_t step) {
  if (sync != GradientSync::kCycle) return sync;
  static constexpr GradientSync kTurns[] = {GradientSync::kOverlap, GradientSync::kAfterBackward, GradientSync::kOff};
  return kTurns[step % 3];
}

DType ParsePrecision(const std::string& name) {
  if (name == "fp32") return DType::kF32;
  if (name == "bf16") return DType::kBF16;
  ThrowUsage("--precision must be fp32 or bf16, not '%s'", name.c_str());
}

const char* PrecisionName(DType gemm_dtype) { return gemm_dtype == DType::kBF16 ? "bf16" : "fp32"; }

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
  if (checkpoint_every < 0 || checkpoint_seconds < 0) ThrowUsage("--checkpoint-every and --checkpoint-seconds must be >= 0");
  if (comm_timeout < 0) ThrowUsage("--comm-timeout must be >= 0 (0: no watchdog)");
  if (retention.keep_last < 1 || retention.keep_every < 0) ThrowUsage("--keep-last must be >= 1 and --keep-every >= 0");
  if (trace_steps < 0) ThrowUsage("--trace-steps must be >= 0");
  if (shuffle_window < 1) ThrowUsage("--shuffle-window must be at least 1 (chunks shuffled together)");
  ValidateOptimizerConfig(optimizer);
  LrSchedule s = schedule;
  s.Validate();
}

}  // namespace aif
