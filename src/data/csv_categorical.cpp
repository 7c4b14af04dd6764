#include "data/csv_categorical.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "data/csv_table.h"

namespace aif {
namespace {

// "; decimal commas ..." when the column's first text is a number written
// with a decimal comma (a ';' or tab separated export), else "".
std::string DecimalCommaHint(const CsvCategoricalSource& source, char delimiter) {
  std::string dotted = source.first_text;
  std::replace(dotted.begin(), dotted.end(), ',', '.');
  if (delimiter == ',' || dotted == source.first_text || !ParseDouble(dotted)) return "";
  return "; decimal commas are not numbers here: write them with '.'";
}

// What to say about a column with too many values. A detected column is
// usually not meant to be categorical at all.
std::string TooManyCategories(const std::string& path, const std::string& column, const CsvCategoricalSource& source,
                              size_t distinct, int64_t max_categories, char delimiter) {
  std::string msg = Format("%s: column '%s' has %zu distinct values, more than --max-categories %lld", path.c_str(),
                           column.c_str(), distinct, static_cast<long long>(max_categories));
  if (!source.detected) return msg + "; raise --max-categories or drop the column with --ignore-columns";
  msg += Format(". It holds text (first: '%s' on line %lld), so it would be one-hot encoded as a categorical "
                "feature; drop an id or free-text column with --ignore-columns, mark missing values in a numeric "
                "column as empty or NA (with --missing drop), or raise --max-categories",
                source.first_text.c_str(), static_cast<long long>(source.first_text_line));
  return msg + DecimalCommaHint(source, delimiter);
}

}  // namespace

std::vector<std::string> SortCategories(std::vector<std::string> values) {
  const bool numbers = std::all_of(values.begin(), values.end(), [](const std::string& v) { return ParseDouble(v).has_value(); });
  if (numbers) {
    std::stable_sort(values.begin(), values.end(),
                     [](const std::string& a, const std::string& b) { return *ParseDouble(a) < *ParseDouble(b); });
  } else {
    std::sort(values.begin(), values.end());
  }
  return values;
}

void OneHotEncodeCsvColumns(const std::string& path, char delimiter, std::vector<CsvCategoricalSource> sources,
                            int64_t max_categories, CsvTable* t) {
  std::sort(sources.begin(), sources.end(),
            [](const CsvCategoricalSource& a, const CsvCategoricalSource& b) { return a.feature < b.feature; });
  const int64_t rows = t->rows();
  const size_t n = sources.size();

  // Second pass: the text of the categorical columns in the rows kept.
  std::vector<std::vector<std::string>> text(n, std::vector<std::string>(static_cast<size_t>(rows)));
  CsvRecordReader reader(path, delimiter);
  std::vector<std::string> fields;
  int64_t row = 0;
  bool header = true;
  while (reader.Next(&fields)) {
    if (header) {
      header = false;
      continue;
    }
    if (row == rows || reader.line_no() != t->line_numbers[row]) continue;  // a dropped row
    for (size_t k = 0; k < n; ++k) text[k][row] = std::string(Trim(fields.at(sources[k].csv_column)));
    ++row;
  }
  if (reader.read_failed()) ThrowIo("cannot read '%s'", path.c_str());
  if (row != rows) ThrowIo("'%s' changed while it was read (%lld rows, then %lld)", path.c_str(),
                           static_cast<long long>(rows), static_cast<long long>(row));

  // Categories, and each value's position among them.
  std::vector<std::vector<std::string>> categories(n);
  std::vector<std::map<std::string, int64_t>> index(n);
  for (size_t k = 0; k < n; ++k) {
    const std::string& column = t->feature_names[sources[k].feature];
    // Missing cells (kept with --missing mean) are no category: all zeros.
    std::set<std::string> distinct;
    int64_t numbers = 0, present = 0;
    for (const std::string& v : text[k]) {
      if (IsMissingCsvCell(v)) continue;
      distinct.insert(v);
      ++present;
      // Mostly numbers with a few words: a numeric column with bad cells,
      // unless the column was named as categorical.
      numbers += ParseDouble(v).has_value();
    }
    if (distinct.empty()) ThrowData("%s: column '%s' has no values, only missing cells", path.c_str(), column.c_str());
    if (sources[k].detected && 2 * numbers >= present && distinct.size() > 2) {
      ThrowData("%s: column '%s' holds numbers in %lld of %lld rows but text in the others (first: '%s' on line "
                "%lld): mark missing values as empty or NA (with --missing drop), fix those cells, or name the "
                "column in --categorical-columns to one-hot encode it",
                path.c_str(), column.c_str(), static_cast<long long>(numbers), static_cast<long long>(present),
                sources[k].first_text.c_str(), static_cast<long long>(sources[k].first_text_line));
    }
    if (static_cast<int64_t>(distinct.size()) > max_categories) {
      ThrowData("%s", TooManyCategories(path, column, sources[k], distinct.size(), max_categories, reader.delimiter()).c_str());
    }
    // Text in which most rows differ is an id or free text, not categories.
    if (sources[k].detected && distinct.size() > 2 && 2 * static_cast<int64_t>(distinct.size()) > present) {
      ThrowData("%s: column '%s' holds text (first: '%s' on line %lld) with %zu distinct values in %lld rows, so it "
                "looks like an id or free text rather than categories: drop it with --ignore-columns, or name it in "
                "--categorical-columns to one-hot encode it anyway%s",
                path.c_str(), column.c_str(), sources[k].first_text.c_str(),
                static_cast<long long>(sources[k].first_text_line), distinct.size(), static_cast<long long>(present),
                DecimalCommaHint(sources[k], reader.delimiter()).c_str());
    }
    categories[k] = SortCategories(std::vector<std::string>(distinct.begin(), distinct.end()));
    for (size_t i = 0; i < categories[k].size(); ++i) index[k][categories[k][i]] = static_cast<int64_t>(i);
    LogInfo("column '%s' is categorical: %zu values, one-hot encoded (%s)", column.c_str(), categories[k].size(),
            sources[k].detected ? "it holds text" : "--categorical-columns");
  }

  // The features again, each categorical column replaced by its one-hot block.
  const int64_t old_width = static_cast<int64_t>(t->feature_names.size());
  std::vector<int64_t> source_of(old_width, -1);
  for (size_t k = 0; k < n; ++k) source_of[sources[k].feature] = static_cast<int64_t>(k);
  std::vector<std::string> names;
  t->categorical.clear();
  for (int64_t f = 0; f < old_width; ++f) {
    if (source_of[f] < 0) {
      names.push_back(t->feature_names[f]);
      continue;
    }
    const auto& cats = categories[source_of[f]];
    t->categorical.push_back({t->feature_names[f], cats, static_cast<int64_t>(names.size())});
    for (const auto& c : cats) names.push_back(OneHotFeatureName(t->feature_names[f], c));
  }
  const int64_t width = static_cast<int64_t>(names.size());
  std::vector<float> features(static_cast<size_t>(rows * width), 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    float* out = features.data() + r * width;
    const float* in = t->features.data() + r * old_width;
    int64_t at = 0;
    for (int64_t f = 0; f < old_width; ++f) {
      const int64_t k = source_of[f];
      if (k < 0) {
        out[at++] = in[f];
        continue;
      }
      auto hit = index[k].find(text[k][r]);
      if (hit != index[k].end()) out[at + hit->second] = 1.0f;  // else a missing cell: all zeros
      at += static_cast<int64_t>(categories[k].size());
    }
  }
  std::set<std::string> unique(names.begin(), names.end());
  if (unique.size() != names.size()) {
    ThrowData("%s: a one-hot feature name (column=value) is also the name of another column; rename that column",
              path.c_str());
  }
  t->features = std::move(features);
  t->feature_names = std::move(names);
}

}  // namespace aif
