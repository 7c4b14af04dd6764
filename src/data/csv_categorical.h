// One-hot encoding of CSV text columns for aif prepare. ReadCsvTable's pass
// over the file finds the categorical feature columns (named by
// --categorical-columns, or holding a cell that is not a number) and leaves
// zeros in their place; OneHotEncodeCsvColumns reads the file a second time
// for those columns' text, in the rows the table kept, and replaces each
// column by one 0/1 feature per distinct value (CategoricalFeature in
// data/dataset_format.h). Categories are every value in the file, sorted:
// numerically when all are numbers, else as text. A column with more than
// max_categories values is Error(kData) that names it and says what to do:
// such a column is an id, free text, or a numeric column with a few bad
// cells.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aif {

struct CsvTable;

// One categorical column found by ReadCsvTable.
struct CsvCategoricalSource {
  size_t csv_column = 0;     // field index in the file's records
  int64_t feature = 0;       // its index in CsvTable::feature_names before encoding
  bool detected = false;     // found by a cell that is not a number (else named)
  std::string first_text;    // that cell, and its line, for messages
  int64_t first_text_line = 0;
};

// `sources` in any order. Rewrites t->features, t->feature_names and
// t->categorical.
void OneHotEncodeCsvColumns(const std::string& path, char delimiter, std::vector<CsvCategoricalSource> sources,
                            int64_t max_categories, CsvTable* t);

// The categories as stored: sorted numerically when every value is a
// number, else as text.
std::vector<std::string> SortCategories(std::vector<std::string> values);

}  // namespace aif
