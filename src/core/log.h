// Rank-aware logging for batch jobs. Info lines are printed by rank 0 only
// (one line per event in a Slurm log, not one per rank); warnings and debug
// lines are printed by every rank and name it. The level comes from
// --log-level or AIF_LOG_LEVEL (error, warn, info, debug). Thread-safe.
#pragma once

#include <string>

namespace aif {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// Called once by job start-up; before that the process is rank 0 of 1.
void SetLogRank(int rank, int world_size);
void SetLogLevel(LogLevel level);
// Accepts the names above; returns false for anything else.
bool ParseLogLevel(const std::string& name, LogLevel* level);
LogLevel CurrentLogLevel();

void LogInfo(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void LogWarn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void LogDebug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// The final error line of a failed job: "aif <job>: <kind>: <message>".
void LogErrorLine(const std::string& line);

}  // namespace aif
