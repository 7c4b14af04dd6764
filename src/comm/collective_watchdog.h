// A watchdog for collectives in flight. A collective blocks, or never
// completes on the device, when another rank died or hangs; without a
// watchdog the job would wait forever. The communicator registers each
// operation with a description and a cheap "done?" callback; a thread polls
// them and, the first time one has been in flight longer than the timeout,
// calls the abort callback once (the Nccl backend's aborts the communicator
// and ends the process with exit code 6). Backend-neutral, so it is unit
// tested on the CPU with fake operations.
//
// Threads: Watch, Forget, in_flight and fired may be called from any thread.
// The callbacks run on the watchdog's thread, never under its lock; `done`
// must not block, and one that throws counts as done (the error surfaces
// where the caller waits on the operation).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace aif {

// Seconds a collective may take: `value` (AIF_COMM_TIMEOUT's, or nullptr when
// unset) read as a non-negative number of seconds, 0 meaning no watchdog;
// `fallback` when unset or empty. Anything else is a usage error naming the
// variable.
double CommTimeoutFromEnv(const char* value, double fallback);

class CollectiveWatchdog {
 public:
  static constexpr double kDefaultTimeoutSeconds = 300;

  using Clock = std::chrono::steady_clock;
  using DoneFn = std::function<bool()>;
  // The overdue operation's description and how long it has been in flight.
  // In a job it does not return.
  using AbortFn = std::function<void(const std::string& what, double waited_s)>;

  struct Options {
    double timeout_s = kDefaultTimeoutSeconds;  // <= 0: disabled, no thread
    double poll_s = 0;                          // 0: timeout / 10, between 1 ms and 1 s
    std::function<void()> on_thread_start;      // first thing the thread runs (cudaSetDevice)
  };

  CollectiveWatchdog(Options options, AbortFn abort);
  // Stops and joins the thread at once (it waits on a condition variable).
  ~CollectiveWatchdog();
  CollectiveWatchdog(const CollectiveWatchdog&) = delete;
  CollectiveWatchdog& operator=(const CollectiveWatchdog&) = delete;

  using Id = uint64_t;
  // Watches an operation from now until `done` returns true or Forget(id).
  Id Watch(std::string what, DoneFn done);
  // The caller saw it finish (a blocking call returned) or fail.
  void Forget(Id id);
  size_t in_flight() const;
  bool fired() const;
  double timeout_s() const { return options_.timeout_s; }

 private:
  struct Op {
    std::string what;
    DoneFn done;
    Clock::time_point start;
  };

  void Loop();
  bool PollDone(Op& op);

  Options options_;
  AbortFn abort_;
  std::chrono::duration<double> poll_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<Id, std::shared_ptr<Op>> ops_;  // by id, so oldest first
  Id next_id_ = 1;
  bool stop_ = false;
  bool fired_ = false;
  std::thread thread_;
};

}  // namespace aif
