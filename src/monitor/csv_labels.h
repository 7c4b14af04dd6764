// Labels of a CSV for `aif drift`: the column named like the model's label
// (or --label-column), read as text and mapped to the model's classes
// (data/class_lookup.h), or parsed as a number for regression. The features come from
// ReadCsvColumns (data/csv_table.h); this reads the one column it ignores.
// The CSV rules are those of csv_table: a header row, RFC 4180 quotes on one
// line, CRLF allowed, blank lines skipped, a UTF-8 BOM dropped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset_format.h"

namespace aif {

struct CsvLabels {
  bool present = false;          // the column exists
  std::vector<int32_t> classes;  // classification: class id per row
  std::vector<float> targets;    // regression: target per row
};

// Reads `column` of `path` for a model of `schema`. A missing column gives
// present = false. A label that names no class of the model, an empty cell
// or a target that is not a finite number is Error(kData) naming the file,
// the line and the column.
CsvLabels ReadCsvLabels(const std::string& path, const std::string& column, const DatasetSchema& schema);

}  // namespace aif
