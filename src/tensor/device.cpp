#include "tensor/device.h"

#include "core/strings.h"

namespace aif {

const char* DeviceName(DeviceType device) { return device == DeviceType::kCuda ? "cuda" : "cpu"; }

std::string CudaVersionString(int version) {
  if (version <= 0) return "none";
  return Format("%d.%d", version / 1000, (version % 1000) / 10);
}

}  // namespace aif
