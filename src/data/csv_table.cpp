#include "data/csv_table.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"
#include "data/csv_categorical.h"

namespace aif {

bool SplitCsvRecord(const std::string& line, std::vector<std::string>* fields, char delimiter) {
  fields->clear();
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delimiter) {
      fields->push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  fields->push_back(cur);
  return !quoted;
}

char DetectCsvDelimiter(const std::string& header_line) {
  const char candidates[] = {',', ';', '\t', '|'};
  size_t counts[4] = {0, 0, 0, 0};
  bool quoted = false;
  for (char c : header_line) {
    if (c == '"') quoted = !quoted;  // "" toggles twice: no net change
    if (quoted) continue;
    for (int k = 0; k < 4; ++k) counts[k] += c == candidates[k];
  }
  int best = 0;
  for (int k = 1; k < 4; ++k) {
    if (counts[k] > counts[best]) best = k;
  }
  return candidates[best];
}

char ParseCsvDelimiter(const std::string& text) {
  if (text == "auto") return 0;
  if (text == "," || text == ";" || text == "|") return text[0];
  if (text == "tab" || text == "\\t" || text == "\t") return '\t';
  ThrowUsage("--delimiter must be auto, ',', ';', '|' or tab, got '%s'", text.c_str());
}

CsvRecordReader::CsvRecordReader(const std::string& path, char delimiter)
    : path_(path), in_(path, std::ios::binary), delimiter_(delimiter) {
  if (!in_) ThrowErrno("cannot open '" + path + "'");
}

bool CsvRecordReader::Next(std::vector<std::string>* fields) {
  while (std::getline(in_, line_)) {
    ++line_no_;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_no_ == 1 && line_.size() >= 3 && line_.compare(0, 3, "\xEF\xBB\xBF") == 0) line_.erase(0, 3);  // BOM
    if (Trim(line_).empty()) continue;
    if (delimiter_ == 0) delimiter_ = DetectCsvDelimiter(line_);
    if (!SplitCsvRecord(line_, fields, delimiter_)) Fail("unterminated quoted field");
    return true;
  }
  return false;
}

void CsvRecordReader::Fail(const std::string& what) const {
  throw Error(ErrorKind::kData, Format("%s:%lld: %s", path_.c_str(), static_cast<long long>(line_no_), what.c_str()));
}

CsvTable ReadCsvTable(const std::string& path, const CsvTableOptions& options) {
  if (!PathExists(path)) ThrowIo("'%s' does not exist; check --input", path.c_str());
  if (IsDirectory(path)) ThrowIo("'%s' is a directory, expected a CSV file", path.c_str());
  const std::string& label_column = options.label_column;
  CsvRecordReader reader(path, options.delimiter);
  CsvTable t;
  std::vector<std::string> fields;
  std::vector<std::string> column_names;
  // Per column: -2 ignored, -1 the label, else the feature index.
  constexpr int64_t kIgnored = -2, kLabel = -1;
  std::vector<int64_t> role;
  // Categorical feature columns, and per feature its index among them (-1:
  // numeric so far).
  std::vector<CsvCategoricalSource> categorical;
  std::vector<int64_t> categorical_of;
  bool have_header = false;
  while (reader.Next(&fields)) {
    if (!have_header) {
      bool all_numbers = fields.size() > 1;
      for (const std::string& f : fields) {  // (numbers are names only if one is the label column's)
        all_numbers = all_numbers && ParseDouble(Trim(f)).has_value() && Trim(f) != label_column;
      }
      if (all_numbers) {
        reader.Fail(Format("the first row looks like data (all %zu fields are numbers); the file needs a header row "
                           "naming its columns",
                           fields.size()));
      }
      std::set<std::string> seen;
      std::set<std::string> ignore(options.ignore_columns.begin(), options.ignore_columns.end());
      std::set<std::string> named_categorical(options.categorical_columns.begin(), options.categorical_columns.end());
      bool have_label = false;
      for (size_t c = 0; c < fields.size(); ++c) {
        std::string name(Trim(fields[c]));
        if (name.empty()) reader.Fail(Format("header: column %zu has no name (a header row is required)", c + 1));
        if (!seen.insert(name).second) reader.Fail("header: duplicate column name '" + name + "'");
        column_names.push_back(name);
        if (name == label_column) {
          if (ignore.count(name)) reader.Fail("header: --ignore-columns names the label column '" + name + "'");
          role.push_back(kLabel);
          have_label = true;
        } else if (ignore.count(name)) {
          role.push_back(kIgnored);
        } else {
          if (named_categorical.count(name)) {
            categorical.push_back({c, static_cast<int64_t>(t.feature_names.size()), false, "", 0});
            categorical_of.push_back(static_cast<int64_t>(categorical.size()) - 1);
          } else {
            categorical_of.push_back(-1);
          }
          role.push_back(static_cast<int64_t>(t.feature_names.size()));
          t.feature_names.push_back(name);
        }
      }
      std::string columns_text;  // at most 20 names: a pixel CSV has hundreds
      if (column_names.size() <= 20) {
        columns_text = Join(column_names, ", ");
      } else {
        columns_text = Join(std::vector<std::string>(column_names.begin(), column_names.begin() + 20), ", ") +
                       Format(", ... (%zu columns)", column_names.size());
      }
      if (!have_label) {
        std::string hint;
        if (fields.size() == 1) hint = "; the header is one column: check --delimiter (auto detects , ; tab and |)";
        reader.Fail("header: no column named '" + label_column + "' for --label-column (columns: " + columns_text + ")" +
                    hint);
      }
      for (const std::string& name : options.ignore_columns) {
        if (!seen.count(name)) {
          reader.Fail("header: no column named '" + name + "' for --ignore-columns (columns: " + columns_text + ")");
        }
      }
      for (const std::string& name : options.categorical_columns) {
        if (!seen.count(name)) {
          reader.Fail("header: no column named '" + name + "' for --categorical-columns (columns: " + columns_text + ")");
        }
        if (name == label_column || ignore.count(name)) {
          reader.Fail("header: --categorical-columns names '" + name + "', which is the label or an ignored column");
        }
      }
      if (t.feature_names.empty()) reader.Fail("header: no feature columns besides the label and ignored columns");
      t.label_name = label_column;
      have_header = true;
      continue;
    }
    if (fields.size() != column_names.size()) {
      reader.Fail(Format("row has %zu fields, the header has %zu", fields.size(), column_names.size()));
    }
    // A missing cell in a kept column: the row is dropped, or an error;
    // with impute_missing only a missing label drops the row.
    bool complete = true;
    for (size_t c = 0; c < fields.size() && complete; ++c) {
      if (role[c] == kIgnored || !IsMissingCsvCell(Trim(fields[c]))) continue;
      if (options.impute_missing && role[c] != kLabel) continue;
      if (!options.drop_incomplete_rows && !options.impute_missing) {
        const std::string cell(Trim(fields[c]));
        reader.Fail("column '" + column_names[c] + "': missing value" + (cell.empty() ? "" : " ('" + cell + "')") +
                    "; pass --missing drop to skip incomplete rows");
      }
      complete = false;
    }
    if (!complete) {
      ++t.dropped_rows;
      continue;
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      if (role[c] == kIgnored) continue;
      std::string_view cell = Trim(fields[c]);
      const std::string& col = column_names[c];
      if (role[c] == kLabel) {
        t.labels.emplace_back(cell);
        continue;
      }
      const int64_t feature = role[c];
      if (options.impute_missing && IsMissingCsvCell(cell)) {  // filled by the caller, or no category
        t.features.push_back(std::numeric_limits<float>::quiet_NaN());
        ++t.missing_cells;
        continue;
      }
      if (categorical_of[feature] >= 0) {  // one-hot encoded after this pass
        t.features.push_back(0.0f);
        continue;
      }
      auto v = ParseDouble(cell);
      if (!v) {  // text: this column is categorical
        categorical.push_back({c, feature, true, std::string(cell), reader.line_no()});
        categorical_of[feature] = static_cast<int64_t>(categorical.size()) - 1;
        t.features.push_back(0.0f);
        continue;
      }
      if (!std::isfinite(*v)) {
        reader.Fail("column '" + col + "': '" + std::string(cell) + "' is not a finite number");
      }
      if (std::fabs(*v) > 3.4e38) reader.Fail("column '" + col + "': '" + std::string(cell) + "' overflows float32");
      t.features.push_back(static_cast<float>(*v));
    }
    t.line_numbers.push_back(reader.line_no());
  }
  if (reader.read_failed()) ThrowIo("cannot read '%s'", path.c_str());
  if (!have_header) ThrowData("%s: the file is empty; a header row and data rows are required", path.c_str());
  if (t.rows() == 0 && t.dropped_rows > 0) {
    ThrowData("%s: all %lld data rows have a missing value (--missing drop)", path.c_str(),
              static_cast<long long>(t.dropped_rows));
  }
  if (t.rows() == 0) ThrowData("%s: the file has a header but no data rows", path.c_str());
  if (!categorical.empty()) OneHotEncodeCsvColumns(path, reader.delimiter(), categorical, options.max_categories, &t);
  return t;
}

std::vector<std::string> CsvReadNotes(const std::string& path, const CsvColumns& read) {
  std::vector<std::string> notes = read.unseen_categories;
  if (read.by_position) {
    notes.push_back(Format("%s: the columns do not carry the model's pixel names, so its pixels are taken by "
                           "position (every column but the label and id columns: the model's label name, 'label', "
                           "'id', and --label-column or --id-column)",
                           path.c_str()));
  }
  if (read.imputed_cells > 0) {
    notes.push_back(Format("%s: %lld missing values took the model's train means (categorical: all zeros), as its "
                           "dataset was prepared with --missing mean",
                           path.c_str(), static_cast<long long>(read.imputed_cells)));
  }
  return notes;
}

bool IsMissingCsvCell(std::string_view cell) {
  if (cell.empty() || cell == "?") return true;
  if (cell.size() > 4) return false;  // every cell of a table passes here: no copy for numbers and words
  char lower[4];
  for (size_t i = 0; i < cell.size(); ++i) {
    lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(cell[i])));
  }
  const std::string_view v(lower, cell.size());
  return v == "na" || v == "n/a" || v == "nan" || v == "null";
}

std::vector<CsvInputColumn> CsvInputColumns(const DatasetSchema& schema) {
  std::vector<CsvInputColumn> columns;
  size_t next_categorical = 0;
  for (int64_t f = 0; f < schema.num_features();) {
    if (next_categorical < schema.categorical.size() && schema.categorical[next_categorical].first_feature == f) {
      const CategoricalFeature& c = schema.categorical[next_categorical++];
      columns.push_back({c.column, c.categories});
      f += static_cast<int64_t>(c.categories.size());
    } else {
      columns.push_back({schema.feature_names[f], {}});
      if (!schema.impute_values.empty()) columns.back().fill = schema.impute_values[f];
      ++f;
    }
  }
  return columns;
}

CsvColumnsOptions ModelCsvOptions(const DatasetSchema& schema) {
  CsvColumnsOptions options;
  options.impute_missing = !schema.impute_values.empty();
  if (schema.sample_shape.size() > 1 && schema.categorical.empty()) {
    options.pixels_by_position = true;
    options.not_pixels = {schema.label_name, "label", "id"};  // Kaggle-style pixel CSVs: label, pixel1..
  }
  return options;
}

namespace {

// The header's columns that are neither `text` nor one of `not_pixels`.
std::vector<size_t> PixelColumns(const std::vector<std::string>& header, const std::string& text,
                                 const std::vector<std::string>& not_pixels) {
  std::vector<size_t> out;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string name(Trim(header[i]));
    if (name == text || std::find(not_pixels.begin(), not_pixels.end(), name) != not_pixels.end()) continue;
    out.push_back(i);
  }
  return out;
}

}  // namespace

CsvColumns ReadCsvColumns(const std::string& path, const std::vector<CsvInputColumn>& columns,
                          const CsvColumnsOptions& options) {
  if (!PathExists(path)) ThrowIo("'%s' does not exist; check --data", path.c_str());
  CsvTextColumn* text = options.text;
  CsvRecordReader reader(path, options.delimiter);
  std::vector<std::string> fields;
  std::vector<size_t> where;
  size_t text_where = 0;
  size_t width = 0;
  // Per categorical column: category -> one-hot position, and the rows with
  // a value outside them (count, first one).
  std::vector<std::unordered_map<std::string, int64_t>> category_index(columns.size());
  std::vector<int64_t> unseen_rows(columns.size(), 0);
  std::vector<std::string> unseen_example(columns.size());
  for (size_t k = 0; k < columns.size(); ++k) {
    for (size_t i = 0; i < columns[k].categories.size(); ++i) category_index[k][columns[k].categories[i]] = i;
  }
  CsvColumns out;
  // A missing cell: the row is skipped, or an error.
  auto missing = [&](const std::string& name, std::string_view cell) {
    if (options.drop_incomplete_rows) return true;
    reader.Fail("column '" + name + "': missing value" + (cell.empty() ? "" : " ('" + std::string(cell) + "')") +
                options.missing_value_hint);
  };
  while (reader.Next(&fields)) {
    if (width == 0) {
      auto find = [&](const std::string& name) {
        return std::find_if(fields.begin(), fields.end(), [&](const std::string& f) { return Trim(f) == name; });
      };
      if (text) {
        auto it = find(text->name);
        for (size_t i = 0; it == fields.end() && i < text->fallbacks.size(); ++i) {
          it = find(text->fallbacks[i]);
          if (it != fields.end()) text->name = text->fallbacks[i];
        }
        text->present = it != fields.end();
        if (!text->present && !text->optional) {
          reader.Fail("header: no column '" + text->name + "' for " + text->flag);
        }
        if (!text->present) text = nullptr;  // an optional column the file lacks
        else text_where = static_cast<size_t>(it - fields.begin());
      }
      for (const CsvInputColumn& column : columns) {
        auto it = find(column.name);
        if (it == fields.end()) break;
        where.push_back(static_cast<size_t>(it - fields.begin()));
      }
      if (where.size() < columns.size() && options.pixels_by_position) {
        where = PixelColumns(fields, text ? text->name : "", options.not_pixels);
        if (where.size() != columns.size()) {
          reader.Fail(Format("header: no column '%s', which %s needs; taken by position, the %zu columns besides the "
                             "label and id columns are not its %zu pixels",
                             columns[0].name.c_str(), options.needed_by.c_str(), where.size(), columns.size()));
        }
        out.by_position = true;
      }
      if (where.size() < columns.size()) {
        reader.Fail("header: no column '" + columns[where.size()].name + "', which " + options.needed_by + " needs");
      }
      width = fields.size();
      continue;
    }
    if (fields.size() != width) reader.Fail(Format("row has %zu fields, the header has %zu", fields.size(), width));
    bool incomplete = text && options.text_required && IsMissingCsvCell(Trim(fields[text_where])) &&
                      missing(text->name, Trim(fields[text_where]));
    for (size_t k = 0; k < where.size() && !incomplete && !options.impute_missing; ++k) {
      std::string_view cell = Trim(fields[where[k]]);
      if (IsMissingCsvCell(cell)) incomplete = missing(columns[k].name, cell);
    }
    if (incomplete) {
      ++out.dropped_rows;
      continue;
    }
    for (size_t k = 0; k < where.size(); ++k) {
      std::string_view cell = Trim(fields[where[k]]);
      if (options.impute_missing && IsMissingCsvCell(cell)) {
        ++out.imputed_cells;
        if (columns[k].categories.empty()) out.values.push_back(columns[k].fill);
        else out.values.resize(out.values.size() + columns[k].categories.size(), 0.0f);
        continue;
      }
      if (!columns[k].categories.empty()) {
        const size_t at = out.values.size();
        out.values.resize(at + columns[k].categories.size(), 0.0f);
        auto hit = category_index[k].find(std::string(cell));
        if (hit != category_index[k].end()) {
          out.values[at + hit->second] = 1.0f;
        } else if (unseen_rows[k]++ == 0) {
          unseen_example[k] = Format("'%.*s' on line %lld", static_cast<int>(cell.size()), cell.data(),
                                     static_cast<long long>(reader.line_no()));
        }
        continue;
      }
      auto v = ParseDouble(cell);
      if (!v || !std::isfinite(*v)) {
        reader.Fail("column '" + columns[k].name + "': '" + std::string(cell) + "' is not a finite number");
      }
      out.values.push_back(static_cast<float>(*v));
    }
    if (text) text->values.emplace_back(Trim(fields[text_where]));
    out.line_numbers.push_back(reader.line_no());
    ++out.rows;
  }
  if (width == 0) ThrowData("%s: the file is empty; a header row is required", path.c_str());
  if (reader.read_failed()) ThrowIo("cannot read '%s'", path.c_str());
  for (size_t k = 0; k < columns.size(); ++k) {
    if (unseen_rows[k] == 0) continue;
    out.unseen_categories.push_back(Format("%s: column '%s': %lld of %lld rows hold a value the model was not trained "
                                           "on (first: %s); their one-hot features are all zero",
                                           path.c_str(), columns[k].name.c_str(), static_cast<long long>(unseen_rows[k]),
                                           static_cast<long long>(out.rows), unseen_example[k].c_str()));
  }
  return out;
}

}  // namespace aif
