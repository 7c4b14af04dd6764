#include "eval/report_writer.h"

#include <fstream>

#include "core/atomic_file.h"
#include "core/fs.h"
#include "eval/report_html.h"

namespace aif {

nlohmann::json ReadMetricsRecords(const std::string& path) {
  nlohmann::json records = nlohmann::json::array();
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto rec = nlohmann::json::parse(line, nullptr, false);
    if (!rec.is_discarded() && rec.is_object()) records.push_back(rec);
  }
  return records;
}

void WriteReport(const std::string& dir, const nlohmann::json& report, const nlohmann::json& metrics_records) {
  MakeDirectories(dir);
  WriteFileAtomic(dir + "/report.json", report.dump(2) + "\n");
  WriteFileAtomic(dir + "/report.html", RenderReportHtml(report, metrics_records));
}

}  // namespace aif
