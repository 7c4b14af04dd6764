// Evaluation shared by `aif evaluate` and `aif promote` (which evaluates the
// champion again when its stored report is on other data).
#include "jobs/model_evaluation.h"

#include <chrono>

#include "checkpoint/checkpoint_file.h"
#include "comm/communicator.h"
#include "core/fs.h"
#include "core/hdf5_io.h"
#include "core/strings.h"
#include "data/dataset_file.h"
#include "data/sharded_reader.h"
#include "eval/metrics.h"
#include "eval/report_writer.h"
#include "jobs/job_device.h"
#include "nn/model_file.h"
#include "train/batch_tensors.h"

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
  out.params_sha256 = ParamsSha256(*out.model);
  out.meta.schema = schema;
  out.meta.normalization = ck.meta["config"].value("normalization", "auto");
  out.meta.dataset_fingerprint = dataset.fingerprint();
  out.meta.lineage = ck.meta.value("lineage", nlohmann::json::object());
  return out;
}

}  // namespace

nlohmann::json EvaluateModel(const JobContext& ctx, const std::string& model_path, const std::string& data_path,
                             const std::string& split, int64_t batch_size, const std::string& device_request) {
  std::unique_ptr<DatasetFile> dataset;
  LoadedModel loaded;
  RunCollectively(ctx, [&] {
    if (batch_size < ctx.world_size) ThrowUsage("--batch-size must be at least the number of ranks");
    dataset = DatasetFile::Open(data_path);
    dataset->split(split);  // a usage error listing the splits when absent
    loaded = LoadForEvaluation(model_path, *dataset);
    CheckFeaturesMatch(loaded.meta.schema, dataset->schema(), data_path);
    CheckLabelsMatch(loaded.meta.schema, dataset->schema(), data_path);
  });

  const auto start = std::chrono::steady_clock::now();
  ReaderOptions ro = HeldOutReaderOptions(ReaderOptions(), split, batch_size);
  if (!loaded.meta.norm_offset.empty()) {
    ro.norm_offset = loaded.meta.norm_offset;
    ro.norm_scale = loaded.meta.norm_scale;
  } else {
    ro.normalization = ParseNormalization(loaded.meta.normalization);
  }
  ShardedReader reader(data_path, ro, ctx.rank, ctx.world_size);
  std::unique_ptr<Communicator> comm = ctx.mpi ? MakeMpiCommunicator() : MakeLocalCommunicator();
  if (device_request != "cpu") {
    const DeviceType device = SetUpJobDevice(ctx, *comm, device_request);
    if (device != DeviceType::kCpu) loaded.model = loaded.model->CopyTo(device);
  }
  const Task task = dataset->schema().task;
  ClassificationMetrics cls(dataset->schema().class_names);
  RegressionMetrics reg;
  BatchTensors t;
  PassContext pass;
  pass.training = false;
  for (int64_t s = 0; s < reader.batches_per_epoch(); ++s) {
    Batch b = reader.Next();
    t.Load(b, task);
    reader.Recycle(std::move(b));
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
  report["dataset"] = {{"path", AbsolutePath(data_path)},
                       {"fingerprint", dataset->fingerprint()},
                       {"created_utc", dataset->ReadLineage().value("created_utc", "")}};
  const int64_t n = report["samples"];
  report["timing"] = {{"seconds", seconds}, {"samples_per_s", seconds > 0 ? n / seconds : 0.0}};
  report["created_utc"] = NowUtcIso8601();
  return report;
}

}  // namespace aif
