// Device memory in a build without CUDA: every request is a usage error,
// because only --device cuda (refused earlier) could lead here. The
// allocator statistics are zero.
#include "core/error.h"
#include "tensor/caching_allocator.h"
#include "tensor/tensor.h"

namespace aif {

[[noreturn]] static void NoCuda() {
  ThrowUsage("this aif was built without CUDA; use --device cpu or rebuild with -DAIF_CUDA=ON");
}
void* DeviceAlloc(size_t) { NoCuda(); }
void DeviceFree(void*) {}
void DeviceCopy(void*, const void*, size_t, CopyKind) { NoCuda(); }
void DeviceMemset(void*, int, size_t) { NoCuda(); }
void DeviceSynchronize() { NoCuda(); }
DeviceMemoryStats CudaMemoryStats() { return {}; }
void EmptyCudaCache() {}

}  // namespace aif
