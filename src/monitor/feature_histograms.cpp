#include "monitor/feature_histograms.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "monitor/reduce_f64.h"

namespace aif {

FeatureHistograms::FeatureHistograms(const FeatureStats& reference)
    : ref_(reference), F_(reference.num_features()), K_(reference.hist_bins) {
  if (F_ <= 0 || K_ <= 0 || reference.count <= 0 ||
      static_cast<int64_t>(reference.hist_edges.size()) != F_ * (K_ + 1) ||
      static_cast<int64_t>(reference.hist_counts.size()) != F_ * K_ ||
      static_cast<int64_t>(reference.min.size()) != F_ || static_cast<int64_t>(reference.max.size()) != F_) {
    ThrowData("the model's reference statistics hold no usable histograms (%lld features, %lld bins); retrain "
              "the model from a dataset written by 'aif prepare'",
              static_cast<long long>(F_), static_cast<long long>(K_));
  }
  lo_.resize(F_);
  hi_.resize(F_);
  for (int64_t f = 0; f < F_; ++f) {
    lo_[f] = reference.hist_edges[f * (K_ + 1)];
    hi_[f] = reference.hist_edges[f * (K_ + 1) + K_];
  }
  counts_.assign(F_ * (K_ + 2), 0);
  nan_.assign(F_, 0);
  sum_.assign(F_, 0.0);
  sumsq_.assign(F_, 0.0);
  min_.assign(F_, std::numeric_limits<double>::infinity());
  max_.assign(F_, -std::numeric_limits<double>::infinity());
}

int64_t FeatureHistograms::BinOf(double x, double lo, double hi, int64_t K) {
  if (std::isnan(x) || x > hi) return K + 1;
  if (x < lo) return 0;
  const double width = hi - lo;
  if (!(width > 0)) return 1;
  // The expression of FeatureStatsBuilder, so edge values fall alike.
  const int64_t bin = static_cast<int64_t>((x - lo) / width * static_cast<double>(K));
  return 1 + std::clamp<int64_t>(bin, 0, K - 1);
}

void FeatureHistograms::Add(const float* rows, int64_t n, const uint8_t* valid) {
  AIF_CHECK(!reduced_, "Add after Reduce");
  const int64_t stride = K_ + 2;
  for (int64_t i = 0; i < n; ++i) {
    if (valid && !valid[i]) continue;
    const float* row = rows + i * F_;
    for (int64_t f = 0; f < F_; ++f) {
      const double x = static_cast<double>(row[f]);
      counts_[f * stride + BinOf(x, lo_[f], hi_[f], K_)]++;
      if (std::isnan(x)) {
        nan_[f]++;
        continue;
      }
      const double d = x - lo_[f];
      sum_[f] += d;
      sumsq_[f] += d * d;
      min_[f] = std::min(min_[f], x);
      max_[f] = std::max(max_[f], x);
    }
    ++rows_;
  }
}

void FeatureHistograms::Reduce(Communicator& comm) {
  AIF_CHECK(!reduced_, "Reduce twice");
  reduced_ = true;
  // One message: the counts, the NaN counts and the rows.
  const int64_t nc = static_cast<int64_t>(counts_.size());
  Tensor counts = Tensor::Empty({nc + F_ + 1}, DType::kI64);
  int64_t* c = counts.data<int64_t>();
  std::copy(counts_.begin(), counts_.end(), c);
  std::copy(nan_.begin(), nan_.end(), c + nc);
  c[nc + F_] = rows_;
  comm.AllReduce(counts, ReduceOp::kSum);
  std::copy(c, c + nc, counts_.begin());
  std::copy(c + nc, c + nc + F_, nan_.begin());
  rows_ = c[nc + F_];
  std::vector<double> sums = sum_;
  sums.insert(sums.end(), sumsq_.begin(), sumsq_.end());
  AllReduceDoubles(comm, &sums, ReduceOp::kSum);
  std::copy(sums.begin(), sums.begin() + F_, sum_.begin());
  std::copy(sums.begin() + F_, sums.end(), sumsq_.begin());
  AllReduceDoubles(comm, &min_, ReduceOp::kMin);
  AllReduceDoubles(comm, &max_, ReduceOp::kMax);
}

std::vector<double> FeatureHistograms::Counts(int64_t f) const {
  const int64_t* c = &counts_[f * (K_ + 2)];
  return std::vector<double>(c, c + K_ + 2);
}

std::vector<double> FeatureHistograms::ReferenceCounts(int64_t f) const {
  std::vector<double> out(K_ + 2, 0.0);
  for (int64_t b = 0; b < K_; ++b) out[b + 1] = static_cast<double>(ref_.hist_counts[f * K_ + b]);
  return out;
}

double FeatureHistograms::Mean(int64_t f) const {
  const double n = static_cast<double>(rows_ - nan_[f]);
  return n > 0 ? lo_[f] + sum_[f] / n : std::nan("");
}

double FeatureHistograms::Std(int64_t f) const {
  const double n = static_cast<double>(rows_ - nan_[f]);
  if (n <= 0) return std::nan("");
  const double m = sum_[f] / n;
  return std::sqrt(std::max(0.0, sumsq_[f] / n - m * m));
}

}  // namespace aif
