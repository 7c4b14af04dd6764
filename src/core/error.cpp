#include "core/error.h"

#include <cerrno>
#include <cstring>

#include "core/strings.h"

namespace aif {

int ExitCodeFor(ErrorKind kind) { return static_cast<int>(kind); }

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage: return "usage error";
    case ErrorKind::kData: return "data error";
    case ErrorKind::kIo: return "I/O error";
    case ErrorKind::kInternal: return "internal error";
    case ErrorKind::kComm: return "communication error";
  }
  return "error";
}

#define AIF_THROW_FORMATTED(kind)       \
  va_list args;                         \
  va_start(args, fmt);                  \
  std::string msg = VFormat(fmt, args); \
  va_end(args);                         \
  throw Error(kind, msg)

void ThrowUsage(const char* fmt, ...) { AIF_THROW_FORMATTED(ErrorKind::kUsage); }
void ThrowData(const char* fmt, ...) { AIF_THROW_FORMATTED(ErrorKind::kData); }
void ThrowIo(const char* fmt, ...) { AIF_THROW_FORMATTED(ErrorKind::kIo); }
void ThrowInternal(const char* fmt, ...) { AIF_THROW_FORMATTED(ErrorKind::kInternal); }

void ThrowErrno(const std::string& what) {
  int err = errno;
  std::string hint;
  if (err == ENOSPC || err == EDQUOT) hint = "; free space or choose another output directory";
  if (err == EACCES || err == EPERM) hint = "; check the permissions";
  if (err == ENOENT) hint = "; check the path";
  throw Error(ErrorKind::kIo, what + ": " + std::strerror(err) + hint);
}

}  // namespace aif
