// The collective watchdog's timing logic with fake operations (a "done?"
// flag) and a fake abort that records its calls: an operation that never
// completes aborts exactly once after the timeout; completed or forgotten
// ones never do; shutdown is prompt; AIF_COMM_TIMEOUT is read strictly.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "comm/collective_watchdog.h"
#include "core/error.h"

namespace aif {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct AbortLog {
  std::mutex mu;
  std::vector<std::pair<std::string, double>> calls;
  std::thread::id thread;
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return calls.size();
  }
  CollectiveWatchdog::AbortFn Fn() {
    return [this](const std::string& what, double waited) {
      std::lock_guard<std::mutex> lock(mu);
      calls.emplace_back(what, waited);
      thread = std::this_thread::get_id();
    };
  }
};

CollectiveWatchdog::Options Fast(double timeout_s) {
  CollectiveWatchdog::Options o;
  o.timeout_s = timeout_s;
  o.poll_s = 0.005;
  return o;
}

// Waits up to `limit_s` for `pred`.
template <typename Pred>
bool WaitFor(Pred pred, double limit_s = 10) {
  const Clock::time_point t0 = Clock::now();
  while (!pred()) {
    if (Since(t0) > limit_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(CollectiveWatchdog, AnOperationThatNeverCompletesAbortsOnceAfterTheTimeout) {
  AbortLog log;
  CollectiveWatchdog dog(Fast(0.15), log.Fn());
  const Clock::time_point t0 = Clock::now();
  dog.Watch("AllReduce(sum) of f32[7] on cuda", [] { return false; });
  ASSERT_TRUE(WaitFor([&] { return log.count() > 0; })) << "the watchdog never fired";
  EXPECT_GE(Since(t0), 0.15);
  EXPECT_TRUE(dog.fired());
  {
    std::lock_guard<std::mutex> lock(log.mu);
    EXPECT_EQ(log.calls[0].first, "AllReduce(sum) of f32[7] on cuda");
    EXPECT_GE(log.calls[0].second, 0.15);
    EXPECT_NE(log.thread, std::this_thread::get_id());
  }
  // Once only: neither the same operation nor a new one fires again.
  dog.Watch("Broadcast of f32[3] on cuda", [] { return false; });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(log.count(), 1u);
}

TEST(CollectiveWatchdog, CompletedAndForgottenOperationsNeverAbort) {
  AbortLog log;
  CollectiveWatchdog dog(Fast(0.1), log.Fn());
  std::atomic<bool> finished{false};
  std::atomic<int> polls{0};
  dog.Watch("completes after 20 ms", [&] {
    ++polls;
    return finished.load();
  });
  const CollectiveWatchdog::Id blocking = dog.Watch("a blocking call that returned", [] { return false; });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  finished = true;
  dog.Forget(blocking);
  ASSERT_TRUE(WaitFor([&] { return dog.in_flight() == 0; }));
  const int polls_when_done = polls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // three timeouts
  EXPECT_EQ(log.count(), 0u);
  EXPECT_FALSE(dog.fired());
  EXPECT_GE(polls_when_done, 1);
  EXPECT_EQ(polls.load(), polls_when_done);  // a finished operation is no longer polled
}

TEST(CollectiveWatchdog, NamesTheOldestOverdueOperation) {
  AbortLog log;
  CollectiveWatchdog dog(Fast(0.1), log.Fn());
  dog.Watch("first: AllReduce of 4 MiB", [] { return false; });
  dog.Watch("done at once", [] { return true; });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  dog.Watch("second: AllGather of 1 KiB", [] { return false; });
  ASSERT_TRUE(WaitFor([&] { return log.count() > 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::lock_guard<std::mutex> lock(log.mu);
  ASSERT_EQ(log.calls.size(), 1u);
  EXPECT_EQ(log.calls[0].first, "first: AllReduce of 4 MiB");
}

TEST(CollectiveWatchdog, ADoneCallbackThatThrowsCountsAsDone) {
  AbortLog log;
  CollectiveWatchdog dog(Fast(0.05), log.Fn());
  dog.Watch("throws", []() -> bool { throw std::runtime_error("device fault"); });
  ASSERT_TRUE(WaitFor([&] { return dog.in_flight() == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(log.count(), 0u);
}

TEST(CollectiveWatchdog, ShutdownJoinsPromptlyEvenWithALongPollPeriod) {
  AbortLog log;
  const Clock::time_point t0 = Clock::now();
  {
    CollectiveWatchdog::Options o;
    o.timeout_s = 600;
    o.poll_s = 60;
    CollectiveWatchdog dog(o, log.Fn());
    dog.Watch("in flight at shutdown", [] { return false; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_LT(Since(t0), 1.0);
  EXPECT_EQ(log.count(), 0u);
}

TEST(CollectiveWatchdog, RunsTheThreadStartHookOnItsThread) {
  AbortLog log;
  std::atomic<int> starts{0};
  std::thread::id hook_thread;
  CollectiveWatchdog::Options o = Fast(10);
  o.on_thread_start = [&] {
    hook_thread = std::this_thread::get_id();
    ++starts;
  };
  {
    CollectiveWatchdog dog(o, log.Fn());
    ASSERT_TRUE(WaitFor([&] { return starts.load() == 1; }));
  }
  EXPECT_EQ(starts.load(), 1);
  EXPECT_NE(hook_thread, std::this_thread::get_id());
}

TEST(CollectiveWatchdog, ATimeoutOfZeroDisablesIt) {
  AbortLog log;
  CollectiveWatchdog dog(Fast(0), log.Fn());
  dog.Watch("never completes", [] { return false; });
  EXPECT_EQ(dog.in_flight(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(log.count(), 0u);
}

TEST(CollectiveWatchdog, ReadsAifCommTimeoutStrictly) {
  EXPECT_EQ(CommTimeoutFromEnv(nullptr, 300), 300);
  EXPECT_EQ(CommTimeoutFromEnv("", 300), 300);
  EXPECT_EQ(CommTimeoutFromEnv(" ", 300), 300);
  EXPECT_EQ(CommTimeoutFromEnv("120", 300), 120);
  EXPECT_EQ(CommTimeoutFromEnv(" 1.5 ", 300), 1.5);
  EXPECT_EQ(CommTimeoutFromEnv("0", 300), 0);
  for (const char* bad : {"abc", "-3", "10s", "nan", "1e30"}) {
    try {
      CommTimeoutFromEnv(bad, 300);
      ADD_FAILURE() << "accepted AIF_COMM_TIMEOUT=" << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage);
      EXPECT_NE(std::string(e.what()).find("AIF_COMM_TIMEOUT"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace aif
