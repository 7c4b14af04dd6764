// Device memory for tensors through the CUDA runtime. Errors name the call
// and the CUDA error; they are internal errors (kInternal) because the
// device was probed usable before any tensor was placed on it.
#include <cuda_runtime.h>

#include "core/error.h"
#include "core/strings.h"
#include "tensor/cuda_check.h"
#include "tensor/tensor.h"

namespace aif {

void* DeviceAlloc(size_t bytes) {
  void* ptr = nullptr;
  cudaError_t err = cudaMalloc(&ptr, bytes);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear it, so the next launch check does not report it again
    ThrowInternal("cudaMalloc of %s failed: %s; lower the batch size", HumanBytes(static_cast<double>(bytes)).c_str(),
                  cudaGetErrorString(err));
  }
  return ptr;
}

void DeviceFree(void* ptr) { cudaFree(ptr); }

void DeviceCopy(void* dst, const void* src, size_t bytes, CopyKind kind) {
  cudaMemcpyKind k = kind == CopyKind::kHostToDevice   ? cudaMemcpyHostToDevice
                     : kind == CopyKind::kDeviceToHost ? cudaMemcpyDeviceToHost
                                                       : cudaMemcpyDeviceToDevice;
  AIF_CUDA_CHECK(cudaMemcpy(dst, src, bytes, k));
}

void DeviceMemset(void* dst, int value, size_t bytes) { AIF_CUDA_CHECK(cudaMemset(dst, value, bytes)); }

}  // namespace aif
