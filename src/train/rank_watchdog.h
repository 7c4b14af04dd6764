// A watchdog against ranks that die or hang. Collectives block until every
// rank joins, so one lost rank would leave the others waiting forever (srun
// does not always end a step when one task dies; a stopped or swapped-out
// process ends nothing). Each rank runs this thread: it writes a heartbeat
// file (RUN/heartbeats/rank-<r>: host, pid, step, time) every few seconds,
// and when the rank has been inside one training step for longer than the
// timeout it reads the others' heartbeats, prints one line naming the ranks
// that went silent and their hosts, and ends the process with exit code 6.
// The launcher (mpirun, srun) then ends the remaining ranks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace aif {

class RankWatchdog {
 public:
  // timeout_s <= 0 disables the check (heartbeats are still written).
  RankWatchdog(const std::string& heartbeat_dir, int rank, int world_size, double timeout_s);
  ~RankWatchdog();
  RankWatchdog(const RankWatchdog&) = delete;
  RankWatchdog& operator=(const RankWatchdog&) = delete;

  // The rank starts / ends a phase that needs every other rank (a step).
  void Enter(int64_t step);
  void Leave();

 private:
  void Loop();
  void WriteHeartbeat(double now);
  [[noreturn]] void Fire(double now);

  std::string dir_;
  int rank_, world_;
  double timeout_s_, period_s_;
  std::string host_;
  std::atomic<int64_t> step_{0};
  std::atomic<double> entered_at_{0};  // 0: not inside a phase
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace aif
