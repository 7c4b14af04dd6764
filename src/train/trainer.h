// The training loop of `aif train`: data-parallel SGD/AdamW over the ranks
// of a Communicator. Each rank reads its share of every global batch (the
// sharded reader), runs forward and backward, and its gradients are summed
// across ranks in buckets that start while backward continues. The loss is
// scaled by 1 / (global batch), so the summed gradient is the mean over the
// global batch and P ranks follow the trajectory of one (DESIGN.md, promise 3).
//
// Outputs in the run directory (rank 0): config.json (the effective
// configuration), metrics.jsonl (one line per log interval), model.h5; with
// config.trace_path, the merged timeline of every rank (train/step_trace.h).
#pragma once

#include "comm/communicator.h"
#include "data/dataset_file.h"
#include "data/sharded_reader.h"
#include "train/train_config.h"

namespace aif {

// The train split's reader options of a run (the val split's derive from
// them with HeldOutReaderOptions).
ReaderOptions TrainReaderOptions(const TrainConfig& config);

// Every check of `config` against `dataset` that Train makes before its
// first collective (readers, batch against split sizes, optimizer), without
// starting anything: kUsage, the same on every rank, so a job can raise it
// collectively (one line, not one per rank).
void CheckTrainSetup(const TrainConfig& config, const DatasetFile& dataset, int rank, int world_size);

// Throws kUsage for configurations that do not fit the data, kData when the
// loss becomes NaN or Inf (naming the step), kComm when replicas diverge.
// Errors decided from all-reduced or replicated values are collective.
TrainResult Train(const TrainConfig& config, Communicator& comm);

}  // namespace aif
