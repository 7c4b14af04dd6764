#include "monitor/csv_labels.h"

#include <cmath>

#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"
#include "data/class_lookup.h"
#include "data/csv_table.h"

namespace aif {

CsvLabels ReadCsvLabels(const std::string& path, const std::string& column, const DatasetSchema& schema) {
  if (!PathExists(path)) ThrowIo("'%s' does not exist; check --data", path.c_str());
  CsvRecordReader reader(path);
  const bool cls = schema.task == Task::kClassification;
  const ClassLookup classes(schema.class_names);
  CsvLabels out;
  std::vector<std::string> fields;
  int64_t where = -1;
  bool header = true;
  while (reader.Next(&fields)) {
    if (header) {
      header = false;
      for (size_t c = 0; c < fields.size(); ++c) {
        if (Trim(fields[c]) == column) where = static_cast<int64_t>(c);
      }
      if (where < 0) return out;
      out.present = true;
      continue;
    }
    if (where >= static_cast<int64_t>(fields.size())) reader.Fail("row has too few fields for column '" + column + "'");
    const std::string cell(Trim(fields[where]));
    if (cell.empty()) reader.Fail("column '" + column + "': missing label");
    if (cls) {
      const auto id = classes.Find(cell);
      if (!id) {
        reader.Fail("column '" + column + "': '" + cell + "' is not one of the model's classes (" + classes.Describe() +
                    ")");
      }
      out.classes.push_back(*id);
    } else {
      auto v = ParseDouble(cell);
      if (!v || !std::isfinite(*v)) reader.Fail("column '" + column + "': '" + cell + "' is not a finite number");
      out.targets.push_back(static_cast<float>(*v));
    }
  }
  if (reader.read_failed()) ThrowIo("cannot read '%s'", path.c_str());
  return out;
}

}  // namespace aif
