// Everything `aif train` needs to run, gathered from options and config
// files by jobs/train.cpp. Validate() checks what can be checked before any
// data is read; the trainer checks the rest against the dataset.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include <memory>

#include "checkpoint/checkpoint_dir.h"
#include "tensor/device.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"

namespace aif {

// How the gradients are summed over the ranks. kOverlap (the default) starts
// each bucket's all-reduce as soon as backward has finished it; the others
// exist for benchmarks (benchmarks/scaling): kAfterBackward starts every
// bucket after backward (the same result, no overlap), kOff skips the
// all-reduce, so with more than one rank each rank trains its own model and
// the results are wrong (measuring step time without communication), and
// kCycle takes overlap, after-backward and off in turn, step by step, so the
// three are timed under the same conditions (results wrong as with kOff).
enum class GradientSync { kOverlap, kAfterBackward, kOff, kCycle };
GradientSync ParseGradientSync(const std::string& name);  // throws kUsage
const char* GradientSyncName(GradientSync sync);
// The mode of one step: kCycle's turn, else `sync` itself.
GradientSync GradientSyncAt(GradientSync sync, int64_t step);

// --precision: "fp32" -> kF32, "bf16" -> kBF16 (PassContext::gemm_dtype).
DType ParsePrecision(const std::string& name);  // throws kUsage
const char* PrecisionName(DType gemm_dtype);

struct TrainConfig {
  DeviceType device = DeviceType::kCpu;  // resolved from --device (train/device_option.h)
  // GEMM operand type of training and validation (--precision): kBF16 is
  // mixed precision with f32 master weights and optimizer state.
  DType precision = DType::kF32;
  std::string data;           // dataset file
  std::string run_dir;        // outputs: config.json, metrics.jsonl, model.h5
  std::string model_spec;     // nn/model_spec.h
  int64_t steps = 0;          // optimizer steps; 0: derived from epochs
  int64_t epochs = 0;         // full passes over train (remainder dropped)
  int64_t batch_size = 128;   // global batch per optimizer step
  int64_t micro_batches = 1;  // gradient accumulation: batch_size / micro_batches per forward
  uint64_t seed = 0;
  OptimizerConfig optimizer;
  LrSchedule schedule;        // base_lr, kind, warmup ...; total_steps set by the trainer
  double clip_norm = 0;       // 0: no clipping
  int64_t eval_every = 0;     // steps between val evaluations; 0: once per epoch
  int64_t eval_batch_size = 1000;
  int64_t log_every = 50;
  int64_t bucket_bytes = int64_t{25} << 20;
  int64_t check_every = 100;  // steps between replica checks; 0: never
  int64_t reader_memory = int64_t{256} << 20;
  int64_t shuffle_window = 16;  // chunks
  std::string normalization = "auto";
  // Checkpoints (RUN/checkpoints/): every N steps and/or every T seconds of
  // wall time, always at the end and on a stop signal.
  int64_t checkpoint_every = 0;
  double checkpoint_seconds = 600;
  RetentionPolicy retention;
  // Seconds one step may wait for the other ranks before the watchdog stops
  // this rank naming the silent ones (train/rank_watchdog.h); 0: never.
  double comm_timeout = 300;
  GradientSync gradient_sync = GradientSync::kOverlap;
  // A Chrome-trace / Perfetto timeline of every rank (train/step_trace.h),
  // written by rank 0 at the end; empty: none. Step events are kept for the
  // first trace_steps steps of this run.
  std::string trace_path;
  int64_t trace_steps = 200;
  // The checkpoint to continue from (chosen and verified by the caller on
  // every rank), or null for a fresh start.
  std::shared_ptr<const Checkpoint> resume;
  std::string resume_path;
  nlohmann::json effective_config = nlohmann::json::object();  // recorded in lineage
  nlohmann::json lineage = nlohmann::json::object();           // job facts (versions, host, ...)

  void Validate(int world_size) const;  // throws kUsage
};

struct TrainResult {
  int64_t steps = 0;
  double final_loss = 0;
  double val_loss = 0, val_accuracy = -1;
  double test_loss = 0, test_accuracy = -1;  // when the dataset has a test split
  double samples_per_s = 0;
  std::string model_path;
  std::string params_sha256;
  int64_t resumed_from = -1;   // the checkpoint's step, when resumed
  int stop_signal = 0;         // non-zero: stopped early on this signal, after a checkpoint
  std::string last_checkpoint;
};

}  // namespace aif
