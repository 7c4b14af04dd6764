// Evaluation shared by `aif evaluate` and `aif promote` (which evaluates the
// champion again when its stored report is on other data), on a dataset
// split or on a CSV file with labels.
#include "jobs/model_evaluation.h"

#include <chrono>

#include "checkpoint/checkpoint_file.h"
#include "comm/communicator.h"
#include "core/fs.h"
#include "core/hdf5_io.h"
#include "core/log.h"
#include "core/sha256.h"
#include "core/strings.h"
#include "data/csv_labels.h"
#include "data/csv_table.h"
#include "data/dataset_file.h"
#include "data/sharded_reader.h"
#include "eval/metrics.h"
#include "eval/report_writer.h"
#include "jobs/job_device.h"
#include "nn/model_file.h"
#include "train/batch_tensors.h"
#include "train/train_state.h"

namespace aif {
namespace {

// The model to evaluate: a model file, or a checkpoint rebuilt against the
// dataset it was trained on (normalised as training did, from that dataset).
LoadedModel LoadForEvaluation(const std::string& path, const DatasetFile& dataset) {
  const std::string format = ReadAifFormatName(path);
  if (format == kModelFormatName) return ReadModelFile(path);
  if (format != kCheckpointFormatName) {
    ThrowData("'%s' is neither an aif model nor a checkpoint (format '%s')", path.c_str(), format.c_str());
  }
  Checkpoint ck = ReadCheckpointFile(path);
  if (ck.meta.value("dataset_fingerprint", "") != dataset.fingerprint()) {
    ThrowData("checkpoint '%s' was trained on another dataset; evaluate a checkpoint on its own dataset, or a "
              "model file on any dataset with the same schema",
              path.c_str());
  }
  const DatasetSchema& schema = dataset.schema();
  LoadedModel out;
  out.model = Model::Build(ck.meta.value("model_spec", ""), schema.sample_shape,
                           schema.task == Task::kClassification ? schema.num_classes() : 1);
  for (const auto& [name, t] : ck.tensors) {
    if (name == "params") out.model->params().CopyFrom(t.Reshaped(out.model->params().shape()));
  }
  out.model->set_output_transform(OutputTransformFromCheckpoint(ck));
  out.params_sha256 = ParamsSha256(*out.model);
  out.meta.schema = schema;
  out.meta.normalization = ck.meta["config"].value("normalization", "auto");
  out.meta.dataset_fingerprint = dataset.fingerprint();
  out.meta.lineage = ck.meta.value("lineage", nlohmann::json::object());
  return out;
}

// What every evaluation does with a source of batches: forward passes,
// metrics reduced over the ranks, and the report without "dataset".
template <typename NextBatch>
nlohmann::json Evaluate(const JobContext& ctx, LoadedModel& loaded, const std::string& model_path,
                        const std::string& split, const std::string& device_request, int64_t batches,
                        NextBatch next_batch) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Communicator> comm = ctx.mpi ? MakeMpiCommunicator() : MakeLocalCommunicator();
  if (device_request != "cpu") {
    const DeviceType device = SetUpJobDevice(ctx, *comm, device_request);
    if (device != DeviceType::kCpu) loaded.model = loaded.model->CopyTo(device);
  }
  const DatasetSchema& schema = loaded.meta.schema;
  const Task task = schema.task;
  ClassificationMetrics cls(schema.class_names);
  RegressionMetrics reg;
  BatchTensors t;
  PassContext pass;
  pass.training = false;
  for (int64_t s = 0; s < batches; ++s) {
    next_batch([&](const Batch& b) { t.Load(b, task); });
    Tensor out = loaded.model->ForwardToHost(t.features, pass);
    if (task == Task::kClassification) cls.Add(out, t.labels, t.valid);
    else reg.Add(out, t.labels, t.valid);
  }
  if (task == Task::kClassification) cls.Reduce(*comm);
  else reg.Reduce(*comm);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  nlohmann::json report = task == Task::kClassification ? cls.ToJson() : reg.ToJson();
  report["format"] = kReportFormatName;
  report["format_version"] = kReportFormatVersion;
  report["task"] = TaskName(task);
  report["split"] = split;
  report["model"] = {{"path", AbsolutePath(model_path)},
                     {"spec", loaded.model->spec()},
                     {"params_sha256", loaded.params_sha256},
                     {"trained_on", loaded.meta.dataset_fingerprint},
                     {"training", loaded.meta.lineage}};
  const int64_t n = report["samples"];
  report["timing"] = {{"seconds", seconds}, {"samples_per_s", seconds > 0 ? n / seconds : 0.0}};
  report["created_utc"] = NowUtcIso8601();
  return report;
}

// A CSV file with labels: every row, split into contiguous ranges over the
// ranks, read with the model's features (categories included) and
// normalised with the model's constants. The file's SHA-256 is its
// fingerprint, and --split only names the rows in the report.
nlohmann::json EvaluateCsv(const JobContext& ctx, const std::string& model_path, const std::string& data_path,
                           const std::string& split, int64_t batch_size, const std::string& device_request,
                           const std::string& label_column) {
  LoadedModel loaded;
  CsvColumns table;
  CsvLabels labels;
  std::string fingerprint, label;
  RunCollectively(ctx, [&] {
    if (batch_size < 1) ThrowUsage("--batch-size must be >= 1");
    if (ReadAifFormatName(model_path) != kModelFormatName) {
      ThrowUsage("'%s' is not a model file; a checkpoint is evaluated on the dataset it was trained on, a model "
                 "(RUN/model.h5) on a CSV",
                 model_path.c_str());
    }
    loaded = ReadModelFile(model_path);
    if (loaded.meta.norm_offset.empty()) ThrowData("'%s' has no normalisation constants", model_path.c_str());
    const DatasetSchema& schema = loaded.meta.schema;
    label = label_column.empty() ? schema.label_name : label_column;
    // Features and labels in one pass over the file.
    CsvTextColumn label_text{label, "--label-column", {}, /*optional=*/true};
    if (label_column.empty()) label_text.fallbacks = {"label"};  // Kaggle-style files
    CsvColumnsOptions read_options = ModelCsvOptions(schema);
    read_options.text = &label_text;
    read_options.text_required = true;
    table = ReadCsvColumns(data_path, CsvInputColumns(schema), read_options);
    if (!label_text.present) {
      ThrowData("%s: no label column '%s'%s; evaluation needs labels (name the column with --label-column)",
                data_path.c_str(), label.c_str(), label_column.empty() ? " or 'label'" : "");
    }
    label = label_text.name;  // 'label' where the model's label name was not found
    if (table.rows == 0) ThrowData("%s: the file has a header but no data rows", data_path.c_str());
    labels = CsvLabelsFromText(data_path, label_text, table.line_numbers, schema, "the model");
    fingerprint = Sha256File(data_path);
  });
  if (ctx.is_root()) {
    for (const std::string& line : CsvReadNotes(data_path, table)) LogWarn("%s", line.c_str());
  }
  const DatasetSchema& schema = loaded.meta.schema;
  const bool cls = schema.task == Task::kClassification;
  const int64_t F = schema.num_features();
  const int64_t begin = table.rows * ctx.rank / ctx.world_size, end = table.rows * (ctx.rank + 1) / ctx.world_size;
  const int64_t batches = (end - begin + batch_size - 1) / batch_size;
  int64_t at = begin;
  Batch b;
  nlohmann::json report = Evaluate(ctx, loaded, model_path, split, device_request, batches, [&](auto&& load) {
    b.rows = std::min(batch_size, end - at);
    b.num_features = F;
    b.features.resize(b.rows * F);
    for (int64_t r = 0; r < b.rows; ++r) {
      for (int64_t f = 0; f < F; ++f) {
        b.features[r * F + f] = (table.values[(at + r) * F + f] - loaded.meta.norm_offset[f]) * loaded.meta.norm_scale[f];
      }
    }
    if (cls) b.class_labels.assign(labels.classes.begin() + at, labels.classes.begin() + at + b.rows);
    else b.targets.assign(labels.targets.begin() + at, labels.targets.begin() + at + b.rows);
    b.valid.assign(b.rows, 1);
    b.sample_ids.resize(b.rows);
    for (int64_t r = 0; r < b.rows; ++r) b.sample_ids[r] = at + r;
    at += b.rows;
    load(b);
  });
  report["dataset"] = {{"path", AbsolutePath(data_path)},
                       {"format", "csv"},
                       {"fingerprint", fingerprint},
                       {"label_column", label},
                       {"created_utc", FileModifiedUtc(data_path)}};
  return report;
}

}  // namespace

nlohmann::json EvaluateModel(const JobContext& ctx, const std::string& model_path, const std::string& data_path,
                             const std::string& split, int64_t batch_size, const std::string& device_request,
                             const std::string& label_column) {
  if (EndsWith(data_path, ".csv")) {
    return EvaluateCsv(ctx, model_path, data_path, split, batch_size, device_request, label_column);
  }
  std::unique_ptr<DatasetFile> dataset;
  LoadedModel loaded;
  RunCollectively(ctx, [&] {
    if (!label_column.empty()) ThrowUsage("--label-column applies to CSV data; a dataset's labels are its own");
    if (batch_size < ctx.world_size) ThrowUsage("--batch-size must be at least the number of ranks");
    dataset = DatasetFile::Open(data_path);
    dataset->split(split);  // a usage error listing the splits when absent
    loaded = LoadForEvaluation(model_path, *dataset);
    CheckFeaturesMatch(loaded.meta.schema, dataset->schema(), data_path);
    CheckLabelsMatch(loaded.meta.schema, dataset->schema(), data_path);
  });

  ReaderOptions ro = HeldOutReaderOptions(ReaderOptions(), split, batch_size);
  if (!loaded.meta.norm_offset.empty()) {
    ro.norm_offset = loaded.meta.norm_offset;
    ro.norm_scale = loaded.meta.norm_scale;
  } else {
    ro.normalization = ParseNormalization(loaded.meta.normalization);
  }
  ShardedReader reader(data_path, ro, ctx.rank, ctx.world_size);
  nlohmann::json report =
      Evaluate(ctx, loaded, model_path, split, device_request, reader.batches_per_epoch(), [&](auto&& load) {
        Batch b = reader.Next();
        load(b);
        reader.Recycle(std::move(b));
      });
  report["dataset"] = {{"path", AbsolutePath(data_path)},
                       {"fingerprint", dataset->fingerprint()},
                       {"created_utc", dataset->ReadLineage().value("created_utc", "")}};
  return report;
}

}  // namespace aif
