// Device memory in a build without CUDA: every request is a usage error,
// because only --device cuda (refused earlier) could lead here. The
// allocator statistics are zero.
#include "tensor/device.h"
#include "tensor/caching_allocator.h"
#include "tensor/tensor.h"

namespace aif {

void* DeviceAlloc(size_t) { ThrowBuiltWithoutCuda(); }
void DeviceFree(void*) {}
void DeviceCopy(void*, const void*, size_t, CopyKind) { ThrowBuiltWithoutCuda(); }
void DeviceMemset(void*, int, size_t) { ThrowBuiltWithoutCuda(); }
void DeviceSynchronize() { ThrowBuiltWithoutCuda(); }
DeviceMemoryStats CudaMemoryStats() { return {}; }
void EmptyCudaCache() {}

}  // namespace aif
