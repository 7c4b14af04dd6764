#include "data/schema_io.h"

#include "core/error.h"
#include "core/hdf5_io.h"

namespace aif {

void WriteSchemaGroup(hid_t g, const DatasetSchema& schema) {
  Hdf5Lock lock(Hdf5Mutex());
  H5WriteAttr(g, "task", std::string(TaskName(schema.task)));
  H5WriteAttr(g, "feature_type", std::string(FeatureTypeName(schema.feature_type)));
  H5WriteAttr(g, "label_type", std::string(schema.task == Task::kClassification ? "int32" : "float32"));
  H5WriteAttr(g, "label_name", schema.label_name);
  H5WriteAttr(g, "sample_shape", schema.sample_shape);
  H5WriteAttr(g, "num_features", schema.num_features());
  H5WriteAttr(g, "num_classes", schema.num_classes());
  H5WriteStrings(g, "feature_names", schema.feature_names);
  if (schema.task == Task::kClassification) H5WriteStrings(g, "class_names", schema.class_names);
  if (!schema.categorical.empty()) H5WriteAttr(g, "categorical", schema.ToJson()["categorical"].dump());
  if (!schema.impute_values.empty()) H5WriteAttr(g, "impute_values", nlohmann::json(schema.impute_values).dump());
}

DatasetSchema ReadSchemaGroup(hid_t g) {
  Hdf5Lock lock(Hdf5Mutex());
  DatasetSchema s;
  s.task = ParseTask(H5ReadStringAttr(g, "task"));
  s.feature_type = ParseFeatureType(H5ReadStringAttr(g, "feature_type"));
  s.label_name = H5ReadStringAttr(g, "label_name");
  s.sample_shape = H5ReadIntsAttr(g, "sample_shape");
  s.feature_names = H5ReadStrings(g, "feature_names");
  if (s.task == Task::kClassification) s.class_names = H5ReadStrings(g, "class_names");
  if (H5HasAttr(g, "categorical")) {
    try {
      for (const auto& c : nlohmann::json::parse(H5ReadStringAttr(g, "categorical"))) {
        s.categorical.push_back({c.at("column").get<std::string>(), c.at("categories").get<std::vector<std::string>>(),
                                 c.at("first_feature").get<int64_t>()});
      }
    } catch (const nlohmann::json::exception& e) {
      ThrowData("schema: unreadable 'categorical' attribute (%s)", e.what());
    }
  }
  if (H5HasAttr(g, "impute_values")) {
    try {
      s.impute_values = nlohmann::json::parse(H5ReadStringAttr(g, "impute_values")).get<std::vector<float>>();
    } catch (const nlohmann::json::exception& e) {
      ThrowData("schema: unreadable 'impute_values' attribute (%s)", e.what());
    }
  }
  s.Validate();
  return s;
}

void WriteStatsGroup(hid_t g, const FeatureStats& st, Task task) {
  Hdf5Lock lock(Hdf5Mutex());
  const int64_t F = st.num_features();
  H5WriteAttr(g, "count", st.count);
  H5WriteAttr(g, "hist_bins", st.hist_bins);
  H5WriteArray(g, "mean", st.mean);
  H5WriteArray(g, "std", st.std);
  H5WriteArray(g, "min", st.min);
  H5WriteArray(g, "max", st.max);
  H5WriteArray(g, "hist_edges", st.hist_edges, {F, st.hist_bins + 1});
  H5WriteArray(g, "hist_counts", st.hist_counts, {F, st.hist_bins});
  H5WriteArray(g, "quantile_levels", st.quantile_levels);
  H5WriteArray(g, "quantiles", st.quantiles, {F, static_cast<int64_t>(st.quantile_levels.size())});
  if (task == Task::kClassification) {
    H5WriteArray(g, "label_counts", st.label_counts);
  } else {
    H5WriteAttr(g, "label_mean", st.label_mean);
    H5WriteAttr(g, "label_std", st.label_std);
    H5WriteAttr(g, "label_min", st.label_min);
    H5WriteAttr(g, "label_max", st.label_max);
  }
}

FeatureStats ReadStatsGroup(hid_t g, Task task, int64_t num_features) {
  Hdf5Lock lock(Hdf5Mutex());
  FeatureStats st;
  st.count = H5ReadIntAttr(g, "count");
  st.hist_bins = H5ReadIntAttr(g, "hist_bins");
  st.mean = H5ReadArray<double>(g, "mean");
  st.std = H5ReadArray<double>(g, "std");
  st.min = H5ReadArray<double>(g, "min");
  st.max = H5ReadArray<double>(g, "max");
  st.hist_edges = H5ReadArray<double>(g, "hist_edges");
  st.hist_counts = H5ReadArray<uint64_t>(g, "hist_counts");
  st.quantile_levels = H5ReadArray<double>(g, "quantile_levels");
  st.quantiles = H5ReadArray<double>(g, "quantiles");
  if (task == Task::kClassification) {
    st.label_counts = H5ReadArray<int64_t>(g, "label_counts");
  } else {
    st.label_mean = H5ReadDoubleAttr(g, "label_mean");
    st.label_std = H5ReadDoubleAttr(g, "label_std");
    st.label_min = H5ReadDoubleAttr(g, "label_min");
    st.label_max = H5ReadDoubleAttr(g, "label_max");
  }
  const size_t F = static_cast<size_t>(num_features);
  if (st.mean.size() != F || st.std.size() != F || st.min.size() != F || st.max.size() != F ||
      st.hist_edges.size() != F * static_cast<size_t>(st.hist_bins + 1) ||
      st.hist_counts.size() != F * static_cast<size_t>(st.hist_bins) ||
      st.quantiles.size() != F * st.quantile_levels.size()) {
    ThrowData("statistics do not match the schema's %zu features", F);
  }
  return st;
}

nlohmann::json ReadAttributesAsJson(hid_t g) {
  Hdf5Lock lock(Hdf5Mutex());
  nlohmann::json out = nlohmann::json::object();
  H5O_info_t info;
  H5Oget_info2(g, &info, H5O_INFO_NUM_ATTRS);
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    char name[256] = {0};
    H5Aget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof(name) - 1, H5P_DEFAULT);
    H5Id attr(H5Aopen(g, name, H5P_DEFAULT), H5Aclose);
    H5Id type(H5Aget_type(attr.get()), H5Tclose);
    H5T_class_t cls = H5Tget_class(type.get());
    if (cls == H5T_STRING) {
      std::string v = H5ReadStringAttr(g, name);
      auto parsed = nlohmann::json::parse(v, nullptr, /*allow_exceptions=*/false);
      out[name] = (!parsed.is_discarded() && (parsed.is_object() || parsed.is_array())) ? parsed : nlohmann::json(v);
    } else if (cls == H5T_INTEGER) {
      out[name] = H5ReadIntAttr(g, name);
    } else if (cls == H5T_FLOAT) {
      out[name] = H5ReadDoubleAttr(g, name);
    }
  }
  return out;
}

void WriteJsonAsAttributes(hid_t g, const nlohmann::json& object) {
  AIF_CHECK(object.is_object(), "attributes must come from a JSON object");
  Hdf5Lock lock(Hdf5Mutex());
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) H5WriteAttr(g, key, value.get<std::string>());
    else if (value.is_number_integer()) H5WriteAttr(g, key, value.get<int64_t>());
    else if (value.is_number()) H5WriteAttr(g, key, value.get<double>());
    else H5WriteAttr(g, key, value.dump());
  }
}

}  // namespace aif
