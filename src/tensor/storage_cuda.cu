// Device memory for tensors through the CUDA runtime: one CachingAllocator
// per device (caching_allocator.h) over cudaMalloc/cudaFree, created on first
// use and kept until the process ends (tensors held by statics may be freed
// after any destructor of this file would have run). Errors name the call and
// the CUDA error; out of memory is a usage error (kUsage) from the allocator.
#include <cuda_runtime.h>

#include <memory>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "tensor/caching_allocator.h"
#include "tensor/compute_stream.h"
#include "tensor/cuda_check.h"
#include "tensor/tensor.h"

namespace aif {
namespace {

class CudaRawMemory final : public RawDeviceMemory {
 public:
  explicit CudaRawMemory(int device) : device_(device) {}

  // Called on the thread that allocates, whose current device is device_.
  void* Allocate(size_t bytes) override {
    void* ptr = nullptr;
    cudaError_t err = cudaMalloc(&ptr, bytes);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear it, so the next launch check does not report it again
      return nullptr;
    }
    AIF_CUDA_CHECK(err);
    return ptr;
  }

  // A failure here (a context already broken by a kernel fault) has been or
  // will be reported by the call that waits; freeing must not throw.
  void Free(void* ptr) override {
    if (cudaFree(ptr) != cudaSuccess) cudaGetLastError();
  }

  std::string Describe() override {
    std::string name = "?";
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, device_) == cudaSuccess) name = prop.name;
    size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
      cudaGetLastError();
      return Format("cuda:%d (%s)", device_, name.c_str());
    }
    return Format("cuda:%d (%s, %s of %s free)", device_, name.c_str(),
                  HumanBytes(static_cast<double>(free_bytes)).c_str(),
                  HumanBytes(static_cast<double>(total_bytes)).c_str());
  }

 private:
  int device_;
};

// Indexed by device ordinal; never destroyed (see the top of the file).
std::mutex g_allocators_mu;
std::vector<CachingAllocator*>* g_allocators = new std::vector<CachingAllocator*>();

int CurrentDevice() {
  int device = 0;
  AIF_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

CachingAllocator& AllocatorFor(int device) {
  std::lock_guard<std::mutex> lock(g_allocators_mu);
  std::vector<CachingAllocator*>& all = *g_allocators;
  if (static_cast<size_t>(device) >= all.size()) all.resize(device + 1, nullptr);
  if (!all[device]) all[device] = new CachingAllocator(std::make_unique<CudaRawMemory>(device));
  return *all[device];
}

}  // namespace

cudaStream_t ComputeStream() { return nullptr; }

void* DeviceAlloc(size_t bytes) { return AllocatorFor(CurrentDevice()).Allocate(bytes); }

void DeviceFree(void* ptr) {
  if (!ptr) return;
  // Usually the current device's block (one GPU per rank); else another's.
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) cudaGetLastError();
  std::vector<CachingAllocator*> all;
  {
    std::lock_guard<std::mutex> lock(g_allocators_mu);
    all = *g_allocators;
  }
  if (static_cast<size_t>(device) < all.size() && all[device] && all[device]->Free(ptr)) return;
  for (CachingAllocator* a : all) {
    if (a && a->Free(ptr)) return;
  }
  // Called from Storage's destructor: report, never throw.
  LogWarn("DeviceFree: %p is not a block of aif's device allocator; not freed (a bug: please report it)", ptr);
}

DeviceMemoryStats CudaMemoryStats() { return AllocatorFor(CurrentDevice()).stats(); }

void EmptyCudaCache() { AllocatorFor(CurrentDevice()).EmptyCache(); }

void DeviceSynchronize() { AIF_CUDA_CHECK(cudaDeviceSynchronize()); }

void DeviceCopy(void* dst, const void* src, size_t bytes, CopyKind kind) {
  cudaMemcpyKind k = kind == CopyKind::kHostToDevice   ? cudaMemcpyHostToDevice
                     : kind == CopyKind::kDeviceToHost ? cudaMemcpyDeviceToHost
                                                       : cudaMemcpyDeviceToDevice;
  AIF_CUDA_CHECK(cudaMemcpy(dst, src, bytes, k));
}

void DeviceMemset(void* dst, int value, size_t bytes) { AIF_CUDA_CHECK(cudaMemset(dst, value, bytes)); }

}  // namespace aif
