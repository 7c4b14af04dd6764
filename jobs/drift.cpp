// aif drift: compares new data, and the model's predictions on it, with the
// reference statistics stored in the model (the train split's), sharded over
// the ranks: each rank bins its share, the counts are all-reduced, and every
// rank reaches the same verdict. Writes DIR/drift.json and DIR/drift.html and
// exits 0 (no drift), 20 (drift) or with the code of an error.
#include <algorithm>
#include <chrono>

#include "comm/communicator.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "data/csv_labels.h"
#include "data/csv_table.h"
#include "data/dataset_file.h"
#include "data/sharded_reader.h"
#include "jobs/job.h"
#include "jobs/job_device.h"
#include "jobs/store_selection.h"
#include "monitor/drift_collector.h"
#include "monitor/drift_report.h"
#include "nn/model_file.h"
#include "train/device_option.h"

namespace aif {

int DriftMain(int argc, char** argv, JobContext& ctx) {
  std::string model_path, data_path, split, out_dir, label_column;
  StoreSelection sel;
  int64_t store_version = 0;
  int64_t batch_size = 1000;
  DriftThresholds t;
  JobOptions options("drift",
                     "aif drift --name NAME --alias production [--store S] | --model MODEL.h5\n"
                     "                 --data NEW.h5|NEW.csv --out DIR [options]",
                     "Compares new data with the reference statistics stored in the model (its train split's\n"
                     "per-feature histograms and label distribution): PSI and a binned KS statistic per feature,\n"
                     "the share of drifted features, the model's predictions on the new data and, when the data\n"
                     "has labels, the label shift. Sharded over the ranks it runs on. Writes DIR/drift.json and\n"
                     "DIR/drift.html. Exit code 0: no drift; 20: drift; 2-6: an error (docs/monitoring.md).");
  options.AddOptional<std::string>("model", &model_path, "model file (RUN/model.h5), or use --name with --alias/--version");
  AddStoreOptions(&options, &sel, /*select_version=*/true);
  options.AddOptional<std::string>("data", &data_path, "an aif dataset or a CSV with the model's feature columns; required")
      .Add<std::string>("split", &split, "test", "the split to check, for a dataset")
      .AddOptional<std::string>("out", &out_dir, "output directory; required")
      .AddOptional<std::string>("label-column", &label_column,
                                "CSV column with the labels (default: the model's label name, else 'label'; "
                                "absent: no labels)")
      .Add<int64_t>("batch-size", &batch_size, 1000, "rows per batch (global, for a dataset)")
      .Add<double>("psi-drift", &t.psi_drift, t.psi_drift, "a feature drifts at PSI >= this")
      .Add<double>("psi-moderate", &t.psi_moderate, t.psi_moderate, "a feature drifts moderately at PSI >= this")
      .Add<double>("psi-epsilon", &t.psi_epsilon, t.psi_epsilon, "floor of a bin's share in PSI")
      .Add<double>("ks-drift", &t.ks_drift, t.ks_drift,
                   "a feature drifts at a binned KS statistic >= this (when also above its critical value)")
      .Add<double>("ks-alpha", &t.ks_alpha, t.ks_alpha, "significance level of the KS and PSI critical values")
      .Add<double>("drift-share", &t.drift_share, t.drift_share, "the data set drifts when this share of features does")
      .Add<double>("mean-shift", &t.mean_shift, t.mean_shift,
                   "regression: predictions or targets drift when their mean moves this many reference stds");
  std::string device = "auto";
  AddDeviceOption(&options, &device);
  if (!ParseJobOptions(ctx, &options, argc, argv)) return 0;

  LoadedModel loaded;
  bool csv = false;
  std::vector<float> table;  // CSV: [rows, F] in the model's feature order
  int64_t table_rows = 0;
  CsvLabels csv_labels;
  bool labels_present = false;
  std::string fingerprint;
  std::unique_ptr<DriftCollector> collector;
  RunCollectively(ctx, [&] {
    if (data_path.empty() || out_dir.empty()) ThrowUsage("--data and --out are required");
    if (batch_size < 1) ThrowUsage("--batch-size must be >= 1");
    t.Validate();
    // The model to check: a file, or a store version whose checksums verify.
    if (model_path.empty() == sel.name.empty()) ThrowUsage("give --model FILE, or --name NAME with --alias or --version");
    if (!sel.name.empty()) model_path = VerifiedStoreModel(sel, &store_version);
    loaded = ReadModelFile(model_path);
    const DatasetSchema& schema = loaded.meta.schema;
    csv = EndsWith(data_path, ".csv");
    if (csv) {
      // Features and, when the file has them, labels in one pass.
      CsvTextColumn label_text{label_column.empty() ? schema.label_name : label_column, "--label-column", {},
                               /*optional=*/true};
      if (label_column.empty()) label_text.fallbacks = {"label"};  // Kaggle-style files
      CsvColumnsOptions read_options = ModelCsvOptions(schema);
      read_options.text = &label_text;
      read_options.text_required = true;
      CsvColumns read = ReadCsvColumns(data_path, CsvInputColumns(schema), read_options);
      if (ctx.is_root()) {  // every rank read the same file
        for (const std::string& line : CsvReadNotes(data_path, read)) LogWarn("%s", line.c_str());
      }
      table = std::move(read.values);
      table_rows = read.rows;
      if (table_rows == 0) ThrowData("%s: the file has a header but no data rows", data_path.c_str());
      labels_present = label_text.present;
      if (labels_present) csv_labels = CsvLabelsFromText(data_path, label_text, read.line_numbers, schema, "the model");
    } else {
      if (!label_column.empty()) ThrowUsage("--label-column applies to CSV data only");
      auto dataset = DatasetFile::Open(data_path);
      dataset->split(split);  // a usage error listing the splits when absent
      CheckFeaturesMatch(schema, dataset->schema(), data_path);
      CheckLabelsMatch(schema, dataset->schema(), data_path);
      fingerprint = dataset->fingerprint();
    }
    ParseDeviceRequest(device);
  });
  std::unique_ptr<Communicator> comm = ctx.mpi ? MakeMpiCommunicator() : MakeLocalCommunicator();
  const DeviceType on = SetUpJobDevice(ctx, *comm, device);
  if (on != DeviceType::kCpu) loaded.model = loaded.model->CopyTo(on);
  collector = std::make_unique<DriftCollector>(loaded.meta, loaded.model.get(), !csv || labels_present);

  const auto start = std::chrono::steady_clock::now();
  const DatasetSchema& schema = loaded.meta.schema;
  const bool cls = schema.task == Task::kClassification;
  const int64_t F = schema.num_features();
  if (csv) {
    // Rows split in contiguous ranges over the ranks.
    const int64_t begin = table_rows * ctx.rank / ctx.world_size, end = table_rows * (ctx.rank + 1) / ctx.world_size;
    for (int64_t at = begin; at < end; at += batch_size) {
      const int64_t n = std::min(batch_size, end - at);
      const int32_t* classes = labels_present && cls ? csv_labels.classes.data() + at : nullptr;
      const float* targets = labels_present && !cls ? csv_labels.targets.data() + at : nullptr;
      collector->Add(table.data() + at * F, n, nullptr, classes, targets);
    }
  } else {
    // Raw features: the reference statistics are in the data's own units.
    ReaderOptions ro = HeldOutReaderOptions(ReaderOptions(), split, std::max<int64_t>(batch_size, ctx.world_size));
    ro.normalization = Normalization::kNone;
    ShardedReader reader(data_path, ro, ctx.rank, ctx.world_size);
    for (int64_t s = 0; s < reader.batches_per_epoch(); ++s) {
      Batch b = reader.Next();
      collector->Add(b.features.data(), b.rows, b.valid.data(), cls ? b.class_labels.data() : nullptr,
                     cls ? nullptr : b.targets.data());
    }
  }
  collector->Reduce(*comm);
  const DriftResult result = collector->Finish(t);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  RunOnRoot(ctx, [&] {
    nlohmann::json report = DriftResultToJson(result);
    report["model"] = {{"path", AbsolutePath(model_path)},
                       {"spec", loaded.model->spec()},
                       {"params_sha256", loaded.params_sha256},
                       {"trained_on", loaded.meta.dataset_fingerprint}};
    if (!sel.name.empty()) {
      report["model"]["store"] = {{"store", AbsolutePath(sel.store)}, {"name", sel.name}, {"alias", sel.alias},
                                  {"version", store_version}};
    }
    report["data"] = {{"path", AbsolutePath(data_path)}, {"format", csv ? "csv" : "dataset"}, {"rows", result.rows}};
    if (!csv) {
      report["data"]["split"] = split;
      report["data"]["fingerprint"] = fingerprint;
    }
    report["lineage"] = JobLineage(ctx, options);
    report["timing"] = {{"seconds", seconds}, {"rows_per_s", seconds > 0 ? result.rows / seconds : 0.0}};
    report["created_utc"] = NowUtcIso8601();
    WriteDriftReport(out_dir, report);
    for (const std::string& w : result.warnings) LogWarn("%s", w.c_str());
    const DriftSummary& s = result.summary;
    std::string predictions = "no predictions";
    if (result.predictions.available) {
      predictions = result.predictions.classification
                        ? Format("prediction PSI %.3g", result.predictions.psi)
                        : Format("prediction mean shift %.3g std", result.predictions.mean_shift);
    }
    LogInfo("%s: %lld of %lld features drifted (%.1f%%, max PSI %.3g on %s), %s; wrote %s/drift.json and "
            "%s/drift.html",
            result.drift ? "DRIFT" : "no drift", static_cast<long long>(s.drifted), static_cast<long long>(s.features),
            100 * s.share, s.max_psi, s.max_psi_feature.c_str(), predictions.c_str(), out_dir.c_str(), out_dir.c_str());
  });
  return result.drift ? kDriftExitCode : 0;
}

}  // namespace aif
