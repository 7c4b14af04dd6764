#include "train/metrics_log.h"

#include <unistd.h>

#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fs.h"

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

void TruncateMetricsLog(const std::string& path, int64_t step) {
  if (!PathExists(path)) return;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    auto rec = nlohmann::json::parse(line, nullptr, false);
    if (rec.is_discarded() || rec.value("final", false) || rec.value("step", int64_t{0}) > step) continue;
    kept += line + "\n";
  }
  WriteFileAtomic(path, kept);
}

}  // namespace aif
