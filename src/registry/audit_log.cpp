#include "registry/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"

namespace aif {
namespace {

void WriteAll(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("cannot append to the audit log '" + path + "'");
    }
    done += static_cast<size_t>(n);
  }
}

// True when the file is non-empty and its last byte is not '\n'.
bool EndsMidLine(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size == 0) return false;
  char last = '\n';
  return pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
}

}  // namespace

void AppendAuditRecord(const std::string& path, nlohmann::json record) {
  record["time"] = NowUtcIso8601();
  record["user"] = UserName();
  record["host"] = HostName();
  if (const char* job = std::getenv("SLURM_JOB_ID")) record["slurm_job_id"] = job;
  std::string line = record.dump() + "\n";
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0664);
  if (fd < 0) ThrowErrno("cannot open the audit log '" + path + "'");
  try {
    if (EndsMidLine(fd)) line = "\n" + line;  // a killed writer's partial line stays isolated
    WriteAll(fd, line, path);
    if (fsync(fd) != 0) ThrowErrno("cannot sync the audit log '" + path + "'");
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

AuditLog ReadAuditLog(const std::string& path) {
  AuditLog log;
  if (!PathExists(path)) return log;
  std::istringstream in(ReadFileToString(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object()) {
      ++log.unparsable_lines;
      continue;
    }
    log.records.push_back(std::move(record));
  }
  return log;
}

}  // namespace aif
