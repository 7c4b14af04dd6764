// aif prepare: raw data -> one aif dataset file (docs/formats.md).
// Runs on rank 0 when launched with several ranks; the others wait for it.
#include <algorithm>

#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/hdf5_io.h"
#include "data/csv_table.h"
#include "data/dataset_file.h"
#include "data/prepare.h"
#include "jobs/job.h"
#include "nn/model_file.h"

namespace aif {

namespace {

// "1,28,28" or "1x28x28" -> {1, 28, 28}; empty -> {}. Throws kUsage.
std::vector<int64_t> ParseSampleShape(const std::string& text) {
  std::vector<int64_t> dims;
  if (Trim(text).empty()) return dims;
  std::string normalized = text;
  std::replace(normalized.begin(), normalized.end(), 'x', ',');
  for (const std::string& part : Split(normalized, ',')) {
    auto v = ParseInt(Trim(part));
    if (!v || *v <= 0) ThrowUsage("--sample-shape: '%s' is not a list of positive sizes such as 1,28,28", text.c_str());
    dims.push_back(*v);
  }
  if (dims.size() > 3) ThrowUsage("--sample-shape has %zu dimensions; give 1 to 3 (C,H,W)", dims.size());
  return dims;
}

// The schema of a model or dataset file, for --schema-from.
DatasetSchema ReadSchemaOf(const std::string& path) {
  const std::string format = ReadAifFormatName(path);
  if (format == kDatasetFormatName) return DatasetFile::Open(path)->schema();
  if (format == kModelFormatName) return ReadModelFile(path).meta.schema;
  ThrowUsage("--schema-from '%s' has format '%s'; give a model (%s) or a dataset (%s)", path.c_str(), format.c_str(),
             kModelFormatName, kDatasetFormatName);
}

}  // namespace

int PrepareMain(int argc, char** argv, JobContext& ctx) {
  std::string source, input_dir, input, label_column, task, out, ignore_columns, delimiter, missing, sample_shape;
  std::string categorical_columns, schema_from;
  double val_fraction = 0.1, test_fraction = 0.1;
  int64_t seed = 0, chunk_rows = 0, max_categories = 100;
  bool force = false;
  JobOptions options("prepare", "aif prepare --source fashion-mnist|mnist|idx|csv --out DATASET.h5 [options]",
                     "Reads raw data, validates it, takes seeded validation (and, for CSV, test) splits,\n"
                     "computes per-feature statistics over the train split and writes one HDF5 dataset\n"
                     "with schema and lineage. The output appears atomically: a failed or killed prepare\n"
                     "never leaves a partial file at --out.\n\n"
                     "Examples:\n"
                     "  aif prepare --source fashion-mnist --out data/fmnist.h5\n"
                     "  aif prepare --source csv --input iris.csv --label-column species --out data/iris.h5\n"
                     "  aif prepare --source csv --input titanic.csv --label-column Survived --ignore-columns "
                     "PassengerId,Name --out data/titanic.h5\n"
                     "  aif prepare --source csv --input mnist_train.csv --label-column label --sample-shape 1,28,28 "
                     "--out data/mnist.h5");
  options.Add<std::string>("source", &source, "fashion-mnist",
                           "fashion-mnist, mnist or idx (gzip/plain IDX files), or csv")
      .Add<std::string>("input-dir", &input_dir, "/usr/share/datasets/fashion-mnist",
                        "IDX sources: directory with {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
      .AddOptional<std::string>("input", &input, "csv: the CSV file (header row required)")
      .AddOptional<std::string>("label-column", &label_column, "csv: name of the label column")
      .AddOptional<std::string>("ignore-columns", &ignore_columns,
                                "csv: comma-separated columns to drop (ids, free text); every other column but "
                                "the label is a feature: numeric, or categorical when it holds text")
      .AddOptional<std::string>("categorical-columns", &categorical_columns,
                                "csv: comma-separated columns to one-hot encode even though they hold numbers "
                                "(codes such as a class 1/2/3); a column that holds text always is")
      .AddOptional<std::string>("schema-from", &schema_from,
                                "csv: a model or dataset (.h5) whose features this file must provide, so its models "
                                "can be evaluated on the new dataset: its columns by name (others are ignored) "
                                "with its categories, or for images as many pixel columns; its classes (the "
                                "label column defaults to its label's name)")
      .Add<int64_t>("max-categories", &max_categories, 100,
                    "csv: the most distinct values a categorical column may have (more: an error, as such a "
                    "column is usually an id or free text)")
      .Add<std::string>("delimiter", &delimiter, "auto",
                        "csv: field separator: ',', ';', '|', tab, or auto (detected from the header row)")
      .AddOptional<std::string>("sample-shape", &sample_shape,
                                "csv: the shape of one sample's features, e.g. 1,28,28 for 784 pixel columns, so "
                                "convolutions can read them as images (default: flat)")
      .Add<std::string>("missing", &missing, "error",
                        "csv: a missing value (empty, ?, NA, N/A, NaN, null) in a kept column: 'error'; 'drop' "
                        "the row (counted in the log and the lineage); or 'mean': a numeric feature takes its train "
                        "split mean and a categorical one no category (all zeros), here and whenever the dataset's "
                        "models score CSV data later (rows without a label are dropped)")
      .Add<std::string>("task", &task, "auto",
                        "csv: classification, regression or auto (regression when labels are non-integer numbers)")
      .AddOptional<std::string>("out", &out, "output dataset file (.h5); required")
      .Add<double>("val-fraction", &val_fraction, 0.1, "fraction of the training rows held out as the val split")
      .Add<double>("test-fraction", &test_fraction, 0.1,
                   "csv: fraction held out as the test split (IDX sources use t10k as test)")
      .Add<int64_t>("seed", &seed, 0, "seed of the split assignment")
      .Add<int64_t>("chunk-rows", &chunk_rows, 0, "rows per HDF5 chunk (0: about 1 MiB per chunk)")
      .AddFlag("force", &force, "replace --out if it exists");
  if (!ParseJobOptions(ctx, &options, argc, argv)) return 0;

  const bool csv = source == "csv";
  RunCollectively(ctx, [&] {
    if (!options.Has("out")) ThrowUsage("--out is required (the dataset file to write)");
    if (source != "csv" && source != "fashion-mnist" && source != "mnist" && source != "idx") {
      ThrowUsage("--source must be fashion-mnist, mnist, idx or csv, got '%s'", source.c_str());
    }
    if (csv && !options.Has("input")) ThrowUsage("--source csv needs --input FILE.csv");
    if (csv && !options.Has("label-column") && !options.Has("schema-from")) {
      ThrowUsage("--source csv needs --label-column NAME");
    }
    if (csv && options.Has("input-dir")) ThrowUsage("--input-dir is for IDX sources; use --input with csv");
    if (!csv && options.Has("input")) ThrowUsage("--input is for csv; use --input-dir with --source %s", source.c_str());
    if (!csv && options.Has("test-fraction")) {
      ThrowUsage("--test-fraction is for csv; IDX sources use the t10k files as the test split");
    }
    if (!csv && (options.Has("label-column") || options.Has("task") || options.Has("ignore-columns") ||
                 options.Has("delimiter") || options.Has("missing") || options.Has("sample-shape") ||
                 options.Has("categorical-columns") || options.Has("max-categories") || options.Has("schema-from"))) {
      ThrowUsage("--label-column, --task, --ignore-columns, --categorical-columns, --max-categories, --schema-from, "
                 "--delimiter, --missing and --sample-shape are for csv sources");
    }

    if (max_categories < 1) ThrowUsage("--max-categories must be >= 1");
    ParseSampleShape(sample_shape);
    if (missing != "error" && missing != "drop" && missing != "mean") {
      ThrowUsage("--missing must be error, drop or mean, got '%s'", missing.c_str());
    }
    ParseCsvDelimiter(delimiter);
    if (seed < 0) ThrowUsage("--seed must be >= 0");
    if (chunk_rows < 0) ThrowUsage("--chunk-rows must be >= 0");
    if (PathExists(out) && !force) {
      ThrowUsage("'%s' already exists; pass --force to replace it (the old file stays until the new one is complete)",
                 out.c_str());
    }
    if (IsDirectory(out)) ThrowUsage("--out '%s' is a directory; give a file name", out.c_str());
  });

  PrepareResult result;
  RunOnRoot(ctx, [&] {
    nlohmann::json lineage = JobLineage(ctx, options);
    if (csv) {
      CsvPrepareOptions o;
      o.input = input;
      o.out = out;
      o.label_column = label_column;
      for (const std::string& name : Split(ignore_columns, ',')) {
        if (!Trim(name).empty()) o.ignore_columns.emplace_back(Trim(name));
      }
      for (const std::string& name : Split(categorical_columns, ',')) {
        if (!Trim(name).empty()) o.categorical_columns.emplace_back(Trim(name));
      }
      o.max_categories = max_categories;
      DatasetSchema reference;
      if (!schema_from.empty()) {
        reference = ReadSchemaOf(schema_from);
        o.reference = &reference;
        o.reference_path = schema_from;
        if (o.label_column.empty()) o.label_column = reference.label_name;
      }
      o.delimiter = ParseCsvDelimiter(delimiter);
      o.drop_incomplete_rows = missing == "drop";
      o.impute_missing = missing == "mean";
      o.sample_shape = ParseSampleShape(sample_shape);
      o.task = task;
      o.val_fraction = val_fraction;
      o.test_fraction = test_fraction;
      o.seed = static_cast<uint64_t>(seed);
      o.chunk_rows = chunk_rows;
      result = PrepareCsv(o, lineage);
    } else {
      IdxPrepareOptions o;
      o.input_dir = input_dir;
      o.out = out;
      o.flavour = source;
      o.val_fraction = val_fraction;
      o.seed = static_cast<uint64_t>(seed);
      o.chunk_rows = chunk_rows;
      result = PrepareIdx(o, lineage);
    }
  });
  if (ctx.is_root()) {
    std::vector<std::string> parts;
    for (const auto& s : result.splits) parts.push_back(Format("%s %lld", s.name.c_str(), static_cast<long long>(s.rows)));
    const DatasetSchema& schema = result.schema;
    std::string task_text = schema.task == Task::kClassification
                                ? Format("%lld classes", static_cast<long long>(schema.num_classes()))
                                : std::string("regression");
    LogInfo("wrote %s: %s rows; %lld %s features; %s; fingerprint %.16s", result.path.c_str(),
            Join(parts, ", ").c_str(), static_cast<long long>(schema.num_features()),
            FeatureTypeName(schema.feature_type), task_text.c_str(), result.fingerprint.c_str());
  }
  return 0;
}

}  // namespace aif
