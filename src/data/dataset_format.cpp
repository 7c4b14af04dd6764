#include "data/dataset_format.h"

#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace aif {

const char* TaskName(Task task) { return task == Task::kClassification ? "classification" : "regression"; }

const char* FeatureTypeName(FeatureType type) { return type == FeatureType::kUint8 ? "uint8" : "float32"; }

Task ParseTask(const std::string& name) {
  if (name == "classification") return Task::kClassification;
  if (name == "regression") return Task::kRegression;
  ThrowData("unknown task '%s' (expected classification or regression)", name.c_str());
}

FeatureType ParseFeatureType(const std::string& name) {
  if (name == "uint8") return FeatureType::kUint8;
  if (name == "float32") return FeatureType::kFloat32;
  ThrowData("unknown feature type '%s' (expected uint8 or float32)", name.c_str());
}

size_t FeatureTypeSize(FeatureType type) { return type == FeatureType::kUint8 ? 1 : 4; }

std::string OneHotFeatureName(const std::string& column, const std::string& category) {
  return column + "=" + category;
}

int64_t DatasetSchema::num_features() const {
  int64_t n = 1;
  for (int64_t d : sample_shape) n *= d;
  return sample_shape.empty() ? 0 : n;
}

nlohmann::json DatasetSchema::ToJson() const {
  nlohmann::json j;
  j["task"] = TaskName(task);
  j["feature_type"] = FeatureTypeName(feature_type);
  j["sample_shape"] = sample_shape;
  j["num_features"] = num_features();
  j["feature_names"] = feature_names;
  j["label_name"] = label_name;
  j["label_type"] = task == Task::kClassification ? "int32" : "float32";
  if (task == Task::kClassification) j["class_names"] = class_names;
  if (!categorical.empty()) {  // absent otherwise, so older fingerprints stay valid
    nlohmann::json columns = nlohmann::json::array();
    for (const auto& c : categorical) {
      columns.push_back({{"column", c.column}, {"categories", c.categories}, {"first_feature", c.first_feature}});
    }
    j["categorical"] = columns;
  }
  if (!impute_values.empty()) j["impute_values"] = impute_values;  // likewise
  return j;
}

void DatasetSchema::Validate() const {
  if (sample_shape.empty() || num_features() <= 0) ThrowData("schema: the sample shape is empty");
  for (int64_t d : sample_shape) {
    if (d <= 0) ThrowData("schema: sample shape has a non-positive dimension");
  }
  if (static_cast<int64_t>(feature_names.size()) != num_features()) {
    ThrowData("schema: %zu feature names for %lld features", feature_names.size(),
              static_cast<long long>(num_features()));
  }
  if (task == Task::kClassification && class_names.empty()) ThrowData("schema: a classification task needs classes");
  if (task == Task::kRegression && !class_names.empty()) ThrowData("schema: a regression task has no classes");
  int64_t next_free = 0;  // categorical columns in feature order, not overlapping
  for (const auto& c : categorical) {
    const int64_t k = static_cast<int64_t>(c.categories.size());
    if (k == 0 || c.first_feature < next_free || c.first_feature + k > num_features()) {
      ThrowData("schema: categorical column '%s' does not fit the features", c.column.c_str());
    }
    for (int64_t i = 0; i < k; ++i) {
      if (feature_names[c.first_feature + i] != OneHotFeatureName(c.column, c.categories[i])) {
        ThrowData("schema: feature %lld should be '%s' (categorical column '%s')",
                  static_cast<long long>(c.first_feature + i), OneHotFeatureName(c.column, c.categories[i]).c_str(),
                  c.column.c_str());
      }
    }
    next_free = c.first_feature + k;
  }
  if (!impute_values.empty()) {
    if (static_cast<int64_t>(impute_values.size()) != num_features()) {
      ThrowData("schema: %zu impute values for %lld features", impute_values.size(),
                static_cast<long long>(num_features()));
    }
    for (float v : impute_values) {
      if (!std::isfinite(v)) ThrowData("schema: an impute value is not a finite number");
    }
  }
}

namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::vector<std::string> dims;
  for (int64_t d : shape) dims.push_back(std::to_string(d));
  return "[" + Join(dims, ", ") + "]";
}

}  // namespace

void CheckFeaturesMatch(const DatasetSchema& model, const DatasetSchema& data, const std::string& data_path) {
  const char* how = "; prepare CSV data for this model with 'aif prepare --schema-from MODEL.h5'";
  if (model.sample_shape != data.sample_shape) {
    ThrowData("'%s' does not match the model's features (model %s, data %s)%s", data_path.c_str(),
              ShapeText(model.sample_shape).c_str(), ShapeText(data.sample_shape).c_str(), how);
  }
  if (model.sample_shape.size() > 1) return;  // images: pixels by position, whatever the names
  for (size_t f = 0; f < model.feature_names.size() && f < data.feature_names.size(); ++f) {
    if (model.feature_names[f] != data.feature_names[f]) {
      ThrowData("'%s' has other features than the model: feature %zu is '%s' in the data but '%s' in the model%s",
                data_path.c_str(), f, data.feature_names[f].c_str(), model.feature_names[f].c_str(), how);
    }
  }
}

void CheckLabelsMatch(const DatasetSchema& model, const DatasetSchema& data, const std::string& data_path) {
  if (data.task != model.task || (model.task == Task::kClassification && data.class_names != model.class_names)) {
    ThrowData("'%s' has other labels than the model (model: %s with %lld classes; data: %s with %lld classes)",
              data_path.c_str(), TaskName(model.task), static_cast<long long>(model.num_classes()),
              TaskName(data.task), static_cast<long long>(data.num_classes()));
  }
}

}  // namespace aif
