// --device: parsing, and the decision on given CUDA probes (no GPU needed).
#include <gtest/gtest.h>

#include "core/error.h"
#include "train/device_option.h"

namespace aif {
namespace {

CudaProbe Probe(bool built, bool usable) {
  CudaProbe p;
  p.built = built;
  p.usable = usable;
  p.device_count = usable ? 2 : 0;
  if (usable) p.device_names = {"NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"};
  p.runtime_version = built ? 13000 : 0;
  p.driver_version = usable ? 13000 : 0;
  p.reason = usable ? "" : "no usable CUDA device: CUDA runtime reports 'no CUDA-capable device is detected' (100)";
  return p;
}

ErrorKind KindOf(DeviceRequest r, const CudaProbe& p, std::string* message) {
  try {
    ResolveDevice(r, p);
  } catch (const Error& e) {
    *message = e.what();
    return e.kind();
  }
  return ErrorKind::kInternal;
}

TEST(DeviceOption, Parse) {
  EXPECT_EQ(ParseDeviceRequest("auto"), DeviceRequest::kAuto);
  EXPECT_EQ(ParseDeviceRequest("cpu"), DeviceRequest::kCpu);
  EXPECT_EQ(ParseDeviceRequest("cuda"), DeviceRequest::kCuda);
  EXPECT_STREQ(DeviceRequestName(ParseDeviceRequest("gpu")), "cuda");
  EXPECT_THROW(ParseDeviceRequest("tpu"), Error);
}

TEST(DeviceOption, AutoTakesAUsableGpuElseTheCpuAndSaysWhy) {
  DeviceDecision d = ResolveDevice(DeviceRequest::kAuto, Probe(true, true));
  EXPECT_EQ(d.device, DeviceType::kCuda);
  EXPECT_NE(d.explanation.find("NVIDIA H100"), std::string::npos) << d.explanation;
  d = ResolveDevice(DeviceRequest::kAuto, Probe(true, false));
  EXPECT_EQ(d.device, DeviceType::kCpu);
  EXPECT_NE(d.explanation.find("no CUDA-capable device"), std::string::npos) << d.explanation;
  d = ResolveDevice(DeviceRequest::kAuto, Probe(false, false));
  EXPECT_EQ(d.device, DeviceType::kCpu);
  EXPECT_NE(d.explanation.find("without the CUDA backend"), std::string::npos) << d.explanation;
}

TEST(DeviceOption, CpuIsAlwaysTheCpu) {
  EXPECT_EQ(ResolveDevice(DeviceRequest::kCpu, Probe(true, true)).device, DeviceType::kCpu);
}

TEST(DeviceOption, CudaWithoutAGpuIsAUsageErrorThatSaysWhatToDo) {
  EXPECT_EQ(ResolveDevice(DeviceRequest::kCuda, Probe(true, true)).device, DeviceType::kCuda);
  std::string message;
  EXPECT_EQ(KindOf(DeviceRequest::kCuda, Probe(true, false), &message), ErrorKind::kUsage);
  EXPECT_NE(message.find("no CUDA-capable device"), std::string::npos) << message;
  EXPECT_NE(message.find("--device cpu"), std::string::npos) << message;
  EXPECT_EQ(KindOf(DeviceRequest::kCuda, Probe(false, false), &message), ErrorKind::kUsage);
  EXPECT_NE(message.find("-DAIF_CUDA=ON"), std::string::npos) << message;
}

}  // namespace
}  // namespace aif
