// A caching allocator for device memory. Freed blocks stay cached and are
// handed out again for requests of about their size, so a training step that
// allocates the same tensors every step reaches the raw allocator (cudaMalloc
// and cudaFree, which synchronise the device) only in its first step.
// The logic is written against RawDeviceMemory, so a unit test drives it on
// the CPU with a fake; storage_cuda.cu gives each device one, over the CUDA
// runtime, and routes every kCuda Storage through it.
//
// Sizes. A request is rounded up to a multiple of 512 B up to 1 MiB, and to
// a multiple of 2 MiB above. It takes the smallest cached block that fits and
// is at most twice its rounded size (best fit); blocks are never split or
// merged, so that bound caps the waste at half a block. When none fits, the
// raw allocator is asked; if it is out of memory, the whole cache is released
// and the request retried once, then the request fails with an aif::Error
// (kUsage) naming the request, the device and these statistics.
//
// Stream order. A freed block may be handed out again at once, before the
// GPU has run the work queued on it: that is safe because every op, copy and
// reuse is ordered on one stream, the compute stream (compute_stream.h). A
// buffer used on another stream (the NCCL stream, a copy stream) must have
// that use ordered before the compute stream's later work (an event the
// compute stream waits on; comm/'s pending collectives do this) or be
// synchronised before its tensor is dropped.
//
// Thread safety: one mutex per allocator; every member may be called from
// any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace aif {

// The device allocator underneath: cudaMalloc/cudaFree, or a test's fake.
class RawDeviceMemory {
 public:
  virtual ~RawDeviceMemory() = default;
  // nullptr when the device is out of memory; throws aif::Error for any
  // other failure (a broken context, a bad device).
  virtual void* Allocate(size_t bytes) = 0;
  virtual void Free(void* ptr) = 0;
  // The device for error messages, with its free memory where known:
  // "cuda:0 (NVIDIA H100 80GB HBM3, 1.2 GiB of 79.1 GiB free)".
  virtual std::string Describe() = 0;
};

struct DeviceMemoryStats {
  uint64_t in_use_bytes = 0;       // blocks held by tensors (rounded sizes)
  uint64_t cached_bytes = 0;       // freed blocks kept for reuse
  uint64_t peak_in_use_bytes = 0;  // largest in_use_bytes so far
  uint64_t requests = 0;           // Allocate calls served (non-zero sizes)
  uint64_t cache_hits = 0;         // ... of which from the cache
  uint64_t raw_allocations = 0;    // successful raw Allocate calls
  uint64_t raw_frees = 0;          // raw Free calls (EmptyCache, retries)
};

// "1.5 GiB in use (peak 2 GiB), 512 MiB cached, 17 raw allocations".
std::string DescribeMemoryStats(const DeviceMemoryStats& stats);

class CachingAllocator {
 public:
  static constexpr size_t kSmallRound = 512;
  static constexpr size_t kSmallLimit = size_t{1} << 20;  // rounded to 512 B up to here
  static constexpr size_t kLargeRound = size_t{2} << 20;

  explicit CachingAllocator(std::unique_ptr<RawDeviceMemory> raw);
  // Releases the cache. Blocks still held are not freed (their tensors may
  // outlive the allocator at exit; the process's end reclaims them).
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // nullptr for 0 bytes. Throws kUsage when the device is out of memory.
  void* Allocate(size_t bytes);
  // Returns a block from Allocate to the cache; nullptr is ignored. False
  // (and nothing changes) when `ptr` is not a block this allocator handed out.
  bool Free(void* ptr);
  // Gives every cached block back to the raw allocator.
  void EmptyCache();
  DeviceMemoryStats stats() const;

  // The size a request of `bytes` occupies (0 for 0).
  static size_t RoundSize(size_t bytes);

 private:
  void* TakeCached(size_t rounded);  // nullptr when no cached block fits
  void MarkInUse(void* ptr, size_t size);  // and the peak
  void EmptyCacheLocked();

  mutable std::mutex mu_;
  std::unique_ptr<RawDeviceMemory> raw_;
  std::multimap<size_t, void*> cached_;           // size -> block, for best fit
  std::unordered_map<void*, size_t> in_use_;      // block -> size
  DeviceMemoryStats stats_;
};

// The allocators behind CUDA tensors (storage_cuda.cu); without CUDA the
// statistics are zero and EmptyCudaCache does nothing.
// Statistics of the current device's allocator.
DeviceMemoryStats CudaMemoryStats();
// Releases the current device's cache (e.g. before handing the GPU to
// another library); cudaFree synchronises the device.
void EmptyCudaCache();

}  // namespace aif
