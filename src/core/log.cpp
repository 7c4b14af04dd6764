#include "core/log.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/strings.h"

namespace aif {
namespace {

struct LogState {
  std::mutex mu;
  int rank = 0;
  int world = 1;
  LogLevel level = LogLevel::kInfo;
  LogState() {
    const char* env = std::getenv("AIF_LOG_LEVEL");
    LogLevel parsed;
    if (env && ParseLogLevel(env, &parsed)) level = parsed;
  }
};

LogState& State() {
  static LogState state;
  return state;
}

void Emit(FILE* stream, LogLevel at, bool root_only, const char* tag, const char* fmt, va_list args) {
  LogState& s = State();
  if (static_cast<int>(at) > static_cast<int>(s.level)) return;
  if (root_only && s.rank != 0) return;
  std::string msg = VFormat(fmt, args);
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.world > 1 && !root_only) {
    std::fprintf(stream, "[aif rank %d] %s%s\n", s.rank, tag, msg.c_str());
  } else {
    std::fprintf(stream, "[aif] %s%s\n", tag, msg.c_str());
  }
  std::fflush(stream);
}

}  // namespace

void SetLogRank(int rank, int world_size) {
  std::lock_guard<std::mutex> lock(State().mu);
  State().rank = rank;
  State().world = world_size;
}

void SetLogLevel(LogLevel level) {
  std::lock_guard<std::mutex> lock(State().mu);
  State().level = level;
}

LogLevel CurrentLogLevel() { return State().level; }

bool ParseLogLevel(const std::string& name, LogLevel* level) {
  if (name == "error") *level = LogLevel::kError;
  else if (name == "warn") *level = LogLevel::kWarn;
  else if (name == "info") *level = LogLevel::kInfo;
  else if (name == "debug") *level = LogLevel::kDebug;
  else return false;
  return true;
}

void LogInfo(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  Emit(stdout, LogLevel::kInfo, true, "", fmt, args);
  va_end(args);
}

void LogWarn(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  Emit(stderr, LogLevel::kWarn, false, "warning: ", fmt, args);
  va_end(args);
}

void LogDebug(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  Emit(stderr, LogLevel::kDebug, false, "debug: ", fmt, args);
  va_end(args);
}

void LogErrorLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(State().mu);
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace aif
