// ProbeCuda() for builds without the CUDA backend (AIF_CUDA=OFF).
#include "core/error.h"
#include "tensor/device.h"

namespace aif {

const CudaProbe& ProbeCuda() {
  static const CudaProbe probe = [] {
    CudaProbe p;
    p.reason = "this aif was built without CUDA (AIF_CUDA=OFF or no nvcc at build time)";
    return p;
  }();
  return probe;
}

void ThrowBuiltWithoutCuda() {
  ThrowUsage("this aif was built without CUDA; use --device cpu or rebuild with -DAIF_CUDA=ON");
}

}  // namespace aif
