// The caching allocator behind CUDA tensors on a real device: a freed
// block is handed out again without a new cudaMalloc, the reused memory
// carries the new tensor's data, EmptyCudaCache gives the cache back, and a
// request no GPU can hold is a usage error naming the request.
#include <gtest/gtest.h>

#include <string>

#include "gpu_test_util.h"
#include "tensor/caching_allocator.h"

namespace aif {
namespace {

using gpu_test::OnGpu;
using gpu_test::SameBytes;
using kernel_test::RandomTensor;

using GpuAllocator = gpu_test::GpuTest;

TEST_F(GpuAllocator, ReusesAFreedBlockWithoutANewRawAllocation) {
  EmptyCudaCache();
  const DeviceMemoryStats before = CudaMemoryStats();
  void* first = nullptr;
  {
    Tensor a = Tensor::Empty({1000, 1000}, DType::kF32, DeviceType::kCuda);  // 3.8 MiB, a 4 MiB block
    first = a.raw();
    EXPECT_EQ(CudaMemoryStats().raw_allocations, before.raw_allocations + 1);
    EXPECT_EQ(CudaMemoryStats().in_use_bytes, before.in_use_bytes + (4u << 20));
  }
  EXPECT_EQ(CudaMemoryStats().cached_bytes, 4u << 20);
  Tensor cpu = RandomTensor({999, 1000}, 3);
  Tensor b = OnGpu(cpu);  // same 4 MiB block
  const DeviceMemoryStats after = CudaMemoryStats();
  EXPECT_EQ(b.raw(), first);
  EXPECT_EQ(after.raw_allocations, before.raw_allocations + 1);
  EXPECT_EQ(after.cache_hits, before.cache_hits + 1);
  EXPECT_EQ(after.cached_bytes, 0u);
  EXPECT_TRUE(SameBytes(b, cpu));
}

TEST_F(GpuAllocator, EmptyCacheReturnsCachedBlocks) {
  { Tensor a = Tensor::Zeros({3, 1 << 20}, DType::kF32, DeviceType::kCuda); }
  const DeviceMemoryStats cached = CudaMemoryStats();
  EXPECT_GE(cached.cached_bytes, 12u << 20);
  EmptyCudaCache();
  const DeviceMemoryStats empty = CudaMemoryStats();
  EXPECT_EQ(empty.cached_bytes, 0u);
  EXPECT_GT(empty.raw_frees, cached.raw_frees);
}

TEST_F(GpuAllocator, ARequestNoGpuHoldsIsAUsageError) {
  try {
    Tensor huge = Tensor::Empty({int64_t{1} << 48}, DType::kF32, DeviceType::kCuda);  // 1 PiB
    ADD_FAILURE() << "allocated 1 PiB on the GPU";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage) << e.what();
    EXPECT_NE(std::string(e.what()).find("out of GPU memory: a tensor of 1024.0 TiB"), std::string::npos) << e.what();
  }
  // The device is still usable.
  Tensor cpu = RandomTensor({1000}, 5);
  EXPECT_TRUE(SameBytes(OnGpu(cpu), cpu));
}

}  // namespace
}  // namespace aif
