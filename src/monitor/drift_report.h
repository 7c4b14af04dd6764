// The drift report: drift.json (format "aif.drift", version 1; fields in
// docs/monitoring.md) for machines and drift.html (one self-contained page)
// for people, both written atomically into the output directory. The JSON
// is built from a DriftResult; the job adds model, data, lineage and timing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "monitor/drift_decision.h"

namespace aif {

inline constexpr const char* kDriftFormatName = "aif.drift";
inline constexpr int64_t kDriftFormatVersion = 1;
// The exit code of a run that found drift (README.md, "Exit codes"); no
// drift exits 0, failures with the codes of their kind (2..6).
inline constexpr int kDriftExitCode = 20;
// Histograms of this many features (the highest PSI) go into drift.json.
inline constexpr size_t kDriftHistogramFeatures = 8;

// format, format_version, verdict, drift, task, rows, reference_rows,
// thresholds, summary, features, histograms, predictions, labels, warnings.
nlohmann::json DriftResultToJson(const DriftResult& result);

// Writes DIR/drift.json and DIR/drift.html (rendered from the JSON).
void WriteDriftReport(const std::string& dir, const nlohmann::json& report);

}  // namespace aif
