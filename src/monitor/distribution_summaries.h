// Per-rank summaries of one-dimensional outputs, reduced over the ranks: the
// class counts of predictions or labels (classification), and the moments,
// range and out-of-range count of predicted values or targets (regression;
// the reference keeps only the moments and range of the train targets, so
// that is what a regression comparison can use).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "comm/communicator.h"

namespace aif {

class ClassCounts {
 public:
  explicit ClassCounts(int64_t classes) : counts_(classes, 0) {}
  // Throws kData for a class id outside [0, classes).
  void Add(int32_t cls);
  void Reduce(Communicator& comm);  // collective, exact (int64)
  int64_t total() const;
  std::vector<double> Counts() const { return std::vector<double>(counts_.begin(), counts_.end()); }

 private:
  std::vector<int64_t> counts_;
};

class ValueMoments {
 public:
  // Values outside [lo, hi] are counted as out of range; `shift` (a value of
  // the expected range) keeps the sums accurate when |mean| >> std.
  ValueMoments(double lo, double hi, double shift) : lo_(lo), hi_(hi), shift_(shift) {}
  void Add(double value);
  void Reduce(Communicator& comm);  // collective
  int64_t count() const { return count_; }
  int64_t out_of_range() const { return out_of_range_; }
  // Over the non-NaN values (NaN when there are none).
  double Mean() const;
  double Std() const;  // population std
  double min() const { return min_; }
  double max() const { return max_; }

 private:
  double lo_, hi_, shift_;
  int64_t count_ = 0, out_of_range_ = 0, nan_ = 0;  // NaN: out of range, not in the moments
  double sum_ = 0, sumsq_ = 0;
  double min_ = std::numeric_limits<double>::infinity(), max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace aif
