#include "train/metrics_log.h"

#include <unistd.h>

#include "core/error.h"

namespace aif {

MetricsLog::MetricsLog(const std::string& path, bool writer) : path_(path) {
  if (!writer) return;
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) ThrowErrno("cannot open '" + path + "' for appending");
}

MetricsLog::~MetricsLog() {
  if (file_) std::fclose(file_);
}

void MetricsLog::Append(const nlohmann::json& record) {
  if (!file_) return;
  std::string line = record.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    ThrowErrno("cannot write '" + path_ + "'");
  }
}

}  // namespace aif
