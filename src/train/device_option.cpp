#include "train/device_option.h"

#include "core/error.h"
#include "core/strings.h"

namespace aif {

DeviceRequest ParseDeviceRequest(const std::string& name) {
  if (name == "auto") return DeviceRequest::kAuto;
  if (name == "cpu") return DeviceRequest::kCpu;
  if (name == "cuda" || name == "gpu") return DeviceRequest::kCuda;
  ThrowUsage("--device must be auto, cpu or cuda, not '%s'", name.c_str());
}

const char* DeviceRequestName(DeviceRequest request) {
  switch (request) {
    case DeviceRequest::kAuto: return "auto";
    case DeviceRequest::kCpu: return "cpu";
    case DeviceRequest::kCuda: return "cuda";
  }
  return "?";
}

DeviceDecision ResolveDevice(DeviceRequest request, const CudaProbe& probe) {
  const std::string gpus = probe.usable ? Format("%d GPU(s), first %s, CUDA runtime %s, driver %s", probe.device_count,
                                                 probe.device_names.empty() ? "?" : probe.device_names[0].c_str(),
                                                 CudaVersionString(probe.runtime_version).c_str(),
                                                 CudaVersionString(probe.driver_version).c_str())
                                          : "";
  switch (request) {
    case DeviceRequest::kCpu:
      return {DeviceType::kCpu, "device cpu (--device cpu)"};
    case DeviceRequest::kCuda:
      if (!probe.built) {
        ThrowUsage("--device cuda: this aif was built without the CUDA backend; rebuild with -DAIF_CUDA=ON (needs the "
                   "CUDA toolkit) or use --device cpu");
      }
      if (!probe.usable) ThrowUsage("--device cuda: %s; use --device cpu", probe.reason.c_str());
      return {DeviceType::kCuda, "device cuda (--device cuda): " + gpus};
    case DeviceRequest::kAuto:
      if (probe.built && probe.usable) return {DeviceType::kCuda, "device cuda (--device auto): " + gpus};
      return {DeviceType::kCpu, std::string("device cpu (--device auto): ") +
                                    (probe.built ? probe.reason : "built without the CUDA backend")};
  }
  ThrowInternal("unknown device request");
}

}  // namespace aif
