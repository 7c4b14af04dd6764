#include "data/prepare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/rng.h"
#include "core/sha256.h"
#include "core/strings.h"
#include "data/csv_labels.h"
#include "data/csv_table.h"
#include "data/dataset_file.h"
#include "data/dataset_writer.h"
#include "data/feature_stats.h"
#include "data/idx_file.h"

namespace aif {

namespace {

// --missing mean: each numeric feature's mean over the train split's rows
// that have it fills its missing (NaN) cells in every split; one-hot
// features (0 here) have none left. Returns the means, for the schema.
std::vector<float> ImputeTrainMeans(const std::string& path, const std::vector<std::string>& feature_names,
                                    const std::vector<CategoricalFeature>& categorical,
                                    const std::vector<uint8_t>& split_of, std::vector<float>* features) {
  const size_t width = feature_names.size(), rows = split_of.size();
  std::vector<bool> one_hot(width, false);
  for (const CategoricalFeature& c : categorical) {
    for (size_t i = 0; i < c.categories.size(); ++i) one_hot[c.first_feature + i] = true;
  }
  std::vector<double> sum(width, 0.0);
  std::vector<int64_t> count(width, 0), missing(width, 0);
  for (size_t r = 0; r < rows; ++r) {
    const float* row = features->data() + r * width;
    for (size_t f = 0; f < width; ++f) {
      if (std::isnan(row[f])) ++missing[f];
      else if (split_of[r] == 0) sum[f] += row[f], ++count[f];
    }
  }
  std::vector<float> means(width, 0.0f);
  for (size_t f = 0; f < width; ++f) {
    if (one_hot[f]) continue;  // a missing category is all zeros
    if (count[f] == 0) {
      ThrowData("%s: column '%s' has no value in the train split, so it has no mean to fill its missing cells with; "
                "drop it with --ignore-columns",
                path.c_str(), feature_names[f].c_str());
    }
    means[f] = static_cast<float>(sum[f] / static_cast<double>(count[f]));
  }
  for (size_t r = 0; r < rows; ++r) {
    float* row = features->data() + r * width;
    for (size_t f = 0; f < width; ++f) {
      if (std::isnan(row[f])) row[f] = means[f];
    }
  }
  int64_t filled = 0, columns = 0;
  for (size_t f = 0; f < width; ++f) filled += missing[f], columns += missing[f] > 0;
  if (filled > 0) {
    LogInfo("%s: filled %lld missing values in %lld column(s) with the train split's means (--missing mean)",
            path.c_str(), static_cast<long long>(filled), static_cast<long long>(columns));
  }
  return means;
}

}  // namespace

std::vector<uint8_t> AssignSplits(int64_t rows, double val_fraction, double test_fraction, uint64_t seed) {
  if (!(val_fraction >= 0 && val_fraction < 1)) ThrowUsage("--val-fraction must be in [0, 1), got %g", val_fraction);
  if (!(test_fraction >= 0 && test_fraction < 1)) {
    ThrowUsage("--test-fraction must be in [0, 1), got %g", test_fraction);
  }
  auto count = [rows](double f) {
    return f > 0 ? std::max<int64_t>(1, std::llround(f * static_cast<double>(rows))) : int64_t{0};
  };
  const int64_t n_val = count(val_fraction), n_test = count(test_fraction);
  if (rows - n_val - n_test < 1) {
    ThrowUsage("%lld rows leave no training rows after --val-fraction %g and --test-fraction %g",
               static_cast<long long>(rows), val_fraction, test_fraction);
  }
  std::vector<int64_t> perm(rows);
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = rows - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(RandomBelow(i + 1, seed, RngPurpose::kValidationSplit, 0, i));
    std::swap(perm[i], perm[j]);
  }
  std::vector<uint8_t> split(rows, 0);
  for (int64_t k = 0; k < n_test; ++k) split[perm[k]] = 2;
  for (int64_t k = n_test; k < n_test + n_val; ++k) split[perm[k]] = 1;
  return split;
}

namespace {

nlohmann::json SourceEntry(const std::string& path) {
  uint64_t bytes = 0;
  std::string sha = Sha256File(path, &bytes);
  return {{"path", AbsolutePath(path)}, {"sha256", sha}, {"bytes", bytes}};
}

// Writes the splits and the train statistics. `features` is [rows, F] in
// type T, `labels` int32 or float32 ([rows]); `split_of[r]` picks the split.
template <typename T, typename L>
PrepareResult WriteDataset(const std::string& out, const DatasetSchema& schema, const T* features,
                           const L* labels, const std::vector<uint8_t>& split_of,
                           const std::vector<std::pair<std::string, std::vector<int64_t>>>& explicit_splits,
                           int64_t chunk_rows, const nlohmann::json& lineage) {
  const int64_t F = schema.num_features();
  // Row lists per split: from split_of over the given rows, or explicit lists.
  std::vector<std::pair<std::string, std::vector<int64_t>>> splits = explicit_splits;
  if (splits.empty()) {
    const char* names[3] = {"train", "val", "test"};
    for (int s = 0; s < 3; ++s) {
      std::vector<int64_t> rows;
      for (int64_t r = 0; r < static_cast<int64_t>(split_of.size()); ++r) {
        if (split_of[r] == s) rows.push_back(r);
      }
      if (!rows.empty()) splits.emplace_back(names[s], std::move(rows));
    }
  }

  FeatureStatsBuilder stats(F, schema.task, schema.num_classes());
  const auto& train_rows = splits.at(0).second;
  for (int64_t r : train_rows) stats.AddMoments(features + r * F, labels + r, 1);
  stats.FinishMoments();
  for (int64_t r : train_rows) stats.AddHistogram(features + r * F, 1);

  DatasetWriter writer(out, schema);
  std::vector<T> fbuf;
  std::vector<L> lbuf;
  const int64_t kBatch = 4096;
  for (const auto& [name, rows] : splits) {
    writer.BeginSplit(name, static_cast<int64_t>(rows.size()), chunk_rows);
    for (size_t start = 0; start < rows.size(); start += kBatch) {
      size_t n = std::min<size_t>(kBatch, rows.size() - start);
      fbuf.resize(n * F);
      lbuf.resize(n);
      for (size_t i = 0; i < n; ++i) {
        int64_t r = rows[start + i];
        std::copy(features + r * F, features + (r + 1) * F, fbuf.begin() + i * F);
        lbuf[i] = labels[r];
      }
      writer.Append(fbuf.data(), lbuf.data(), static_cast<int64_t>(n));
    }
    writer.EndSplit();
  }
  writer.SetStats(stats.Finish());
  writer.SetLineage(lineage);
  PrepareResult result;
  result.fingerprint = writer.Commit();
  result.path = out;
  result.schema = schema;
  auto file = DatasetFile::Open(out);
  result.splits = file->splits();
  return result;
}

std::string FindIdxFile(const std::string& dir, const std::string& base) {
  for (const std::string& name : {base + ".gz", base}) {
    std::string path = dir + "/" + name;
    if (PathExists(path)) return path;
  }
  ThrowIo("cannot find %s(.gz) in '%s'; for Fashion-MNIST install the Debian package dataset-fashion-mnist "
          "(/usr/share/datasets/fashion-mnist) or pass --input-dir",
          base.c_str(), dir.c_str());
}

}  // namespace

PrepareResult PrepareIdx(const IdxPrepareOptions& o, nlohmann::json lineage) {
  std::vector<std::string> class_names;
  if (o.flavour == "fashion-mnist") {
    class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  } else if (o.flavour == "mnist") {
    for (int i = 0; i < 10; ++i) class_names.push_back(std::to_string(i));
  } else if (o.flavour != "idx") {
    ThrowUsage("unknown IDX flavour '%s'", o.flavour.c_str());
  }
  if (!IsDirectory(o.input_dir)) ThrowIo("--input-dir '%s' is not a directory", o.input_dir.c_str());
  const std::string files[4] = {FindIdxFile(o.input_dir, "train-images-idx3-ubyte"),
                                FindIdxFile(o.input_dir, "train-labels-idx1-ubyte"),
                                FindIdxFile(o.input_dir, "t10k-images-idx3-ubyte"),
                                FindIdxFile(o.input_dir, "t10k-labels-idx1-ubyte")};
  IdxArray train_x = ReadIdxUint8(files[0], 3), train_y = ReadIdxUint8(files[1], 1);
  IdxArray test_x = ReadIdxUint8(files[2], 3), test_y = ReadIdxUint8(files[3], 1);
  auto check_pair = [&](const IdxArray& x, const IdxArray& y, const std::string& xf, const std::string& yf) {
    if (x.dims[0] != y.dims[0]) {
      ThrowData("'%s' holds %lld images but '%s' holds %lld labels", xf.c_str(), static_cast<long long>(x.dims[0]),
                yf.c_str(), static_cast<long long>(y.dims[0]));
    }
  };
  check_pair(train_x, train_y, files[0], files[1]);
  check_pair(test_x, test_y, files[2], files[3]);
  if (train_x.dims[1] != test_x.dims[1] || train_x.dims[2] != test_x.dims[2]) {
    ThrowData("train images are %lldx%lld but test images are %lldx%lld", static_cast<long long>(train_x.dims[1]),
              static_cast<long long>(train_x.dims[2]), static_cast<long long>(test_x.dims[1]),
              static_cast<long long>(test_x.dims[2]));
  }
  int max_label = 0;
  for (uint8_t y : train_y.data) max_label = std::max<int>(max_label, y);
  for (uint8_t y : test_y.data) max_label = std::max<int>(max_label, y);
  if (class_names.empty()) {
    for (int i = 0; i <= max_label; ++i) class_names.push_back(std::to_string(i));
  }
  if (max_label >= static_cast<int>(class_names.size())) {
    ThrowData("label %d found, but %s has only %zu classes (labels 0..%zu)", max_label, o.flavour.c_str(),
              class_names.size(), class_names.size() - 1);
  }

  const int64_t H = train_x.dims[1], W = train_x.dims[2];
  DatasetSchema schema;
  schema.task = Task::kClassification;
  schema.feature_type = FeatureType::kUint8;
  schema.sample_shape = {1, H, W};
  for (int64_t r = 0; r < H; ++r) {
    for (int64_t c = 0; c < W; ++c) schema.feature_names.push_back(Format("pixel_%lld_%lld", static_cast<long long>(r),
                                                                          static_cast<long long>(c)));
  }
  schema.class_names = class_names;
  schema.label_name = "class";

  // One table: train rows first, then the t10k rows as the test split.
  const int64_t n_train = train_x.dims[0], n_test = test_x.dims[0];
  std::vector<uint8_t> pixels = std::move(train_x.data);
  pixels.insert(pixels.end(), test_x.data.begin(), test_x.data.end());
  std::vector<int32_t> labels(train_y.data.begin(), train_y.data.end());
  labels.insert(labels.end(), test_y.data.begin(), test_y.data.end());

  std::vector<uint8_t> train_split = AssignSplits(n_train, o.val_fraction, 0.0, o.seed);
  std::vector<std::pair<std::string, std::vector<int64_t>>> splits = {{"train", {}}, {"val", {}}, {"test", {}}};
  for (int64_t r = 0; r < n_train; ++r) splits[train_split[r]].second.push_back(r);
  for (int64_t r = 0; r < n_test; ++r) splits[2].second.push_back(n_train + r);
  if (splits[1].second.empty()) splits.erase(splits.begin() + 1);

  nlohmann::json sources = nlohmann::json::array();
  for (const auto& f : files) sources.push_back(SourceEntry(f));
  lineage["source"] = o.flavour;
  lineage["sources"] = sources;
  return WriteDataset(o.out, schema, pixels.data(), labels.data(), {}, splits, o.chunk_rows, lineage);
}

namespace {

// --schema-from images: every column but the label and the ignored ones is a
// pixel, by position (a pixel CSV names its columns as it likes).
CsvColumns ReadCsvPixels(const CsvPrepareOptions& o, const DatasetSchema& ref, const std::string& from,
                         CsvTextColumn* labels) {
  CsvTableOptions read;
  read.label_column = o.label_column;
  read.ignore_columns = o.ignore_columns;
  read.delimiter = o.delimiter;
  read.drop_incomplete_rows = o.drop_incomplete_rows;
  CsvTable table = ReadCsvTable(o.input, read);
  if (!table.categorical.empty()) {
    ThrowData("%s: column '%s' holds text, but the images of %s have numeric pixels", o.input.c_str(),
              table.categorical[0].column.c_str(), from.c_str());
  }
  if (static_cast<int64_t>(table.feature_names.size()) != ref.num_features()) {
    ThrowData("%s: %zu feature columns, but the images of %s have %lld pixels; drop other columns with "
              "--ignore-columns",
              o.input.c_str(), table.feature_names.size(), from.c_str(), static_cast<long long>(ref.num_features()));
  }
  CsvColumns t;
  t.values = std::move(table.features);
  t.rows = table.rows();
  t.line_numbers = std::move(table.line_numbers);
  t.dropped_rows = table.dropped_rows;
  labels->values = std::move(table.labels);
  return t;
}

// --schema-from: the file read as the reference schema's features and labels.
PrepareResult PrepareCsvLike(const CsvPrepareOptions& o, nlohmann::json lineage) {
  const DatasetSchema& ref = *o.reference;
  // Options that the schema decides are accepted when they agree with it (a
  // nightly job passes the same options every night).
  const std::vector<CsvInputColumn> columns = CsvInputColumns(ref);
  const bool images = ref.sample_shape.size() > 1;  // pixels by position, else columns by name
  const std::string from = "--schema-from '" + o.reference_path + "'";
  if (o.task != "auto" && o.task != TaskName(ref.task)) {
    ThrowUsage("--task %s, but %s is a %s task", o.task.c_str(), from.c_str(), TaskName(ref.task));
  }
  if (!o.sample_shape.empty() && o.sample_shape != ref.sample_shape) {
    ThrowUsage("--sample-shape differs from the sample shape of %s", from.c_str());
  }
  for (const std::string& name : o.categorical_columns) {
    if (std::none_of(ref.categorical.begin(), ref.categorical.end(), [&](const auto& c) { return c.column == name; })) {
      ThrowUsage("--categorical-columns names '%s', which is not a categorical column of %s", name.c_str(), from.c_str());
    }
  }
  for (const std::string& name : o.ignore_columns) {
    if ((!images && std::any_of(columns.begin(), columns.end(), [&](const auto& c) { return c.name == name; })) ||
        name == o.label_column) {
      ThrowUsage("--ignore-columns names '%s', which %s needs", name.c_str(), from.c_str());
    }
  }
  if (!PathExists(o.input)) ThrowIo("'%s' does not exist; check --input", o.input.c_str());
  if (IsDirectory(o.input)) ThrowIo("'%s' is a directory, expected a CSV file", o.input.c_str());
  CsvTextColumn labels{o.label_column, "--label-column", {}};
  CsvColumnsOptions read_options;
  read_options.text = &labels;
  read_options.text_required = true;
  read_options.drop_incomplete_rows = o.drop_incomplete_rows;
  // A reference prepared with --missing mean fills this file's gaps with its
  // own train means, as its models do when they score (unless --missing drop).
  if (o.impute_missing && ref.impute_values.empty()) {
    ThrowUsage("--missing mean with --schema-from needs a reference prepared with --missing mean (its train means "
               "fill the gaps); %s was not: use --missing drop", from.c_str());
  }
  read_options.impute_missing = !ref.impute_values.empty() && !o.drop_incomplete_rows;
  read_options.missing_value_hint = "; pass --missing drop to skip incomplete rows";
  read_options.delimiter = o.delimiter;
  read_options.needed_by = from;
  CsvColumns t = images ? ReadCsvPixels(o, ref, from, &labels) : ReadCsvColumns(o.input, columns, read_options);
  if (t.dropped_rows > 0) {
    LogWarn("%s: dropped %lld of %lld data rows with a missing value (--missing drop)", o.input.c_str(),
            static_cast<long long>(t.dropped_rows), static_cast<long long>(t.dropped_rows + t.rows));
  }
  if (t.rows == 0) {
    ThrowData("%s: no data rows%s", o.input.c_str(), t.dropped_rows ? " without a missing value (--missing drop)" : "");
  }
  for (const std::string& line : t.unseen_categories) LogWarn("%s", line.c_str());
  if (t.imputed_cells > 0) {
    LogInfo("%s: filled %lld missing values with the train means of %s", o.input.c_str(),
            static_cast<long long>(t.imputed_cells), from.c_str());
  }

  DatasetSchema schema = ref;
  schema.feature_type = FeatureType::kFloat32;
  schema.label_name = o.label_column;
  lineage["source"] = "csv";
  lineage["schema_from"] = AbsolutePath(o.reference_path);
  lineage["rows_dropped_missing"] = t.dropped_rows;
  lineage["values_imputed"] = t.imputed_cells;
  lineage["sources"] = nlohmann::json::array({SourceEntry(o.input)});
  // The labels are checked before the splits are drawn: a bad label is the
  // data error to report, whatever the split fractions.
  auto write = [&](const auto* labels) {
    const std::vector<uint8_t> split_of = AssignSplits(t.rows, o.val_fraction, o.test_fraction, o.seed);
    return WriteDataset(o.out, schema, t.values.data(), labels, split_of, {}, o.chunk_rows, lineage);
  };
  const CsvLabels mapped = CsvLabelsFromText(o.input, labels, t.line_numbers, ref, from);
  return ref.task == Task::kRegression ? write(mapped.targets.data()) : write(mapped.classes.data());
}

}  // namespace

PrepareResult PrepareCsv(const CsvPrepareOptions& o, nlohmann::json lineage) {
  if (o.label_column.empty()) ThrowUsage("--label-column is required with --source csv");
  if (o.reference) return PrepareCsvLike(o, std::move(lineage));
  CsvTableOptions read_options;
  read_options.label_column = o.label_column;
  read_options.ignore_columns = o.ignore_columns;
  read_options.delimiter = o.delimiter;
  read_options.drop_incomplete_rows = o.drop_incomplete_rows;
  read_options.impute_missing = o.impute_missing;
  read_options.categorical_columns = o.categorical_columns;
  read_options.max_categories = o.max_categories;
  CsvTable t = ReadCsvTable(o.input, read_options);
  if (t.dropped_rows > 0) {
    LogWarn("%s: dropped %lld of %lld data rows with a missing %s", o.input.c_str(),
            static_cast<long long>(t.dropped_rows), static_cast<long long>(t.dropped_rows + t.rows()),
            o.impute_missing ? "label (--missing mean fills features only)" : "value (--missing drop)");
  }
  const int64_t rows = t.rows();

  // Decide the task from the labels when asked to.
  bool all_numeric = true, all_integer = true;
  for (const auto& s : t.labels) {
    auto v = ParseDouble(s);
    if (!v || !std::isfinite(*v)) {
      all_numeric = all_integer = false;
      break;
    }
    if (*v != std::floor(*v)) all_integer = false;
  }
  Task task;
  if (o.task == "auto") task = (all_numeric && !all_integer) ? Task::kRegression : Task::kClassification;
  else if (o.task == "classification") task = Task::kClassification;
  else if (o.task == "regression") task = Task::kRegression;
  else ThrowUsage("--task must be auto, classification or regression, got '%s'", o.task.c_str());

  DatasetSchema schema;
  schema.task = task;
  schema.feature_type = FeatureType::kFloat32;
  const int64_t features = static_cast<int64_t>(t.feature_names.size());
  schema.sample_shape = {features};
  if (!o.sample_shape.empty()) {
    int64_t product = 1;
    for (int64_t d : o.sample_shape) product *= d;
    if (product != features) {
      std::vector<std::string> dims;
      for (int64_t d : o.sample_shape) dims.push_back(std::to_string(d));
      ThrowUsage("--sample-shape %s holds %lld values, but '%s' has %lld features", Join(dims, ",").c_str(),
                 static_cast<long long>(product), o.input.c_str(), static_cast<long long>(features));
    }
    schema.sample_shape = o.sample_shape;
  }
  schema.feature_names = t.feature_names;
  schema.categorical = t.categorical;
  schema.label_name = t.label_name;

  std::vector<uint8_t> split_of = AssignSplits(rows, o.val_fraction, o.test_fraction, o.seed);
  nlohmann::json sources = nlohmann::json::array({SourceEntry(o.input)});
  lineage["source"] = "csv";
  lineage["rows_dropped_missing"] = t.dropped_rows;
  if (o.impute_missing) {
    schema.impute_values = ImputeTrainMeans(o.input, t.feature_names, t.categorical, split_of, &t.features);
    lineage["values_imputed"] = t.missing_cells;
  }
  lineage["sources"] = sources;

  if (task == Task::kRegression) {
    std::vector<float> targets(rows);
    for (int64_t r = 0; r < rows; ++r) {
      auto v = ParseDouble(t.labels[r]);
      if (!v || !std::isfinite(*v)) {
        ThrowData("%s:%lld: column '%s': '%s' is not a number; a regression target must be numeric", o.input.c_str(),
                  static_cast<long long>(t.line_numbers[r]), t.label_name.c_str(), t.labels[r].c_str());
      }
      targets[r] = static_cast<float>(*v);
    }
    return WriteDataset(o.out, schema, t.features.data(), targets.data(), split_of, {}, o.chunk_rows, lineage);
  }

  // Classes: integer labels sort numerically (so "2" keeps id 2 when 0..K-1
  // are all present), anything else sorts as text.
  std::vector<std::string> names;
  if (all_integer) {
    std::map<int64_t, std::string> by_value;
    for (const auto& s : t.labels) by_value.emplace(static_cast<int64_t>(*ParseDouble(s)), std::string(Trim(s)));
    for (const auto& [value, text] : by_value) names.push_back(std::to_string(value));
  } else {
    std::map<std::string, int> by_text;
    for (const auto& s : t.labels) by_text.emplace(s, 0);
    for (const auto& [text, unused] : by_text) names.push_back(text);
  }
  if (o.task == "auto" && names.size() > 1000) {
    ThrowUsage("column '%s' has %zu distinct labels; pass --task regression for numeric targets, or "
               "--task classification to keep them as classes",
               t.label_name.c_str(), names.size());
  }
  if (names.size() < 2) LogWarn("column '%s' has a single class ('%s')", t.label_name.c_str(), names[0].c_str());
  std::map<std::string, int32_t> id_of;
  for (size_t i = 0; i < names.size(); ++i) id_of[names[i]] = static_cast<int32_t>(i);
  std::vector<int32_t> ids(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const std::string key = all_integer ? std::to_string(static_cast<int64_t>(*ParseDouble(t.labels[r]))) : t.labels[r];
    ids[r] = id_of.at(key);
  }
  schema.class_names = names;
  return WriteDataset(o.out, schema, t.features.data(), ids.data(), split_of, {}, o.chunk_rows, lineage);
}

}  // namespace aif
