#include "monitor/distribution_summaries.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "monitor/reduce_f64.h"

namespace aif {

void ClassCounts::Add(int32_t cls) {
  if (cls < 0 || cls >= static_cast<int32_t>(counts_.size())) {
    ThrowData("class id %d is outside the model's %zu classes", cls, counts_.size());
  }
  counts_[cls]++;
}

void ClassCounts::Reduce(Communicator& comm) {
  Tensor t = Tensor::Empty({std::max<int64_t>(1, static_cast<int64_t>(counts_.size()))}, DType::kI64);
  t.data<int64_t>()[0] = 0;
  std::copy(counts_.begin(), counts_.end(), t.data<int64_t>());
  comm.AllReduce(t, ReduceOp::kSum);
  std::copy(t.data<int64_t>(), t.data<int64_t>() + counts_.size(), counts_.begin());
}

int64_t ClassCounts::total() const { return std::accumulate(counts_.begin(), counts_.end(), int64_t{0}); }

void ValueMoments::Add(double value) {
  if (!(value >= lo_ && value <= hi_)) out_of_range_++;
  ++count_;
  if (std::isnan(value)) {
    nan_++;
    return;
  }
  const double d = value - shift_;
  sum_ += d;
  sumsq_ += d * d;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void ValueMoments::Reduce(Communicator& comm) {
  Tensor t = Tensor::Empty({3}, DType::kI64);
  t.data<int64_t>()[0] = count_;
  t.data<int64_t>()[1] = out_of_range_;
  t.data<int64_t>()[2] = nan_;
  comm.AllReduce(t, ReduceOp::kSum);
  count_ = t.data<int64_t>()[0];
  out_of_range_ = t.data<int64_t>()[1];
  nan_ = t.data<int64_t>()[2];
  std::vector<double> sums = {sum_, sumsq_}, lo = {min_}, hi = {max_};
  AllReduceDoubles(comm, &sums, ReduceOp::kSum);
  AllReduceDoubles(comm, &lo, ReduceOp::kMin);
  AllReduceDoubles(comm, &hi, ReduceOp::kMax);
  sum_ = sums[0];
  sumsq_ = sums[1];
  min_ = lo[0];
  max_ = hi[0];
}

double ValueMoments::Mean() const {
  const double n = static_cast<double>(count_ - nan_);
  return n > 0 ? shift_ + sum_ / n : std::nan("");
}

double ValueMoments::Std() const {
  const double n = static_cast<double>(count_ - nan_);
  if (n <= 0) return std::nan("");
  const double m = sum_ / n;
  return std::sqrt(std::max(0.0, sumsq_ / n - m * m));
}

}  // namespace aif
