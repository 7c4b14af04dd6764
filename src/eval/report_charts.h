// The figures of the HTML evaluation report. Each renders from the report
// JSON (or the training records of metrics.jsonl) to one inline <svg>, or to
// a short <p class="note"> saying why there is no picture. Inputs are read
// leniently: a missing field or a value of the wrong type never throws.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace aif {

// Heat map, rows = true class, columns = predicted, colour by row share.
std::string ConfusionMatrixFigure(const nlohmann::json& report);
// Precision, recall and F1 per class as grouped bars.
std::string PerClassBarsFigure(const nlohmann::json& report);
// Accuracy against confidence per calibration bin, with the diagonal and counts.
std::string ReliabilityFigure(const nlohmann::json& report);
// Training/validation loss and accuracy against step.
std::string LearningCurvesFigure(const nlohmann::json& metrics_records);
// The residual at each quantile level, for regression (sign as the report has it).
std::string ResidualQuantilesFigure(const nlohmann::json& report);

// Lenient accessors shared by the figures and the page: a missing key or a
// non-object gives null / nullopt / "".
const nlohmann::json& FieldAt(const nlohmann::json& object, const char* key);
std::optional<double> NumberAt(const nlohmann::json& object, const char* key);
std::string StringAt(const nlohmann::json& object, const char* key);
// Class names for n classes: "class_names", else per_class names, else "class i".
std::vector<std::string> ClassNames(const nlohmann::json& report, size_t n);
std::string Note(const std::string& text);

}  // namespace aif
