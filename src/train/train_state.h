// The trainer's state as a checkpoint, and back. Everything that decides
// the rest of a run is saved: parameters, optimizer state and step count,
// the reader's cursor (the global position in the epoch order), the step
// (which keys the schedule and the dropout masks; the RNG is counter-based,
// so it has no other state), the partial sums of the current metrics
// interval and the last validation. Restoring it on the same number of
// ranks continues bit for bit; on another number of ranks it continues the
// same global sample order (elastic resume).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "checkpoint/checkpoint_file.h"
#include "data/sharded_reader.h"
#include "nn/model.h"
#include "train/optimizer.h"
#include "train/train_config.h"
#include "train/validation.h"

namespace aif {

// Sums over the steps of one metrics interval.
struct IntervalSums {
  double data = 0, forward = 0, backward = 0, comm = 0, optimizer = 0, wall = 0;
  double loss = 0, grad_norm = 0;
  int64_t samples = 0, correct = 0, steps = 0;
  nlohmann::json ToJson() const;
  static IntervalSums FromJson(const nlohmann::json& j);
};

struct TrainProgress {
  int64_t step = 0;  // completed optimizer steps
  ReaderCursor cursor;
  IntervalSums interval;
  SplitMetrics val;
  double elapsed_s = 0;
  double last_logged_loss = 0;
};

Checkpoint MakeCheckpoint(const TrainConfig& config, const Model& model, Optimizer& optimizer,
                          const TrainProgress& progress, const std::string& dataset_fingerprint, int world_size);

// Throws kUsage naming what differs when `checkpoint` cannot continue this
// configuration (another model, dataset, batch size, seed or optimizer).
void CheckResumeCompatible(const Checkpoint& checkpoint, const TrainConfig& config,
                           const std::string& dataset_fingerprint);

// The model's output transform a checkpoint recorded (identity for
// checkpoints from before regression targets were standardised).
OutputTransform OutputTransformFromCheckpoint(const Checkpoint& checkpoint);

// Copies parameters, the output transform and optimizer state into place;
// returns the progress.
TrainProgress RestoreCheckpoint(const Checkpoint& checkpoint, Model& model, Optimizer& optimizer);

}  // namespace aif
