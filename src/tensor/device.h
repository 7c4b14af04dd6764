// What compute devices this process can use. A CUDA-enabled build must keep
// working on machines without a GPU (login nodes, CI): ProbeCuda() asks the
// CUDA runtime once per process, treats "no driver" and "no device" as "not
// usable" with a reason, and never retries (the error would repeat).
#pragma once

#include <string>
#include <vector>

namespace aif {

enum class DeviceType { kCpu, kCuda };
const char* DeviceName(DeviceType device);  // "cpu", "cuda"

struct CudaProbe {
  bool built = false;   // compiled with the CUDA backend
  bool usable = false;  // at least one device answered
  int device_count = 0;
  int runtime_version = 0;  // e.g. 13000
  int driver_version = 0;   // 0 when no driver is loaded
  std::vector<std::string> device_names;
  std::string reason;       // why CUDA is not usable, when it is not
};

const CudaProbe& ProbeCuda();

// The usage error for a CUDA request in a build without the CUDA backend
// (defined by that build only).
[[noreturn]] void ThrowBuiltWithoutCuda();

// "13.0" from 13000; "none" for 0.
std::string CudaVersionString(int version);

}  // namespace aif
