// HDF5 groups shared by several aif formats: the schema of the data
// (datasets, models) and per-feature statistics (dataset /stats, model
// /reference_stats). One writer and one reader for each, so every format
// stores them identically (docs/formats.md).
#pragma once

#include <hdf5.h>

#include "data/dataset_format.h"

namespace aif {

void WriteSchemaGroup(hid_t group, const DatasetSchema& schema);
DatasetSchema ReadSchemaGroup(hid_t group);  // validates; throws kData
void WriteStatsGroup(hid_t group, const FeatureStats& stats, Task task);
FeatureStats ReadStatsGroup(hid_t group, Task task, int64_t num_features);  // throws kData
// Attributes of `group` as JSON (strings holding JSON objects/arrays parsed).
nlohmann::json ReadAttributesAsJson(hid_t group);
void WriteJsonAsAttributes(hid_t group, const nlohmann::json& object);

}  // namespace aif
