// Helpers shared by the benchmark programs: wall-clock intervals, medians and
// minima (benchmarks report medians of repeated runs, never single runs), and
// the facts every result file records about where and how it was produced.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace aif {
namespace bench {

using Clock = std::chrono::steady_clock;

inline double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

inline double Min(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

// Uniform floats in [lo, hi) from a counter hash (splitmix64): reproducible,
// and fast enough to fill gigabytes of benchmark input (Philox is ~20x slower).
inline void FillUniform(float* p, int64_t n, uint64_t seed, float lo, float hi) {
  for (int64_t i = 0; i < n; ++i) {
    uint64_t z = seed * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(i) * 0xbf58476d1ce4e5b9ull;
    z += 0x94d049bb133111ebull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    p[i] = lo + (hi - lo) * static_cast<float>(z >> 40) * (1.0f / 16777216.0f);
  }
}

// The program's arguments joined by spaces, as a result file records them.
inline std::string CommandLine(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

// {"host", "cpu_model", "cores"}: the machine a result was measured on.
inline nlohmann::json MachineJson() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::string model = "unknown", line;
  std::ifstream cpuinfo("/proc/cpuinfo");
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return {{"host", host}, {"cpu_model", model}, {"cores", std::thread::hardware_concurrency()}};
}

// "0.12 0.30 0.41": the 1, 5 and 15 minute load averages. Results on a shared
// machine record them at start and end, so a noisy run can be recognised.
inline std::string LoadAverage() {
  std::string line;
  std::ifstream f("/proc/loadavg");
  std::getline(f, line);
  return line.substr(0, line.find(' ', line.find(' ', line.find(' ') + 1) + 1));
}

}  // namespace bench
}  // namespace aif
