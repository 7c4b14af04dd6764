#include "monitor/drift_collector.h"

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"

namespace aif {

DriftCollector::DriftCollector(const ModelMetadata& meta, Model* model, bool labels)
    : meta_(meta),
      model_(model),
      classification_(meta.schema.task == Task::kClassification),
      labels_(labels),
      features_(meta.reference_stats),
      predicted_classes_(meta.schema.num_classes()),
      label_classes_(meta.schema.num_classes()),
      predicted_values_(meta.reference_stats.label_min, meta.reference_stats.label_max,
                        meta.reference_stats.label_min),
      label_values_(meta.reference_stats.label_min, meta.reference_stats.label_max, meta.reference_stats.label_min) {
  const int64_t F = meta.schema.num_features();
  if (features_.num_features() != F) {
    ThrowData("the model's reference statistics cover %lld features, its schema %lld",
              static_cast<long long>(features_.num_features()), static_cast<long long>(F));
  }
  if (model_ && (static_cast<int64_t>(meta.norm_offset.size()) != F ||
                 static_cast<int64_t>(meta.norm_scale.size()) != F)) {
    ThrowData("the model's normalisation constants cover %zu features, its schema %lld", meta.norm_offset.size(),
              static_cast<long long>(F));
  }
}

void DriftCollector::Add(const float* raw, int64_t n, const uint8_t* valid, const int32_t* class_labels,
                         const float* targets) {
  features_.Add(raw, n, valid);
  if (labels_) {
    for (int64_t i = 0; i < n; ++i) {
      if (valid && !valid[i]) continue;
      if (classification_) {
        AIF_CHECK(class_labels, "class labels expected");
        label_classes_.Add(class_labels[i]);
      } else {
        AIF_CHECK(targets, "targets expected");
        label_values_.Add(targets[i]);
      }
    }
  }
  if (model_ && n > 0) Predict(raw, n, valid);
}

void DriftCollector::Predict(const float* raw, int64_t n, const uint8_t* valid) {
  const int64_t F = meta_.schema.num_features();
  if (!input_.defined() || input_.dim(0) != n) input_ = Tensor::Empty({n, F});
  float* x = input_.data<float>();
  const float* offset = meta_.norm_offset.data();
  const float* scale = meta_.norm_scale.data();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t f = 0; f < F; ++f) x[i * F + f] = (raw[i * F + f] - offset[f]) * scale[f];
  }
  PassContext pass;
  pass.training = false;
  Tensor y = model_->ForwardToHost(input_, pass);
  const int64_t width = y.dim(1);
  const float* out = y.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    if (valid && !valid[i]) continue;
    const float* row = out + i * width;
    if (classification_) {
      // Ties go to the lower class, as in evaluation.
      predicted_classes_.Add(static_cast<int32_t>(std::max_element(row, row + width) - row));
    } else {
      predicted_values_.Add(row[0]);
    }
  }
}

void DriftCollector::Reduce(Communicator& comm) {
  features_.Reduce(comm);
  if (classification_) {
    predicted_classes_.Reduce(comm);
    label_classes_.Reduce(comm);
  } else {
    predicted_values_.Reduce(comm);
    label_values_.Reduce(comm);
  }
}

DriftResult DriftCollector::Finish(const DriftThresholds& t) const {
  const FeatureStats& ref = meta_.reference_stats;
  DriftResult r;
  r.task = TaskName(meta_.schema.task);
  r.rows = features_.rows();
  r.reference_rows = ref.count;
  r.thresholds = t;
  const int64_t K = features_.reference_bins();
  const DriftCriticalValues critical{KsCriticalValue(t.ks_alpha, r.rows, r.reference_rows),
                                     PsiCriticalValue(t.ks_alpha, K, r.rows, r.reference_rows)};
  for (int64_t f = 0; f < features_.num_features(); ++f) {
    FeatureDrift d;
    d.index = f;
    d.name = f < static_cast<int64_t>(meta_.schema.feature_names.size()) ? meta_.schema.feature_names[f]
                                                                         : Format("feature_%lld", static_cast<long long>(f));
    d.reference_counts = features_.ReferenceCounts(f);
    d.counts = features_.Counts(f);
    d.edges.assign(ref.hist_edges.begin() + f * (K + 1), ref.hist_edges.begin() + (f + 1) * (K + 1));
    d.reference_constant = !(ref.max[f] > ref.min[f]);
    d.reference_mean = f < static_cast<int64_t>(ref.mean.size()) ? ref.mean[f] : 0;
    d.reference_std = f < static_cast<int64_t>(ref.std.size()) ? ref.std[f] : 0;
    d.mean = features_.Mean(f);
    d.std = features_.Std(f);
    d.min = features_.Min(f);
    d.max = features_.Max(f);
    MeasureFeature(&d, critical, t);
    r.features.push_back(std::move(d));
  }
  r.summary = Summarise(r.features, critical, PsiNoiseFloor(K, r.rows, r.reference_rows), t);
  if (r.summary.psi_noise > t.psi_moderate / 2) {
    r.warnings.push_back(Format("only %lld rows: PSI between two samples of one distribution is about %.3g by "
                                "chance alone (the moderate threshold is %g), so only PSI above %.3g, its critical "
                                "value, counts; use more rows to detect smaller shifts",
                                static_cast<long long>(r.rows), r.summary.psi_noise, t.psi_moderate,
                                r.summary.psi_critical));
  }
  if (classification_) {
    const std::vector<double> reference(ref.label_counts.begin(), ref.label_counts.end());
    const bool usable = reference.size() == static_cast<size_t>(meta_.schema.num_classes());
    if (model_ && usable) r.predictions = CompareClasses(meta_.schema.class_names, reference, predicted_classes_, t);
    if (labels_ && usable) r.labels = CompareClasses(meta_.schema.class_names, reference, label_classes_, t);
    if (!usable) r.warnings.push_back("the model's reference statistics hold no label counts");
  } else {
    if (model_) {
      r.predictions = CompareMoments(ref.label_mean, ref.label_std, ref.label_min, ref.label_max, predicted_values_, t);
    }
    if (labels_) r.labels = CompareMoments(ref.label_mean, ref.label_std, ref.label_min, ref.label_max, label_values_, t);
  }
  Decide(&r);
  return r;
}

}  // namespace aif
