// Evaluation metrics, accumulated batch by batch on each rank and reduced
// across ranks, so `aif evaluate` scales with the ranks it runs on.
// Classification: loss, accuracy, top-k, the confusion matrix (from which
// per-class precision/recall/F1 and macro/weighted F1 follow) and calibration
// (expected calibration error over equal-width confidence bins). Regression:
// MAE, RMSE, R² and residual quantiles, computed exactly from all residuals.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "tensor/tensor.h"

namespace aif {

class ClassificationMetrics {
 public:
  static constexpr int kCalibrationBins = 15;
  explicit ClassificationMetrics(std::vector<std::string> class_names);
  // logits [N, C], labels i32 [N], valid u8 [N] (padding rows ignored).
  void Add(const Tensor& logits, const Tensor& labels, const Tensor& valid);
  // Sums every rank's counts (collective).
  void Reduce(Communicator& comm);
  // The report fields (see docs/formats.md, report.json).
  nlohmann::json ToJson() const;

  int64_t samples() const { return samples_; }
  double accuracy() const;

 private:
  std::vector<std::string> names_;
  int64_t C_;
  Tensor probs_;
  int64_t samples_ = 0;
  double loss_ = 0;
  std::vector<int64_t> confusion_;           // [C, C], row = true class
  std::vector<int64_t> topk_correct_;        // k = 1, 3, 5
  std::vector<int64_t> bin_count_, bin_correct_;
  std::vector<double> bin_confidence_;
};

class RegressionMetrics {
 public:
  // pred [N, 1] or [N], target f32 [N], valid u8 [N].
  void Add(const Tensor& pred, const Tensor& target, const Tensor& valid);
  void Reduce(Communicator& comm);  // gathers every rank's residuals (collective)
  nlohmann::json ToJson() const;
  int64_t samples() const { return static_cast<int64_t>(residuals_.size()); }

 private:
  std::vector<float> residuals_, targets_;
};

}  // namespace aif
