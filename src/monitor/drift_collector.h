// Everything `aif drift` measures on new data, fed batch by batch on each
// rank and reduced once: histograms of the raw features over the model's
// reference bins, the model's predictions (features normalised with the
// model's own constants, as training saw them) and, when the data has them,
// the labels. Finish() turns the reduced state into a DriftResult; it is a
// function of all-reduced integers and doubles, so every rank and every
// number of ranks reaches the same result.
#pragma once

#include <cstdint>
#include <memory>

#include "comm/communicator.h"
#include "monitor/distribution_summaries.h"
#include "monitor/drift_decision.h"
#include "monitor/feature_histograms.h"
#include "nn/model.h"
#include "nn/model_file.h"

namespace aif {

class DriftCollector {
 public:
  // `meta` and `model` must outlive the collector; `model` may be null (no
  // prediction drift). `labels`: whether the new data has labels (the same
  // on every rank).
  DriftCollector(const ModelMetadata& meta, Model* model, bool labels);

  // raw: [n, F] features in the reference's units (not normalised); rows with
  // valid 0 are padding and skipped (valid may be null). class_labels
  // (classification) or targets (regression) when the data has labels, else
  // null.
  void Add(const float* raw, int64_t n, const uint8_t* valid, const int32_t* class_labels, const float* targets);
  // Collective, once, after the last Add on every rank.
  void Reduce(Communicator& comm);
  DriftResult Finish(const DriftThresholds& t) const;

  int64_t rows() const { return features_.rows(); }

 private:
  void Predict(const float* raw, int64_t n, const uint8_t* valid);

  const ModelMetadata& meta_;
  Model* model_;
  bool classification_;
  bool labels_;
  FeatureHistograms features_;
  ClassCounts predicted_classes_, label_classes_;
  ValueMoments predicted_values_, label_values_;
  Tensor input_;  // normalised features of one batch, reused
};

}  // namespace aif
