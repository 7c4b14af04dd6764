// The caching device allocator's logic on the CPU, over a fake raw allocator
// that hands out fake addresses, counts calls, has a capacity (so it runs out
// of memory on demand) and checks that only live blocks are freed.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "tensor/caching_allocator.h"

namespace aif {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

// Shared with the test, so counts survive the allocator that owns the fake.
struct FakeLog {
  std::mutex mu;
  size_t capacity = size_t{1} << 40;
  size_t live_bytes = 0;
  int allocate_calls = 0, failed_allocates = 0, free_calls = 0;
  std::set<void*> live;
  std::vector<size_t> sizes_asked;
};

class FakeRawMemory final : public RawDeviceMemory {
 public:
  explicit FakeRawMemory(std::shared_ptr<FakeLog> log) : log_(std::move(log)) {}
  void* Allocate(size_t bytes) override {
    std::lock_guard<std::mutex> lock(log_->mu);
    ++log_->allocate_calls;
    log_->sizes_asked.push_back(bytes);
    if (log_->live_bytes + bytes > log_->capacity) {
      ++log_->failed_allocates;
      return nullptr;
    }
    next_ += bytes + 4096;  // distinct, never reused addresses
    void* ptr = reinterpret_cast<void*>(next_);
    log_->live.insert(ptr);
    log_->live_bytes += bytes;
    sizes_[ptr] = bytes;
    return ptr;
  }
  void Free(void* ptr) override {
    std::lock_guard<std::mutex> lock(log_->mu);
    ++log_->free_calls;
    if (log_->live.erase(ptr) != 1) ADD_FAILURE() << "raw Free of a block that is not live: " << ptr;
    log_->live_bytes -= sizes_[ptr];
  }
  std::string Describe() override { return "fake:0 (test device)"; }

 private:
  std::shared_ptr<FakeLog> log_;
  uintptr_t next_ = 1 << 20;
  std::map<void*, size_t> sizes_;
};

struct AllocatorFixture {
  std::shared_ptr<FakeLog> log = std::make_shared<FakeLog>();
  std::unique_ptr<CachingAllocator> alloc = std::make_unique<CachingAllocator>(std::make_unique<FakeRawMemory>(log));
};

TEST(CachingAllocator, RoundsSmallSizesTo512BytesAndLargeTo2MiB) {
  EXPECT_EQ(CachingAllocator::RoundSize(0), 0u);
  EXPECT_EQ(CachingAllocator::RoundSize(1), 512u);
  EXPECT_EQ(CachingAllocator::RoundSize(512), 512u);
  EXPECT_EQ(CachingAllocator::RoundSize(513), 1024u);
  EXPECT_EQ(CachingAllocator::RoundSize(kMiB), kMiB);
  EXPECT_EQ(CachingAllocator::RoundSize(kMiB + 1), 2 * kMiB);
  EXPECT_EQ(CachingAllocator::RoundSize(3 * kMiB), 4 * kMiB);
  EXPECT_EQ(CachingAllocator::RoundSize(4 * kMiB), 4 * kMiB);
}

TEST(CachingAllocator, ReusesAFreedBlockWithoutARawAllocation) {
  AllocatorFixture f;
  void* a = f.alloc->Allocate(1000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(f.log->allocate_calls, 1);
  EXPECT_EQ(f.log->sizes_asked[0], 1024u);
  EXPECT_TRUE(f.alloc->Free(a));
  void* b = f.alloc->Allocate(900);  // same rounded size
  EXPECT_EQ(b, a);
  EXPECT_EQ(f.log->allocate_calls, 1);
  EXPECT_EQ(f.log->free_calls, 0);
  const DeviceMemoryStats s = f.alloc->stats();
  EXPECT_EQ(s.requests, 2u);
  EXPECT_EQ(s.cache_hits, 1u);
  EXPECT_EQ(s.raw_allocations, 1u);
  EXPECT_EQ(s.in_use_bytes, 1024u);
  EXPECT_EQ(s.cached_bytes, 0u);
}

TEST(CachingAllocator, StepLoopReachesTheRawAllocatorOnlyInTheFirstStep) {
  AllocatorFixture f;
  const std::vector<size_t> step_sizes = {4 * 256 * 784, 4 * 256, 4 * 256 * 10, 4 * 784 * 256, 4, 4 * 1000 * 1000};
  for (int step = 0; step < 10; ++step) {
    std::vector<void*> held;
    for (size_t bytes : step_sizes) held.push_back(f.alloc->Allocate(bytes));
    for (void* p : held) EXPECT_TRUE(f.alloc->Free(p));
  }
  EXPECT_EQ(f.log->allocate_calls, static_cast<int>(step_sizes.size()));
  EXPECT_EQ(f.alloc->stats().cache_hits, 9 * step_sizes.size());
}

TEST(CachingAllocator, TakesTheSmallestCachedBlockThatFits) {
  AllocatorFixture f;
  void* b4 = f.alloc->Allocate(4 * kMiB);
  void* b8 = f.alloc->Allocate(8 * kMiB);
  void* b6 = f.alloc->Allocate(6 * kMiB);
  for (void* p : {b4, b8, b6}) f.alloc->Free(p);
  EXPECT_EQ(f.alloc->Allocate(5 * kMiB), b6);  // rounds to 6 MiB: exact fit
  EXPECT_EQ(f.alloc->Allocate(3 * kMiB), b4);  // rounds to 4 MiB
  EXPECT_EQ(f.alloc->Allocate(5 * kMiB), b8);  // the only one left that fits
  EXPECT_EQ(f.log->allocate_calls, 3);
}

TEST(CachingAllocator, NeverHandsOutABlockOverTwiceTheRequest) {
  AllocatorFixture f;
  void* big = f.alloc->Allocate(8 * kMiB);
  f.alloc->Free(big);
  void* small = f.alloc->Allocate(2 * kMiB);  // 8 MiB > 2 x 2 MiB: a new block
  EXPECT_NE(small, big);
  EXPECT_EQ(f.log->allocate_calls, 2);
  void* tiny = f.alloc->Allocate(100);  // small requests never take the large block either
  EXPECT_NE(tiny, big);
  EXPECT_EQ(f.log->allocate_calls, 3);
  EXPECT_EQ(f.alloc->Allocate(4 * kMiB), big);  // 8 MiB <= 2 x 4 MiB
  EXPECT_EQ(f.log->allocate_calls, 3);
}

TEST(CachingAllocator, StatsTrackInUseCachedAndPeak) {
  AllocatorFixture f;
  void* a = f.alloc->Allocate(3 * kMiB);  // 4 MiB
  void* b = f.alloc->Allocate(700);       // 1 KiB
  DeviceMemoryStats s = f.alloc->stats();
  EXPECT_EQ(s.in_use_bytes, 4 * kMiB + 1024);
  EXPECT_EQ(s.peak_in_use_bytes, 4 * kMiB + 1024);
  f.alloc->Free(a);
  s = f.alloc->stats();
  EXPECT_EQ(s.in_use_bytes, 1024u);
  EXPECT_EQ(s.cached_bytes, 4 * kMiB);
  EXPECT_EQ(s.peak_in_use_bytes, 4 * kMiB + 1024);
  f.alloc->Free(b);
  s = f.alloc->stats();
  EXPECT_EQ(s.in_use_bytes, 0u);
  EXPECT_EQ(s.cached_bytes, 4 * kMiB + 1024);
  EXPECT_NE(DescribeMemoryStats(s).find("4.0 MiB cached"), std::string::npos) << DescribeMemoryStats(s);
}

TEST(CachingAllocator, EmptyCacheReleasesOnlyCachedBlocks) {
  AllocatorFixture f;
  void* held = f.alloc->Allocate(2 * kMiB);
  void* freed1 = f.alloc->Allocate(4 * kMiB);
  void* freed2 = f.alloc->Allocate(600);
  f.alloc->Free(freed1);
  f.alloc->Free(freed2);
  f.alloc->EmptyCache();
  EXPECT_EQ(f.log->free_calls, 2);
  EXPECT_EQ(f.log->live, std::set<void*>{held});
  DeviceMemoryStats s = f.alloc->stats();
  EXPECT_EQ(s.cached_bytes, 0u);
  EXPECT_EQ(s.in_use_bytes, 2 * kMiB);
  EXPECT_EQ(s.raw_frees, 2u);
  EXPECT_TRUE(f.alloc->Free(held));  // still a valid block after EmptyCache
  f.alloc.reset();                    // the destructor releases the cache
  EXPECT_TRUE(f.log->live.empty());
}

TEST(CachingAllocator, OutOfMemoryReleasesTheCacheAndRetriesOnce) {
  AllocatorFixture f;
  f.log->capacity = 10 * kMiB;
  std::vector<void*> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(f.alloc->Allocate(2 * kMiB));
  for (void* p : blocks) f.alloc->Free(p);  // 8 MiB cached, none fits 6 MiB
  void* big = f.alloc->Allocate(6 * kMiB);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(f.log->allocate_calls, 6);  // 4, the failed try, the retry
  EXPECT_EQ(f.log->failed_allocates, 1);
  EXPECT_EQ(f.log->free_calls, 4);
  EXPECT_EQ(f.alloc->stats().cached_bytes, 0u);
  EXPECT_EQ(f.alloc->stats().in_use_bytes, 6 * kMiB);
}

TEST(CachingAllocator, OutOfMemoryAfterTheRetryIsAUsageErrorWithTheStats) {
  AllocatorFixture f;
  f.log->capacity = 10 * kMiB;
  void* held = f.alloc->Allocate(6 * kMiB);
  f.alloc->Free(f.alloc->Allocate(2 * kMiB));  // 2 MiB cached
  const int calls_before = f.log->allocate_calls;
  try {
    f.alloc->Allocate(5 * kMiB - 3);
    ADD_FAILURE() << "expected an out-of-memory error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kUsage) << m;
    EXPECT_NE(m.find("out of GPU memory"), std::string::npos) << m;
    EXPECT_NE(m.find("a tensor of 5.0 MiB (6.0 MiB as allocated)"), std::string::npos) << m;
    EXPECT_NE(m.find("fake:0 (test device)"), std::string::npos) << m;
    EXPECT_NE(m.find("6.0 MiB in use"), std::string::npos) << m;
    EXPECT_NE(m.find("0 B cached"), std::string::npos) << m;  // the stats after the release
    EXPECT_NE(m.find("released and the request retried"), std::string::npos) << m;
    EXPECT_NE(m.find("lower the batch size"), std::string::npos) << m;
  }
  EXPECT_EQ(f.log->allocate_calls - calls_before, 2);  // one try, one retry
  EXPECT_EQ(f.log->free_calls, 1);
  // Still usable, and the held block is intact.
  EXPECT_TRUE(f.alloc->Free(held));
  EXPECT_NE(f.alloc->Allocate(5 * kMiB), nullptr);
}

TEST(CachingAllocator, OutOfMemoryWithAnEmptyCacheDoesNotRetry) {
  AllocatorFixture f;
  f.log->capacity = 4 * kMiB;
  EXPECT_THROW(f.alloc->Allocate(6 * kMiB), Error);
  EXPECT_EQ(f.log->allocate_calls, 1);
  EXPECT_EQ(f.alloc->stats().requests, 0u);
}

TEST(CachingAllocator, RefusesPointersItDidNotHandOut) {
  AllocatorFixture f;
  EXPECT_TRUE(f.alloc->Free(nullptr));
  EXPECT_EQ(f.alloc->Allocate(0), nullptr);
  EXPECT_EQ(f.log->allocate_calls, 0);
  int not_a_block = 0;
  EXPECT_FALSE(f.alloc->Free(&not_a_block));
  void* a = f.alloc->Allocate(10);
  EXPECT_TRUE(f.alloc->Free(a));
  EXPECT_FALSE(f.alloc->Free(a));  // a double free changes nothing
  EXPECT_EQ(f.alloc->stats().cached_bytes, 512u);
}

TEST(CachingAllocator, ThreadsNeverShareALiveBlock) {
  AllocatorFixture f;
  std::mutex mu;
  std::set<void*> live;
  bool clash = false;
  auto worker = [&](int seed) {
    std::vector<void*> held;
    for (int i = 0; i < 2000; ++i) {
      const size_t bytes = 1 + static_cast<size_t>((seed * 7919 + i * 104729) % (3 * kMiB));
      void* p = f.alloc->Allocate(bytes);
      {
        std::lock_guard<std::mutex> lock(mu);
        clash |= !live.insert(p).second;
      }
      held.push_back(p);
      if (held.size() > 4) {
        {
          std::lock_guard<std::mutex> lock(mu);
          live.erase(held.front());
        }
        f.alloc->Free(held.front());
        held.erase(held.begin());
      }
    }
    for (void* p : held) {
      {
        std::lock_guard<std::mutex> lock(mu);
        live.erase(p);
      }
      f.alloc->Free(p);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(worker, t + 1);
  for (std::thread& t : threads) t.join();
  EXPECT_FALSE(clash);
  const DeviceMemoryStats s = f.alloc->stats();
  EXPECT_EQ(s.in_use_bytes, 0u);
  EXPECT_EQ(s.requests, 8000u);
  EXPECT_EQ(s.raw_allocations, static_cast<uint64_t>(f.log->allocate_calls));
  EXPECT_LT(s.raw_allocations, 400u);  // the cache serves most requests
}

}  // namespace
}  // namespace aif
