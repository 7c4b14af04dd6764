// aif evaluate: a model (or a checkpoint) on one split of a dataset, or a
// model on a CSV file with labels, sharded over the ranks, into report.json
// and report.html.
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "eval/report_writer.h"
#include "jobs/job.h"
#include "jobs/job_device.h"
#include "jobs/model_evaluation.h"

namespace aif {

int EvaluateMain(int argc, char** argv, JobContext& ctx) {
  std::string model_path, data_path, split, out_dir, metrics_path, label_column, device = "auto";
  int64_t batch_size = 1000;
  JobOptions options("evaluate", "aif evaluate --model MODEL.h5|CHECKPOINT.h5 --data DATASET.h5|DATA.csv --out DIR [options]",
                     "Evaluates a model on one split of a dataset (or on a CSV file with labels, read with the\n"
                     "model's features and categories), sharded over the ranks it runs on, and writes\n"
                     "DIR/report.json and DIR/report.html (a self-contained page: summary, tables, confusion\n"
                     "matrix, learning curves from the run's metrics.jsonl, reliability diagram, per-class bars).");
  options.AddOptional<std::string>("model", &model_path, "model file (RUN/model.h5) or checkpoint; required")
      .AddOptional<std::string>("data", &data_path, "dataset file, or a CSV file with labels; required")
      .Add<std::string>("split", &split, "test", "the split to evaluate (for a CSV, the name its rows get in the report)")
      .AddOptional<std::string>("label-column", &label_column,
                                "CSV data: the label column (default: the model's label name, else 'label')")
      .AddOptional<std::string>("out", &out_dir, "output directory; required")
      .AddOptional<std::string>("metrics", &metrics_path,
                                "metrics.jsonl for the learning curves (default: beside the model, when there)")
      .Add<int64_t>("batch-size", &batch_size, 1000, "global batch size");
  AddDeviceOption(&options, &device);
  if (!ParseJobOptions(ctx, &options, argc, argv)) return 0;

  RunCollectively(ctx, [&] {
    if (model_path.empty() || data_path.empty() || out_dir.empty()) {
      ThrowUsage("--model, --data and --out are required");
    }
  });
  nlohmann::json report = EvaluateModel(ctx, model_path, data_path, split, batch_size, device, label_column);
  if (ctx.is_root()) {
    report["lineage"] = JobLineage(ctx, options);
    if (metrics_path.empty()) metrics_path = ParentDirectory(model_path) + "/metrics.jsonl";
    WriteReport(out_dir, report, ReadMetricsRecords(metrics_path));
    const bool cls = report["task"] == "classification";
    std::string headline = cls ? Format("accuracy %.4f, macro F1 %.4f", report["accuracy"].get<double>(),
                                        report["macro_f1"].get<double>())
                               : Format("RMSE %.4g, R2 %.4f", report["rmse"].get<double>(), report["r2"].get<double>());
    LogInfo("%s split of %s: %lld samples, %s; wrote %s/report.json and %s/report.html", split.c_str(),
            data_path.c_str(), static_cast<long long>(report["samples"].get<int64_t>()), headline.c_str(),
            out_dir.c_str(), out_dir.c_str());
  }
  return 0;
}

}  // namespace aif
