// Timing helpers shared by the benchmark programs: wall-clock intervals and
// medians (benchmarks report medians of repeated runs, never single runs).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace aif {
namespace bench {

using Clock = std::chrono::steady_clock;

inline double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace bench
}  // namespace aif
