// The evaluation report as one self-contained HTML page: inline CSS and
// inline SVG only (no scripts, fonts or links to fetch), so it opens offline
// and can be archived next to report.json. Every text from the inputs is
// HTML-escaped; missing optional fields leave out their row or figure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace aif {

// `report`: the report JSON of `aif evaluate` (task, split, samples, model,
// dataset, lineage, timing, metrics; see docs/formats.md). `metrics_records`:
// the training records of metrics.jsonl as a JSON array, possibly empty.
std::string RenderReportHtml(const nlohmann::json& report, const nlohmann::json& metrics_records);

}  // namespace aif
