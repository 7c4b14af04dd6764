// --device auto|cpu|cuda: where a job computes. `auto` means CUDA when this
// build has the CUDA backend and the probe (tensor/device.h) found a usable
// GPU, else the CPU; `cuda` without one is a usage error that says why and
// what to do. Pure decision logic on a CudaProbe, so it is tested without a
// GPU; the job probes once and logs the explanation.
#pragma once

#include <string>

#include "tensor/device.h"

namespace aif {

enum class DeviceRequest { kAuto, kCpu, kCuda };

DeviceRequest ParseDeviceRequest(const std::string& name);  // throws kUsage
const char* DeviceRequestName(DeviceRequest request);

struct DeviceDecision {
  DeviceType device = DeviceType::kCpu;
  std::string explanation;  // one line for the log
};

// Throws kUsage for kCuda when the build has no CUDA backend or no GPU is usable.
DeviceDecision ResolveDevice(DeviceRequest request, const CudaProbe& probe);

}  // namespace aif
