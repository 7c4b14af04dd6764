// The aif dataset file (format "aif.dataset", version 1; docs/formats.md is
// the normative description). One HDF5 file holds every split of a dataset
// with its schema, the train split's per-feature statistics (normalisation
// and the drift reference) and lineage. These structs are its in-memory form;
// DatasetWriter writes them and DatasetFile reads them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aif {

inline constexpr const char* kDatasetFormatName = "aif.dataset";
inline constexpr int64_t kDatasetFormatVersion = 1;

enum class Task { kClassification, kRegression };
enum class FeatureType { kUint8, kFloat32 };

const char* TaskName(Task task);
const char* FeatureTypeName(FeatureType type);
Task ParseTask(const std::string& name);                // throws kData
FeatureType ParseFeatureType(const std::string& name);  // throws kData
size_t FeatureTypeSize(FeatureType type);

// A categorical (text) source column, one-hot encoded: `categories.size()`
// features from `first_feature` on, named OneHotFeatureName(column, c), in
// the order of `categories` (every value seen in the source file, sorted:
// numerically when all are numbers, else as text).
struct CategoricalFeature {
  std::string column;
  std::vector<std::string> categories;
  int64_t first_feature = 0;
};

// "column=category", the name of one one-hot feature.
std::string OneHotFeatureName(const std::string& column, const std::string& category);

struct DatasetSchema {
  Task task = Task::kClassification;
  FeatureType feature_type = FeatureType::kFloat32;
  std::vector<int64_t> sample_shape;        // e.g. {1, 28, 28} or {F}
  std::vector<std::string> feature_names;   // one per feature, row-major over sample_shape
  std::vector<std::string> class_names;     // classification only; label i is class_names[i]
  std::string label_name = "label";
  std::vector<CategoricalFeature> categorical;  // CSV text columns; empty for IDX data
  // CSV prepared with --missing mean: per feature, the value a missing cell
  // takes (the train split's mean; 0 for one-hot features, whose missing
  // category is all zeros), in this data and in any scored later. Empty: a
  // missing value is an error (or drops its row).
  std::vector<float> impute_values;

  int64_t num_features() const;
  int64_t num_classes() const { return static_cast<int64_t>(class_names.size()); }
  // Label bytes per sample: int32 for classification, float32 for regression.
  size_t label_size() const { return 4; }
  // Canonical JSON (also the schema's contribution to the fingerprint).
  nlohmann::json ToJson() const;
  // Throws kData when fields disagree (shape vs names, classes vs task, the
  // categorical columns vs their features' names).
  void Validate() const;
};

struct SplitInfo {
  std::string name;
  int64_t rows = 0;
  int64_t chunk_rows = 0;
  std::string sha256;  // over the features' then the labels' bytes (see formats.md)
  // Per chunk, CRC-32C of its features' and of its labels' bytes ([chunks,
  // 2], splits/<name>/chunk_crc32c); empty for files written before them.
  std::vector<uint32_t> chunk_crcs;
};

// The dataset of per-chunk checksums in each split's group.
inline constexpr const char* kChunkChecksumsName = "chunk_crc32c";

// Per-feature statistics over the train split.
struct FeatureStats {
  int64_t count = 0;  // rows the statistics were computed on
  std::vector<double> mean, std, min, max;     // [F]
  int64_t hist_bins = 0;
  std::vector<double> hist_edges;              // [F, hist_bins + 1]
  std::vector<uint64_t> hist_counts;           // [F, hist_bins]
  std::vector<double> quantile_levels;         // [Q]
  std::vector<double> quantiles;               // [F, Q]
  // Labels: class counts for classification, moments for regression.
  std::vector<int64_t> label_counts;           // [C]
  double label_mean = 0, label_std = 0, label_min = 0, label_max = 0;

  int64_t num_features() const { return static_cast<int64_t>(mean.size()); }
};

// Whether data with schema `data` (from `data_path`) can go into a model
// trained on schema `model`; Error(kData) naming the file, the first
// difference and (for features) --schema-from otherwise.
// Features: the same sample shape and, for flat (tabular) samples, the same
// feature names (so the same columns in the same order, and the same
// categories); images (2 or more dimensions) are pixels by position, named
// as their source named them. The storage type may differ.
void CheckFeaturesMatch(const DatasetSchema& model, const DatasetSchema& data, const std::string& data_path);
// Labels: the same task and, for classification, the same classes in order.
void CheckLabelsMatch(const DatasetSchema& model, const DatasetSchema& data, const std::string& data_path);

// Canonical split names, in file order.
inline const std::vector<std::string>& StandardSplitNames() {
  static const std::vector<std::string> names = {"train", "val", "test"};
  return names;
}

}  // namespace aif
