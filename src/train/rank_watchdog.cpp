#include "train/rank_watchdog.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"

namespace aif {
namespace {

double WallNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

RankWatchdog::RankWatchdog(const std::string& heartbeat_dir, int rank, int world_size, double timeout_s)
    : dir_(heartbeat_dir), rank_(rank), world_(world_size), timeout_s_(timeout_s), host_(HostName()) {
  period_s_ = timeout_s > 0 ? std::min(5.0, std::max(0.2, timeout_s / 5)) : 5.0;
  MakeDirectories(dir_);
  WriteHeartbeat(WallNow());
  thread_ = std::thread([this] { Loop(); });
}

RankWatchdog::~RankWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RankWatchdog::Enter(int64_t step) {
  step_ = step;
  entered_at_ = WallNow();
}

void RankWatchdog::Leave() { entered_at_ = 0; }

void RankWatchdog::WriteHeartbeat(double now) {
  // Written aside and renamed, so a reader never sees a torn line. No
  // fsync: the heartbeat only has to be visible, not durable.
  const std::string path = Format("%s/rank-%d", dir_.c_str(), rank_);
  {
    std::ofstream out(path + ".tmp", std::ios::trunc);
    out << host_ << " " << ::getpid() << " " << step_.load() << " " << Format("%.3f", now) << "\n";
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
}

void RankWatchdog::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  double last = WallNow();
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::duration<double>(period_s_));
    if (stop_) break;
    const double now = WallNow();
    try {
      WriteHeartbeat(now);
    } catch (...) {
      // A full disk must not kill training; the heartbeat is advisory.
    }
    // A long gap means this process itself was stopped (SIGSTOP, a
    // suspended job): the others' silence says nothing yet.
    const bool resumed_from_pause = now - last > 3 * period_s_ + 1;
    last = now;
    if (resumed_from_pause) {
      if (entered_at_ > 0) entered_at_ = now;
      continue;
    }
    const double entered = entered_at_;
    if (timeout_s_ > 0 && entered > 0 && now - entered > timeout_s_) Fire(now);
  }
}

void RankWatchdog::Fire(double now) {
  std::vector<std::string> silent;
  for (int r = 0; r < world_; ++r) {
    if (r == rank_) continue;
    std::ifstream in(Format("%s/rank-%d", dir_.c_str(), r));
    std::string host, pid;
    int64_t step = -1;
    double seen = 0;
    if (!(in >> host >> pid >> step >> seen)) {
      silent.push_back(Format("rank %d (no heartbeat)", r));
    } else if (now - seen > 3 * period_s_ + 1) {
      silent.push_back(Format("rank %d on %s (pid %s, last seen at step %lld, %.0f s ago)", r, host.c_str(),
                              pid.c_str(), static_cast<long long>(step), now - seen));
    }
  }
  std::string who = silent.empty() ? "no rank's heartbeat stopped, so a rank is stuck in computation or I/O"
                                   : Join(silent, ", ") + " stopped responding";
  LogErrorLine(Format("aif train: [rank %d on %s] communication error: step %lld has waited %.0f s for the other ranks "
                      "(--comm-timeout %.0f); %s. Stopping (exit 6); resume from the last checkpoint.",
                      rank_, host_.c_str(), static_cast<long long>(step_.load() + 1), now - entered_at_.load(),
                      timeout_s_, who.c_str()));
  std::fflush(nullptr);
  _exit(6);
}

}  // namespace aif
