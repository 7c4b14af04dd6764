// Checks for CUDA runtime calls, for the .cu files of tensor/, kernels/ and
// comm/ (the only modules that may include CUDA headers). A failed call throws
// aif::Error (kInternal) naming the call, the file and the line, with CUDA's
// error name and text. The error is also cleared from the runtime's "last
// error", so a later launch check does not report it a second time.
// Asynchronous kernel faults surface at the next checked call that waits.
#pragma once

#include <cuda_runtime.h>

#include "core/error.h"

namespace aif {

inline void CudaCheck(cudaError_t err, const char* call, const char* file, int line) {
  if (err == cudaSuccess) return;
  cudaGetLastError();
  ThrowInternal("%s:%d: %s failed: %s (%s)", file, line, call, cudaGetErrorString(err), cudaGetErrorName(err));
}

}  // namespace aif

#define AIF_CUDA_CHECK(call) ::aif::CudaCheck((call), #call, __FILE__, __LINE__)
