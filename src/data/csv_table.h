// Parses a CSV file with a header row into numeric feature columns and one
// label column (kept as text; the caller decides classes or targets).
// RFC 4180 quoting is supported ("a,b" and "" escapes); lines may end in
// CRLF; blank lines are skipped. Every problem is Error(kData) that names the
// file, the line (1-based, the header is line 1) and the column: a missing
// header, an empty or duplicate column name, a missing label column, a row
// with the wrong number of fields, an empty cell, a cell that is not a
// finite number, or a file with no data rows.
#pragma once

#include <string>
#include <vector>

namespace aif {

struct CsvTable {
  std::vector<std::string> feature_names;  // header order, label column removed
  std::string label_name;
  std::vector<float> features;             // [rows, features] row-major
  std::vector<std::string> labels;         // [rows]
  std::vector<int64_t> line_numbers;       // source line of each row
  int64_t rows() const { return static_cast<int64_t>(labels.size()); }
};

CsvTable ReadCsvTable(const std::string& path, const std::string& label_column);

// Reads only the named columns, as finite numbers, in the order given;
// other columns may hold anything (ids, text labels). Missing columns and bad
// cells are Error(kData) naming the file, line and column. Returns [rows,
// columns.size()] row-major and sets *rows.
std::vector<float> ReadCsvColumns(const std::string& path, const std::vector<std::string>& columns, int64_t* rows);

// Splits one CSV record (no line terminator) into fields. Exposed for tests.
// Returns false on an unterminated quote.
bool SplitCsvRecord(const std::string& line, std::vector<std::string>* fields);

}  // namespace aif
