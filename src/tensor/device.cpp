#include "tensor/device.h"

#include "core/strings.h"

namespace aif {

std::string CudaVersionString(int version) {
  if (version <= 0) return "none";
  return Format("%d.%d", version / 1000, (version % 1000) / 10);
}

}  // namespace aif
