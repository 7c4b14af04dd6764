#include "core/fs.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"

namespace aif {

namespace stdfs = std::filesystem;

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) ThrowErrno("cannot stat '" + path + "'");
  return static_cast<uint64_t>(st.st_size);
}

void MakeDirectories(const std::string& path) {
  if (path.empty() || IsDirectory(path)) return;
  std::error_code ec;
  stdfs::create_directories(path, ec);
  if (ec && !IsDirectory(path)) {
    errno = ec.value();
    ThrowErrno("cannot create directory '" + path + "'");
  }
}

std::string ParentDirectory(const std::string& path) {
  std::string parent = stdfs::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  auto abs = stdfs::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

void FsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowErrno("cannot open '" + path + "' to sync it");
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
    int err = errno;
    ::close(fd);
    errno = err;
    ThrowErrno("cannot sync '" + path + "' to disk");
  }
  ::close(fd);
}

void RemoveFileIfExists(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) ThrowErrno("cannot remove '" + path + "'");
}

std::string ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ThrowErrno("cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) ThrowIo("cannot read '%s'", path.c_str());
  return ss.str();
}

std::vector<std::string> ListDirectory(const std::string& path) {
  std::vector<std::string> names;
  std::error_code ec;
  for (stdfs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) ThrowIo("cannot list '%s': %s", path.c_str(), ec.message().c_str());
  std::sort(names.begin(), names.end());
  return names;
}

void CopyFileSynced(const std::string& from, const std::string& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) ThrowErrno("cannot open '" + from + "'");
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    ::close(in);
    ThrowErrno("cannot create '" + to + "'");
  }
  std::vector<char> buffer(1 << 20);
  try {
    for (;;) {
      const ssize_t n = ::read(in, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) ThrowErrno("cannot read '" + from + "'");
      if (n == 0) break;
      for (ssize_t done = 0; done < n;) {
        const ssize_t w = ::write(out, buffer.data() + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) ThrowErrno("cannot write '" + to + "'");
        done += w;
      }
    }
    if (::fsync(out) != 0) ThrowErrno("cannot sync '" + to + "'");
  } catch (...) {
    ::close(in);
    ::close(out);
    throw;
  }
  ::close(in);
  if (::close(out) != 0) ThrowErrno("cannot close '" + to + "'");
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  stdfs::remove_all(path, ec);
  if (ec) ThrowIo("cannot remove '%s': %s", path.c_str(), ec.message().c_str());
}

std::string HostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

std::string UserName() {
  if (const char* u = std::getenv("USER")) return u;
  if (struct passwd* pw = ::getpwuid(::getuid())) return pw->pw_name;
  return Format("uid%d", static_cast<int>(::getuid()));
}

namespace {

std::string UtcIso8601(std::time_t t) {
  std::tm tm;
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string NowUtcIso8601() { return UtcIso8601(std::time(nullptr)); }

std::string FileModifiedUtc(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) ThrowErrno("cannot stat '" + path + "'");
  return UtcIso8601(st.st_mtime);
}

}  // namespace aif
