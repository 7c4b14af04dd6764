#include <cublas_v2.h>
#include <cudnn.h>

#include "core/strings.h"
#include "kernels/library_versions.h"

namespace aif {

std::string CublasLibraryVersion() {
  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) != CUBLAS_STATUS_SUCCESS) return "unknown";
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  return Format("%d.%d.%d", major, minor, patch);
}

std::string CudnnLibraryVersion() {
  size_t v = cudnnGetVersion();  // 9.x: major*10000 + minor*100 + patch
  return Format("%zu.%zu.%zu", v / 10000, (v % 10000) / 100, v % 100);
}

}  // namespace aif
