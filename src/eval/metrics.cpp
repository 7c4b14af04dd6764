#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "kernels/ops.h"

namespace aif {
namespace {

const int64_t kTopK[] = {1, 3, 5};

// Sums a vector of counts over the ranks.
void SumCounts(Communicator& comm, std::vector<int64_t>* v) {
  if (v->empty()) return;
  Tensor t = Tensor::Empty({static_cast<int64_t>(v->size())}, DType::kI64);
  std::copy(v->begin(), v->end(), t.data<int64_t>());
  comm.AllReduce(t, ReduceOp::kSum);
  std::copy(t.data<int64_t>(), t.data<int64_t>() + v->size(), v->begin());
}

// Sums doubles over the ranks, as float32 (7 significant digits suffice
// for reported means; the counts they are divided by are exact).
void SumValues(Communicator& comm, std::vector<double>* v) {
  Tensor t = Tensor::Empty({static_cast<int64_t>(v->size())});
  for (size_t i = 0; i < v->size(); ++i) t.data<float>()[i] = static_cast<float>((*v)[i]);
  comm.AllReduce(t, ReduceOp::kSum);
  for (size_t i = 0; i < v->size(); ++i) (*v)[i] = t.data<float>()[i];
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

}  // namespace

ClassificationMetrics::ClassificationMetrics(std::vector<std::string> class_names)
    : names_(std::move(class_names)), C_(static_cast<int64_t>(names_.size())) {
  confusion_.assign(C_ * C_, 0);
  topk_correct_.assign(3, 0);
  bin_count_.assign(kCalibrationBins, 0);
  bin_correct_.assign(kCalibrationBins, 0);
  bin_confidence_.assign(kCalibrationBins, 0.0);
}

void ClassificationMetrics::Add(const Tensor& logits, const Tensor& labels, const Tensor& valid) {
  const int64_t N = logits.dim(0);
  AIF_CHECK(logits.dim(1) == C_, "logits do not match the classes");
  if (!probs_.defined() || probs_.shape() != logits.shape()) probs_ = Tensor::Empty(logits.shape());
  ops::Softmax(logits, probs_);
  for (int k = 0; k < 3; ++k) topk_correct_[k] += ops::CountTopK(logits, labels, valid, std::min(kTopK[k], C_));
  const float* p = probs_.data<float>();
  const int32_t* y = labels.data<int32_t>();
  const uint8_t* v = valid.defined() ? valid.data<uint8_t>() : nullptr;
  for (int64_t r = 0; r < N; ++r) {
    if (v && !v[r]) continue;
    const float* row = p + r * C_;
    int64_t pred = 0;
    for (int64_t c = 1; c < C_; ++c) {
      if (row[c] > row[pred]) pred = c;
    }
    const int32_t label = y[r];
    if (label < 0 || label >= C_) ThrowData("label %d outside the model's %lld classes", label, (long long)C_);
    confusion_[label * C_ + pred]++;
    loss_ -= std::log(std::max(row[label], 1e-30f));
    const double conf = row[pred];
    const int bin = std::min(kCalibrationBins - 1, static_cast<int>(conf * kCalibrationBins));
    bin_count_[bin]++;
    bin_correct_[bin] += pred == label;
    bin_confidence_[bin] += conf;
    ++samples_;
  }
}

void ClassificationMetrics::Reduce(Communicator& comm) {
  std::vector<int64_t> counts = {samples_};
  counts.insert(counts.end(), confusion_.begin(), confusion_.end());
  counts.insert(counts.end(), topk_correct_.begin(), topk_correct_.end());
  counts.insert(counts.end(), bin_count_.begin(), bin_count_.end());
  counts.insert(counts.end(), bin_correct_.begin(), bin_correct_.end());
  SumCounts(comm, &counts);
  size_t at = 0;
  samples_ = counts[at++];
  for (auto& c : confusion_) c = counts[at++];
  for (auto& c : topk_correct_) c = counts[at++];
  for (auto& c : bin_count_) c = counts[at++];
  for (auto& c : bin_correct_) c = counts[at++];
  std::vector<double> values = {loss_};
  values.insert(values.end(), bin_confidence_.begin(), bin_confidence_.end());
  SumValues(comm, &values);
  loss_ = values[0];
  std::copy(values.begin() + 1, values.end(), bin_confidence_.begin());
}

double ClassificationMetrics::accuracy() const {
  int64_t correct = 0;
  for (int64_t c = 0; c < C_; ++c) correct += confusion_[c * C_ + c];
  return Ratio(static_cast<double>(correct), static_cast<double>(samples_));
}

nlohmann::json ClassificationMetrics::ToJson() const {
  nlohmann::json j;
  j["samples"] = samples_;
  j["accuracy"] = accuracy();
  j["loss"] = Ratio(loss_, static_cast<double>(samples_));
  nlohmann::json topk = nlohmann::json::object();
  for (int k = 0; k < 3; ++k) {
    if (kTopK[k] <= C_) topk[std::to_string(kTopK[k])] = Ratio(static_cast<double>(topk_correct_[k]), samples_);
  }
  j["top_k"] = topk;
  j["class_names"] = names_;
  nlohmann::json per_class = nlohmann::json::array();
  // Macro F1 averages over the classes that occur in the truth or the
  // predictions (scikit-learn's convention): a class absent from both, as in
  // a small or filtered evaluation set, says nothing about the model.
  double f1_sum = 0, weighted_f1 = 0;
  int64_t classes_seen = 0;
  for (int64_t c = 0; c < C_; ++c) {
    int64_t tp = confusion_[c * C_ + c], support = 0, predicted = 0;
    for (int64_t k = 0; k < C_; ++k) {
      support += confusion_[c * C_ + k];
      predicted += confusion_[k * C_ + c];
    }
    const double precision = Ratio(static_cast<double>(tp), static_cast<double>(predicted));
    const double recall = Ratio(static_cast<double>(tp), static_cast<double>(support));
    const double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
    if (support > 0 || predicted > 0) {
      f1_sum += f1;
      ++classes_seen;
    }
    weighted_f1 += f1 * Ratio(static_cast<double>(support), static_cast<double>(samples_));
    per_class.push_back(
        {{"name", names_[c]}, {"precision", precision}, {"recall", recall}, {"f1", f1}, {"support", support}});
  }
  j["per_class"] = per_class;
  j["macro_f1"] = Ratio(f1_sum, static_cast<double>(classes_seen));
  j["weighted_f1"] = weighted_f1;
  nlohmann::json matrix = nlohmann::json::array();
  for (int64_t r = 0; r < C_; ++r) {
    matrix.push_back(std::vector<int64_t>(confusion_.begin() + r * C_, confusion_.begin() + (r + 1) * C_));
  }
  j["confusion_matrix"] = matrix;
  nlohmann::json bins = nlohmann::json::array();
  double ece = 0;
  for (int b = 0; b < kCalibrationBins; ++b) {
    const double n = static_cast<double>(bin_count_[b]);
    const double conf = Ratio(bin_confidence_[b], n), acc = Ratio(static_cast<double>(bin_correct_[b]), n);
    ece += Ratio(n, static_cast<double>(samples_)) * std::fabs(acc - conf);
    bins.push_back({{"lower", double(b) / kCalibrationBins},
                    {"upper", double(b + 1) / kCalibrationBins},
                    {"count", bin_count_[b]},
                    {"confidence", conf},
                    {"accuracy", acc}});
  }
  j["calibration"] = {{"ece", ece}, {"bins", bins}};
  return j;
}

void RegressionMetrics::Add(const Tensor& pred, const Tensor& target, const Tensor& valid) {
  const int64_t N = target.numel();
  const float* p = pred.data<float>();
  const float* y = target.data<float>();
  const uint8_t* v = valid.defined() ? valid.data<uint8_t>() : nullptr;
  for (int64_t r = 0; r < N; ++r) {
    if (v && !v[r]) continue;
    residuals_.push_back(p[r] - y[r]);
    targets_.push_back(y[r]);
  }
}

void RegressionMetrics::Reduce(Communicator& comm) {
  // Every rank's residuals and targets, padded to the longest with NaN.
  const int64_t mine = static_cast<int64_t>(residuals_.size());
  const int64_t longest = comm.AllReduceInt(mine, ReduceOp::kMax);
  if (comm.size() == 1) return;
  Tensor in = Tensor::Empty({2 * std::max<int64_t>(longest, 1)});
  std::fill(in.data<float>(), in.data<float>() + in.numel(), std::nanf(""));
  std::copy(residuals_.begin(), residuals_.end(), in.data<float>());
  std::copy(targets_.begin(), targets_.end(), in.data<float>() + in.numel() / 2);
  Tensor out = Tensor::Empty({in.numel() * comm.size()});
  comm.AllGather(in, out);
  residuals_.clear();
  targets_.clear();
  const int64_t half = in.numel() / 2;
  for (int r = 0; r < comm.size(); ++r) {
    const float* base = out.data<float>() + r * in.numel();
    for (int64_t i = 0; i < half; ++i) {
      if (std::isnan(base[i])) continue;
      residuals_.push_back(base[i]);
      targets_.push_back(base[half + i]);
    }
  }
}

nlohmann::json RegressionMetrics::ToJson() const {
  const double n = static_cast<double>(residuals_.size());
  double abs_sum = 0, sq_sum = 0, mean_y = 0;
  for (size_t i = 0; i < residuals_.size(); ++i) {
    abs_sum += std::fabs(residuals_[i]);
    sq_sum += double(residuals_[i]) * residuals_[i];
    mean_y += targets_[i];
  }
  mean_y = Ratio(mean_y, n);
  double total = 0;
  for (float y : targets_) total += (y - mean_y) * (y - mean_y);
  std::vector<float> sorted = residuals_;
  std::sort(sorted.begin(), sorted.end());
  const std::vector<double> levels = {0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0};
  std::vector<double> values;
  for (double q : levels) {
    if (sorted.empty()) break;
    const double pos = q * (sorted.size() - 1);
    const size_t lo = static_cast<size_t>(pos), hi = std::min(sorted.size() - 1, lo + 1);
    values.push_back(sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]));
  }
  return {{"samples", residuals_.size()},
          {"mae", Ratio(abs_sum, n)},
          {"rmse", std::sqrt(Ratio(sq_sum, n))},
          {"r2", total > 0 ? 1.0 - sq_sum / total : 0.0},
          {"loss", Ratio(sq_sum, n)},
          {"residual_quantiles", {{"levels", levels}, {"values", values}}}};
}

}  // namespace aif
