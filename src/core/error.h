// Errors that reach a user: a kind, a one-line message, and the exit code that
// the kind maps to. Library code throws aif::Error; only jobs/main.cpp catches
// it at the top, prints the line once and exits with ExitCodeFor(kind).
// Messages name the file or option, the problem, and what to do about it.
#pragma once

#include <stdexcept>
#include <string>

namespace aif {

// Exit codes are part of the CLI contract (README.md, "Exit codes").
enum class ErrorKind {
  kUsage = 2,     // wrong options, bad config values, impossible requests
  kData = 3,      // input content is invalid: corrupt file, bad CSV, wrong schema
  kIo = 4,        // the file system failed: missing file, permission, disk full
  kInternal = 5,  // a bug or an unexpected library failure
  kComm = 6,      // a rank failed or a collective could not complete
};

int ExitCodeFor(ErrorKind kind);
const char* ErrorKindName(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  // `collective`: every rank of the job raises this same error at the same
  // point (it was decided from replicated or all-reduced data), so the job
  // prints it once and every rank exits cleanly instead of aborting.
  Error(ErrorKind kind, const std::string& message, bool collective = false)
      : std::runtime_error(message), kind_(kind), collective_(collective) {}
  ErrorKind kind() const { return kind_; }
  bool collective() const { return collective_; }

 private:
  ErrorKind kind_;
  bool collective_;
};

// printf-style constructors; the format is checked by the compiler.
[[noreturn]] void ThrowUsage(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void ThrowData(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void ThrowIo(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void ThrowInternal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Throws kIo for a failed system call, with strerror(errno) appended.
[[noreturn]] void ThrowErrno(const std::string& what);

// Internal invariant check that survives NDEBUG (never use assert for input).
#define AIF_CHECK(cond, msg)                                                                \
  do {                                                                                      \
    if (!(cond)) ::aif::ThrowInternal("%s:%d: check failed: %s: %s", __FILE__, __LINE__, #cond, \
                                      std::string(msg).c_str());                            \
  } while (0)

}  // namespace aif
