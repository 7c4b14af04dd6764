#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"

namespace aif {

namespace {

// Removes "<final>.tmp.<this host>.<pid>.<n>" files whose pid is not running.
void RemoveStaleTemporaries(const std::string& final_path) {
  namespace stdfs = std::filesystem;
  const std::string prefix = stdfs::path(final_path).filename().string() + ".tmp." + HostName() + ".";
  std::error_code ec;
  for (const auto& entry : stdfs::directory_iterator(ParentDirectory(final_path), ec)) {
    const std::string name = entry.path().filename().string();
    if (!StartsWith(name, prefix)) continue;
    auto pid = ParseInt(Split(name.substr(prefix.size()), '.')[0]);
    if (pid && *pid > 0 && ::kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH) {
      ::unlink(entry.path().c_str());
    }
  }
}

}  // namespace

AtomicOutput::AtomicOutput(const std::string& final_path) : final_path_(final_path) {
  MakeDirectories(ParentDirectory(final_path));
  RemoveStaleTemporaries(final_path);
  static std::atomic<int> counter{0};
  temp_path_ = Format("%s.tmp.%s.%d.%d", final_path.c_str(), HostName().c_str(), static_cast<int>(::getpid()),
                      counter++);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicOutput::Commit() {
  AIF_CHECK(!committed_, "AtomicOutput committed twice");
  FsyncPath(temp_path_);
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    ThrowErrno("cannot rename '" + temp_path_ + "' to '" + final_path_ + "'");
  }
  committed_ = true;
  FsyncPath(ParentDirectory(final_path_));
}

void WriteFileAtomic(const std::string& path, const std::string& content) {
  AtomicOutput out(path);
  int fd = ::open(out.temp_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) ThrowErrno("cannot create '" + out.temp_path() + "'");
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      errno = err;
      ThrowErrno("cannot write '" + path + "'");
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) ThrowErrno("cannot close '" + path + "'");
  out.Commit();
}

}  // namespace aif
