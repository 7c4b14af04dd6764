#include "registry/store_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"

namespace aif {
namespace {

bool TryLock(int fd, const std::string& path) {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // the whole file
  if (fcntl(fd, F_SETLK, &fl) == 0) return true;
  if (errno == EACCES || errno == EAGAIN || errno == EINTR) return false;
  if (errno == ENOLCK || errno == EOPNOTSUPP || errno == ENOSYS) {
    ThrowIo("cannot lock '%s': the file system does not support POSIX locks (%s); see docs/store.md for the file "
            "systems the store supports",
            path.c_str(), std::strerror(errno));
  }
  ThrowErrno("cannot lock '" + path + "'");
}

}  // namespace

StoreLock::StoreLock(const std::string& lock_path, double timeout_seconds) {
  fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0664);
  if (fd_ < 0) ThrowErrno("cannot open the store lock '" + lock_path + "'");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  auto pause = std::chrono::milliseconds(5);
  try {
    while (!TryLock(fd_, lock_path)) {
      if (std::chrono::steady_clock::now() >= deadline) {
        std::string holder(Trim(ReadFileToString(lock_path)));
        ThrowIo("the store lock '%s' is still held after %.0f s (by %s); wait for that job or raise --lock-timeout",
                lock_path.c_str(), timeout_seconds, holder.empty() ? "an unknown process" : holder.c_str());
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(200));
    }
    // Who holds it, for the message above (informational only).
    const std::string who = Format("%s pid %d", HostName().c_str(), static_cast<int>(getpid()));
    if (ftruncate(fd_, 0) == 0) {
      ssize_t ignored = pwrite(fd_, who.data(), who.size(), 0);
      (void)ignored;
    }
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace aif
