// The converters behind `aif prepare`: raw data in, one aif dataset file out
// (schema, train/val/test splits, train statistics, lineage). Both keep the
// source order within each split and choose the held-out rows with a seeded
// counter-based permutation, so the same inputs and seed give the same file
// (up to its creation time). Output is atomic (DatasetWriter).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset_format.h"

namespace aif {

struct PrepareResult {
  std::string path;
  std::string fingerprint;
  DatasetSchema schema;
  std::vector<SplitInfo> splits;
};

struct IdxPrepareOptions {
  std::string input_dir;
  std::string out;
  std::string flavour = "fashion-mnist";  // fashion-mnist, mnist or idx (class names "0".."K-1")
  double val_fraction = 0.1;
  uint64_t seed = 0;
  int64_t chunk_rows = 0;  // 0: about 1 MiB per chunk
};

struct CsvPrepareOptions {
  std::string input;
  std::string out;
  std::string label_column;
  std::vector<std::string> ignore_columns;  // dropped: ids, free text
  std::vector<std::string> categorical_columns;  // one-hot although numeric (text columns always are)
  int64_t max_categories = 100;
  // --schema-from: the features (columns, order, categories), task and
  // classes of this schema (a model's or a dataset's) instead of the file's
  // own; other columns are ignored, labels outside its classes are errors.
  const DatasetSchema* reference = nullptr;
  std::string reference_path;
  char delimiter = 0;                       // 0: detected from the header
  bool drop_incomplete_rows = false;        // --missing drop
  bool impute_missing = false;              // --missing mean (see DatasetSchema::impute_values)
  std::vector<int64_t> sample_shape;        // e.g. {1, 28, 28}; empty: flat [features]
  std::string task = "auto";  // auto, classification or regression
  double val_fraction = 0.1;
  double test_fraction = 0.1;
  uint64_t seed = 0;
  int64_t chunk_rows = 0;
};

// `lineage` holds what the caller knows (versions, config, job); the
// converters add the source files with their SHA-256 and sizes.
PrepareResult PrepareIdx(const IdxPrepareOptions& options, nlohmann::json lineage);
PrepareResult PrepareCsv(const CsvPrepareOptions& options, nlohmann::json lineage);

// Row -> split assignment used by both converters: 0 train, 1 val, 2 test.
// A positive fraction always yields at least one row. Throws kUsage for
// fractions outside [0, 1) or leaving no train rows.
std::vector<uint8_t> AssignSplits(int64_t rows, double val_fraction, double test_fraction, uint64_t seed);

}  // namespace aif
