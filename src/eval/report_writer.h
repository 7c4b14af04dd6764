// The evaluation report: report.json (machine-readable, versioned) and
// report.html (one self-contained page for people), both written atomically
// into the output directory. docs/formats.md describes report.json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace aif {

inline constexpr const char* kReportFormatName = "aif.report";
inline constexpr int64_t kReportFormatVersion = 1;

// Reads a metrics.jsonl into a JSON array (missing file: empty array; lines
// that do not parse are skipped).
nlohmann::json ReadMetricsRecords(const std::string& path);

// Writes DIR/report.json and DIR/report.html; returns their paths' directory.
void WriteReport(const std::string& dir, const nlohmann::json& report, const nlohmann::json& metrics_records);

}  // namespace aif
