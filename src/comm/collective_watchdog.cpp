// CollectiveWatchdog (see the header). Each poll snapshots the operations,
// asks each whether it is done without holding the lock (a done callback may
// take microseconds: cudaEventQuery), drops the finished ones and fires on the
// oldest overdue one. A gap between polls much longer than the poll period
// means this process was stopped (SIGSTOP, a suspended job): the others were
// too, so the clocks of the operations in flight restart instead of firing.
#include "comm/collective_watchdog.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/strings.h"

namespace aif {

double CommTimeoutFromEnv(const char* value, double fallback) {
  if (value == nullptr || Trim(value).empty()) return fallback;
  std::optional<double> seconds = ParseDouble(value);
  if (!seconds || !(*seconds >= 0) || *seconds > 1e9) {
    ThrowUsage("AIF_COMM_TIMEOUT='%s' is not a number of seconds; set it to how long a collective may take "
               "(e.g. 300), or 0 to disable the collective watchdog",
               value);
  }
  return *seconds;
}

CollectiveWatchdog::CollectiveWatchdog(Options options, AbortFn abort)
    : options_(std::move(options)), abort_(std::move(abort)) {
  if (options_.timeout_s <= 0) return;
  AIF_CHECK(abort_ != nullptr, "CollectiveWatchdog needs an abort callback");
  const double poll = options_.poll_s > 0 ? options_.poll_s : std::clamp(options_.timeout_s / 10, 1e-3, 1.0);
  poll_ = std::chrono::duration<double>(poll);
  thread_ = std::thread([this] { Loop(); });
}

CollectiveWatchdog::~CollectiveWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CollectiveWatchdog::Id CollectiveWatchdog::Watch(std::string what, DoneFn done) {
  auto op = std::make_shared<Op>();
  op->what = std::move(what);
  op->done = std::move(done);
  op->start = Clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  const Id id = next_id_++;
  if (thread_.joinable()) ops_.emplace(id, std::move(op));  // disabled: nothing to watch
  return id;
}

void CollectiveWatchdog::Forget(Id id) {
  std::lock_guard<std::mutex> lock(mu_);
  ops_.erase(id);
}

size_t CollectiveWatchdog::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_.size();
}

bool CollectiveWatchdog::fired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fired_;
}

bool CollectiveWatchdog::PollDone(Op& op) {
  try {
    return op.done();
  } catch (...) {
    return true;
  }
}

void CollectiveWatchdog::Loop() {
  if (options_.on_thread_start) options_.on_thread_start();
  const auto pause_gap = 3 * poll_ + std::chrono::seconds(1);
  std::unique_lock<std::mutex> lock(mu_);
  Clock::time_point last = Clock::now();
  while (!stop_) {
    cv_.wait_for(lock, poll_);
    if (stop_) break;
    const Clock::time_point now = Clock::now();
    const auto gap = now - last;
    last = now;
    if (fired_ || ops_.empty()) continue;
    if (gap > pause_gap) {
      for (auto& entry : ops_) entry.second->start = now;
      continue;
    }
    std::vector<std::pair<Id, std::shared_ptr<Op>>> snapshot(ops_.begin(), ops_.end());
    lock.unlock();
    std::vector<bool> done(snapshot.size());
    for (size_t i = 0; i < snapshot.size(); ++i) done[i] = PollDone(*snapshot[i].second);
    lock.lock();
    const Op* overdue = nullptr;
    for (size_t i = 0; i < snapshot.size(); ++i) {
      auto it = ops_.find(snapshot[i].first);
      if (it == ops_.end()) continue;  // forgotten meanwhile
      if (done[i]) {
        ops_.erase(it);
      } else if (!overdue && now - it->second->start > std::chrono::duration<double>(options_.timeout_s)) {
        overdue = it->second.get();  // the snapshot is in id order: the oldest
      }
    }
    if (!overdue || stop_) continue;
    fired_ = true;
    const std::string what = overdue->what;
    const double waited = std::chrono::duration<double>(now - overdue->start).count();
    lock.unlock();
    abort_(what, waited);
    lock.lock();
  }
}

}  // namespace aif
