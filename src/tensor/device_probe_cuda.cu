// CUDA side of ProbeCuda(): one call to cudaGetDeviceCount, whose failure
// (cudaErrorInsufficientDriver, cudaErrorNoDevice) means "use the CPU".
#include <cuda_runtime.h>

#include "core/strings.h"
#include "tensor/device.h"

namespace aif {

const CudaProbe& ProbeCuda() {
  static const CudaProbe probe = [] {
    CudaProbe p;
    p.built = true;
    cudaRuntimeGetVersion(&p.runtime_version);
    cudaDriverGetVersion(&p.driver_version);
    int count = 0;  // not written on failure
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      p.reason = Format("CUDA runtime reports '%s' (%d)", cudaGetErrorString(err), static_cast<int>(err));
      cudaGetLastError();
      return p;
    }
    if (count == 0) {
      p.reason = "no CUDA device is visible (check CUDA_VISIBLE_DEVICES and the allocation's --gpus)";
      return p;
    }
    p.usable = true;
    p.device_count = count;
    for (int i = 0; i < count; ++i) {
      cudaDeviceProp prop;
      if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) {
        p.device_names.push_back(Format("%s (sm_%d%d, %.0f GiB)", prop.name, prop.major, prop.minor,
                                        prop.totalGlobalMem / 1073741824.0));
      }
    }
    return p;
  }();
  return probe;
}

}  // namespace aif
