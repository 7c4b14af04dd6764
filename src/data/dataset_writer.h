// Writes an aif dataset file atomically: everything goes to a temporary file
// beside the output, and Commit() publishes it under its final name, so a
// failed or killed writer never leaves a partial file at the output path.
// Splits are written one after another, rows appended in order, which lets
// the writer hash every byte as it goes (split checksums, fingerprint) and
// keeps memory independent of the dataset size.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset_format.h"

namespace aif {

// Rows per chunk such that a chunk of features is about 1 MiB.
int64_t DefaultChunkRows(const DatasetSchema& schema, int64_t rows);

class DatasetWriter {
 public:
  DatasetWriter(const std::string& path, const DatasetSchema& schema);
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  // Starts a split of exactly `rows` rows (> 0). chunk_rows <= 0 picks the
  // default. Splits must have distinct names.
  void BeginSplit(const std::string& name, int64_t rows, int64_t chunk_rows = 0);
  // Appends n rows: features in the schema's type ([n, F] row-major), labels
  // int32 (classification) or float32 (regression).
  void Append(const void* features, const void* labels, int64_t n);
  // Checks that exactly `rows` rows were appended and seals the split.
  void EndSplit();

  void SetStats(const FeatureStats& stats);
  // A JSON object of lineage facts; strings and numbers become attributes
  // of /lineage, objects and arrays are stored as JSON text.
  void SetLineage(const nlohmann::json& lineage);

  // Writes the fingerprint, closes, syncs and renames into place.
  // Returns the fingerprint.
  std::string Commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aif
