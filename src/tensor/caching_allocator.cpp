// CachingAllocator (see the header for sizes, stream order and threads). The
// cache is a multimap from block size to block, so best fit is one
// lower_bound; blocks in use are found by address in a hash map.
#include "tensor/caching_allocator.h"

#include <limits>
#include <utility>

#include "core/error.h"
#include "core/strings.h"

namespace aif {

std::string DescribeMemoryStats(const DeviceMemoryStats& s) {
  return Format("%s in use (peak %s), %s cached, %llu raw allocations, %llu of %llu requests served from the cache",
                HumanBytes(static_cast<double>(s.in_use_bytes)).c_str(),
                HumanBytes(static_cast<double>(s.peak_in_use_bytes)).c_str(),
                HumanBytes(static_cast<double>(s.cached_bytes)).c_str(),
                static_cast<unsigned long long>(s.raw_allocations), static_cast<unsigned long long>(s.cache_hits),
                static_cast<unsigned long long>(s.requests));
}

CachingAllocator::CachingAllocator(std::unique_ptr<RawDeviceMemory> raw) : raw_(std::move(raw)) {
  AIF_CHECK(raw_ != nullptr, "CachingAllocator needs a raw allocator");
}

CachingAllocator::~CachingAllocator() {
  std::lock_guard<std::mutex> lock(mu_);
  EmptyCacheLocked();
}

size_t CachingAllocator::RoundSize(size_t bytes) {
  if (bytes == 0) return 0;
  const size_t unit = bytes <= kSmallLimit ? kSmallRound : kLargeRound;
  if (bytes > std::numeric_limits<size_t>::max() - unit) {
    ThrowUsage("a device allocation of %zu bytes is beyond any device", bytes);
  }
  return (bytes + unit - 1) / unit * unit;
}

void* CachingAllocator::TakeCached(size_t rounded) {
  auto it = cached_.lower_bound(rounded);
  if (it == cached_.end() || it->first - rounded > rounded) return nullptr;  // none, or over twice the size
  void* ptr = it->second;
  const size_t size = it->first;
  cached_.erase(it);
  stats_.cached_bytes -= size;
  MarkInUse(ptr, size);
  return ptr;
}

void CachingAllocator::MarkInUse(void* ptr, size_t size) {
  in_use_.emplace(ptr, size);
  stats_.in_use_bytes += size;
  if (stats_.in_use_bytes > stats_.peak_in_use_bytes) stats_.peak_in_use_bytes = stats_.in_use_bytes;
}

void* CachingAllocator::Allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  const size_t rounded = RoundSize(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.requests;
  void* ptr = TakeCached(rounded);
  if (ptr) {
    ++stats_.cache_hits;
  } else {
    ptr = raw_->Allocate(rounded);
    const bool had_cache = stats_.cached_bytes > 0;
    if (!ptr && had_cache) {
      // Cached blocks of other sizes may be what stands in the way.
      EmptyCacheLocked();
      ptr = raw_->Allocate(rounded);
    }
    if (!ptr) {
      const DeviceMemoryStats s = stats_;
      --stats_.requests;  // not served
      ThrowUsage("out of GPU memory: a tensor of %s (%s as allocated) does not fit on %s; aif's caching "
                 "allocator holds %s%s; lower the batch size or the model size, and check that no other process "
                 "uses this GPU",
                 HumanBytes(static_cast<double>(bytes)).c_str(), HumanBytes(static_cast<double>(rounded)).c_str(),
                 raw_->Describe().c_str(), DescribeMemoryStats(s).c_str(),
                 had_cache ? " (its cache was released and the request retried)" : "");
    }
    ++stats_.raw_allocations;
    MarkInUse(ptr, rounded);
  }
  return ptr;
}

bool CachingAllocator::Free(void* ptr) {
  if (!ptr) return true;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_use_.find(ptr);
  if (it == in_use_.end()) return false;
  const size_t size = it->second;
  in_use_.erase(it);
  stats_.in_use_bytes -= size;
  cached_.emplace(size, ptr);
  stats_.cached_bytes += size;
  return true;
}

void CachingAllocator::EmptyCache() {
  std::lock_guard<std::mutex> lock(mu_);
  EmptyCacheLocked();
}

void CachingAllocator::EmptyCacheLocked() {
  for (const auto& [size, ptr] : cached_) {
    raw_->Free(ptr);
    ++stats_.raw_frees;
  }
  cached_.clear();
  stats_.cached_bytes = 0;
}

DeviceMemoryStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace aif
