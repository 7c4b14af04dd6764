// drift.html: the drift report as one self-contained page (inline CSS and
// SVG; no scripts, fonts or links to fetch), rendered from drift.json. It
// shows the verdict, a summary table, the PSI of the top features, the
// histograms of the most drifted ones, the class shares or the regression
// moments, a table of the top features and the lineage. Every text from the
// inputs is HTML-escaped; missing fields leave out their row or figure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace aif {

// Figures on the page: PSI bars of this many features, histograms of this many.
inline constexpr size_t kDriftPsiBars = 20;
inline constexpr size_t kDriftHistogramFigures = 4;

std::string RenderDriftHtml(const nlohmann::json& report);

}  // namespace aif
