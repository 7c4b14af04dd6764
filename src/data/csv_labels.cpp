#include "data/csv_labels.h"

#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "data/class_lookup.h"

namespace aif {

CsvLabels CsvLabelsFromText(const std::string& path, const CsvTextColumn& text,
                            const std::vector<int64_t>& line_numbers, const DatasetSchema& schema,
                            const std::string& classes_of) {
  const size_t rows = text.values.size();
  if (line_numbers.size() != rows) ThrowInternal("%s: %zu labels for %zu rows", path.c_str(), rows, line_numbers.size());
  auto fail = [&](size_t r, const std::string& why) {
    ThrowData("%s:%lld: column '%s': '%s' %s", path.c_str(), static_cast<long long>(line_numbers[r]),
              text.name.c_str(), text.values[r].c_str(), why.c_str());
  };
  CsvLabels out;
  if (schema.task == Task::kRegression) {
    out.targets.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      const auto v = ParseDouble(text.values[r]);
      if (!v || !std::isfinite(*v)) fail(r, "is not a number; a regression target must be numeric");
      out.targets[r] = static_cast<float>(*v);
    }
    return out;
  }
  const ClassLookup classes(schema.class_names);
  out.classes.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    const auto id = classes.Find(text.values[r]);
    if (!id) fail(r, Format("is not a class of %s (classes: %s)", classes_of.c_str(), classes.Describe().c_str()));
    out.classes[r] = *id;
  }
  return out;
}

}  // namespace aif
