// metrics.jsonl: one JSON object per logged step, appended and flushed line
// by line, so `tail -f` and a crashed job both see every line written so
// far. Only rank 0 writes; the object on other ranks does nothing.
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace aif {

class MetricsLog {
 public:
  MetricsLog(const std::string& path, bool writer);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;
  void Append(const nlohmann::json& record);  // throws kIo (disk full)

 private:
  std::string path_;
  FILE* file_ = nullptr;
};

// Keeps the records of steps <= `step` (a resumed run rewrites the ones after
// its checkpoint, so the file reads as one uninterrupted run); atomic.
void TruncateMetricsLog(const std::string& path, int64_t step);

}  // namespace aif
