// The figures of drift.html, each rendered from drift.json to one inline
// <svg> (or a short note saying why there is none): PSI of the top features
// against the thresholds, reference and new histograms of one feature, and
// class shares of the reference, the predictions and the new labels. Inputs
// are read leniently: a missing or mistyped field never throws.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace aif {

// Horizontal bars of the `top` features with the highest PSI, coloured by
// level, with the moderate and drift thresholds as dashed lines.
std::string PsiBarsFigure(const nlohmann::json& report, size_t top);
// One entry of report["histograms"]: the reference's and the new data's share
// per bin, with the below/above-range bins at the ends.
std::string FeatureHistogramFigure(const nlohmann::json& histogram);
// Classification: reference, predicted and (when present) new label shares per class.
std::string ClassSharesFigure(const nlohmann::json& report);

}  // namespace aif
