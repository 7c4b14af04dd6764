// The labels of a CSV file read against an existing schema (prepare
// --schema-from, and the labels drift and evaluate find beside a model's
// features): the label column's text, as ReadCsvColumns read it
// (data/csv_table.h), mapped to the schema's classes (data/class_lookup.h)
// or parsed as regression targets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/csv_table.h"
#include "data/dataset_format.h"

namespace aif {

struct CsvLabels {
  std::vector<int32_t> classes;  // classification: class id per row
  std::vector<float> targets;    // regression: target per row
};

// `text` holds one cell per row, read from the lines `line_numbers` of
// `path`. A label outside the classes (`classes_of` names whose, e.g. "the
// model") or a target that is not a finite number is Error(kData)
// "path:line: column 'y': ...".
CsvLabels CsvLabelsFromText(const std::string& path, const CsvTextColumn& text,
                            const std::vector<int64_t>& line_numbers, const DatasetSchema& schema,
                            const std::string& classes_of);

}  // namespace aif
