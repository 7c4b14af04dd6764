// Parses a CSV file with a header row into feature columns and one label
// column (kept as text; the caller decides classes or targets). A feature
// column is numeric, or categorical (text, one-hot encoded; csv_categorical.h).
// Fields are separated by ',', ';', a tab or '|': given, or detected from the
// header row (the one of the four that occurs most outside quotes; ',' when
// none does). RFC 4180 quoting is supported ("a,b" and "" escapes); lines may end in
// CRLF; blank lines are skipped. Every problem is Error(kData) that names the
// file, the line (1-based, the header is line 1) and the column: a missing
// header, an empty or duplicate column name, a missing label column, a row
// with the wrong number of fields, an empty cell, a number that is not
// finite, a categorical column with too many values, or a file with no data
// rows.
// CsvRecordReader is the one place that reads those records (line counting,
// CRLF, BOM, blank lines, quotes); every CSV reader in aif goes through it.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset_format.h"

namespace aif {

// What ReadCsvTable takes from a file. Columns named in ignore_columns are
// dropped (ids, free text); each must exist. delimiter 0 means detect.
// A missing cell (IsMissingCsvCell) in a kept column is an error, or with
// drop_incomplete_rows the row is skipped and counted. A feature column is
// categorical when categorical_columns names it, or when a non-missing cell
// is not a number; one with more than
// max_categories distinct values is an error (an id or free text).
struct CsvTableOptions {
  std::string label_column;
  std::vector<std::string> ignore_columns;
  char delimiter = 0;
  bool drop_incomplete_rows = false;
  // --missing mean: a missing feature cell is kept as NaN (numeric columns;
  // the caller fills it) or as no category (one-hot all zero); a row whose
  // label is missing is dropped.
  bool impute_missing = false;
  std::vector<std::string> categorical_columns;
  int64_t max_categories = 100;
};

struct CsvTable {
  std::vector<std::string> feature_names;  // header order, label column removed, categorical columns one-hot
  std::vector<CategoricalFeature> categorical;
  std::string label_name;
  std::vector<float> features;             // [rows, features] row-major
  std::vector<std::string> labels;         // [rows]
  std::vector<int64_t> line_numbers;       // source line of each row
  int64_t dropped_rows = 0;                // rows skipped for a missing cell
  int64_t missing_cells = 0;               // feature cells left missing (impute_missing)
  int64_t rows() const { return static_cast<int64_t>(labels.size()); }
};

CsvTable ReadCsvTable(const std::string& path, const CsvTableOptions& options);

// A cell that marks a missing value: empty, "?", or NA, N/A, NaN, null in
// any case (after trimming).
bool IsMissingCsvCell(std::string_view cell);

// A column read as text, alongside ReadCsvColumns' numbers: `name`, the
// option that named it (`flag`, for the error when it is missing), and its
// trimmed cells, one per row (empty cells stay ""). An `optional` column may
// be absent: `present` says whether the file has it. Where the file lacks
// `name`, the first of `fallbacks` it has is read instead (and becomes `name`).
struct CsvTextColumn {
  std::string name;
  const char* flag = "";
  std::vector<std::string> values;
  bool optional = false;
  bool present = false;
  std::vector<std::string> fallbacks = {};
};

// A column a model reads from CSV: numeric, or categorical (one-hot over
// `categories`, in that order).
struct CsvInputColumn {
  std::string name;
  std::vector<std::string> categories;  // empty: numeric
  float fill = 0.0f;                    // a missing numeric cell's value, with impute_missing
  int64_t width() const { return categories.empty() ? 1 : static_cast<int64_t>(categories.size()); }
};

// The CSV columns behind a schema's features, in feature order (with the
// schema's impute values as fills).
std::vector<CsvInputColumn> CsvInputColumns(const DatasetSchema& schema);

// What ReadCsvColumns read: [rows, sum of widths] row-major, each row's
// source line, the rows skipped for a missing value, and per categorical
// column with values that are not among its categories (one-hot all zero) a
// line saying how many rows and one example.
struct CsvColumns {
  std::vector<float> values;
  int64_t rows = 0;
  std::vector<int64_t> line_numbers;
  int64_t dropped_rows = 0;
  int64_t imputed_cells = 0;  // missing cells filled (impute_missing)
  bool by_position = false;   // pixels_by_position was used
  std::vector<std::string> unseen_categories;
};

// How ReadCsvColumns reads: with `text`, it also fills text->values from the
// column text->name in the same pass; a missing value in a read column (and,
// with text_required, in the text column) is an error that ends with
// `missing_value_hint`, or with drop_incomplete_rows the row is skipped and
// counted; with impute_missing a missing cell of a read column takes its
// column's fill (categorical: all zeros) and is counted.
// `delimiter` 0 detects it; `needed_by` names who needs the columns in the
// error for a missing one.
struct CsvColumnsOptions {
  CsvTextColumn* text = nullptr;
  bool text_required = false;
  bool drop_incomplete_rows = false;
  bool impute_missing = false;
  std::string missing_value_hint;
  char delimiter = 0;
  std::string needed_by = "the model";
  // Image models: when the header lacks a column's name, the columns other
  // than the text column and `not_pixels` are the pixels, in order, if there
  // are as many as columns asked for (a pixel CSV names them as it likes).
  bool pixels_by_position = false;
  std::vector<std::string> not_pixels;
};

// For a model's CSV input: impute_missing when its schema imputes, and, for
// an image model, pixels by position (not its label column) when the CSV
// names them otherwise.
CsvColumnsOptions ModelCsvOptions(const DatasetSchema& schema);

// Reads only the given columns, in the order given: numeric ones as finite
// numbers, categorical ones one-hot; other columns may hold anything (ids,
// text labels). Missing columns and bad or missing cells are Error(kData)
// naming the file, line and column.
CsvColumns ReadCsvColumns(const std::string& path, const std::vector<CsvInputColumn>& columns,
                          const CsvColumnsOptions& options = {});

// What a scoring job logs once (on one rank) about a CSV it read: the
// columns with values outside the model's categories, and how many missing
// values took the model's train means (impute_missing).
std::vector<std::string> CsvReadNotes(const std::string& path, const CsvColumns& read);

// Reads a CSV file record by record: counts lines (1-based), drops a trailing
// '\r' and a UTF-8 BOM on line 1, skips blank lines and splits the rest with
// SplitCsvRecord, on `delimiter` or (0) the one DetectCsvDelimiter finds in
// the first record. An unterminated quoted field is Error(kData)
// "path:line: unterminated quoted field". The caller checks that the path
// exists (its message names its own flag); a file that cannot be opened is
// an errno Error. Not thread-safe; one reader per file.
class CsvRecordReader {
 public:
  explicit CsvRecordReader(const std::string& path, char delimiter = 0);

  // Fills *fields with the next non-blank record; false at the end of the
  // file or on a read error (see read_failed).
  bool Next(std::vector<std::string>* fields);
  // Line of the record last returned (the last line read once Next is false).
  int64_t line_no() const { return line_no_; }
  // True if reading stopped on an I/O error rather than the end of the file.
  bool read_failed() const { return in_.bad(); }
  // The separator in use (0 until the first record when detecting).
  char delimiter() const { return delimiter_; }
  // Throws Error(kData) "path:line: what" for the record last returned.
  [[noreturn]] void Fail(const std::string& what) const;

 private:
  std::string path_;
  std::ifstream in_;
  std::string line_;
  int64_t line_no_ = 0;
  char delimiter_ = 0;
};

// Splits one CSV record (no line terminator) into fields. Exposed for tests.
// Returns false on an unterminated quote.
bool SplitCsvRecord(const std::string& line, std::vector<std::string>* fields, char delimiter = ',');

// The separator of a header line: whichever of ',', ';', '\t' and '|' occurs
// most often outside quotes (ties in that order); ',' when none occurs.
char DetectCsvDelimiter(const std::string& header_line);

// Parses a --delimiter value: "auto" (0), ",", ";", "|", "tab" or "\t".
// Anything else is Error(kUsage).
char ParseCsvDelimiter(const std::string& text);

}  // namespace aif
