// Evaluates a model file (or a checkpoint, on the dataset it was trained on)
// on one split of a dataset, sharded over the job's ranks. Collective: every
// rank calls it and every rank gets the same report (format "aif.report",
// docs/formats.md) except "lineage", which the caller adds. Errors (missing
// split, schema mismatch) are collective. `device_request` is --device
// (jobs/job_device.h); "cpu" skips the device set-up.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "jobs/job.h"

namespace aif {

// A CSV `data_path` (*.csv) is read whole with the model's features and the
// labels of `label_column` (default: the model's label name); `split` then
// only names it in the report, whose dataset carries the file's SHA-256 as
// its fingerprint and the label column, so promote can evaluate a champion
// on the same file.
nlohmann::json EvaluateModel(const JobContext& ctx, const std::string& model_path, const std::string& data_path,
                             const std::string& split, int64_t batch_size, const std::string& device_request = "cpu",
                             const std::string& label_column = "");

}  // namespace aif
