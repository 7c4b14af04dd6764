// The CUDA side of one GPU per rank (BindRankToGpu, CurrentGpuIdentity) and
// NCCL's error text (nccl_check.h); the decisions themselves are the pure
// functions of gpu_assignment.h.
#include <cuda_runtime.h>
#include <nccl.h>

#include <cstdlib>

#include "comm/nccl_check.h"
#include "comm/nccl_communicator.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"
#include "tensor/cuda_check.h"
#include "tensor/device.h"

namespace aif {

void ThrowNccl(ncclResult_t rc, ncclComm_t comm, const char* call, const std::string& what) {
  const char* last = ncclGetLastError(comm);  // comm is unused by NCCL 2.x and may be null
  throw Error(ErrorKind::kComm,
              Format("%s failed on %s: %s%s%s (a rank may have died or the interconnect failed; see the other "
                     "ranks' logs, and NCCL_DEBUG=WARN for NCCL's own)",
                     call, what.c_str(), ncclGetErrorString(rc), last && *last ? ": " : "", last ? last : ""));
}

GpuChoice BindRankToGpu() {
  const CudaProbe& probe = ProbeCuda();
  if (!probe.usable) ThrowUsage("no usable CUDA device for this rank: %s; run with --device cpu", probe.reason.c_str());
  const LocalRank local = LocalRankFromEnv([](const char* name) -> const char* { return std::getenv(name); });
  GpuChoice choice = ChooseGpu(local, probe.device_count, std::getenv("CUDA_VISIBLE_DEVICES"));
  AIF_CUDA_CHECK(cudaSetDevice(choice.device));
  return choice;
}

GpuIdentity CurrentGpuIdentity() {
  int device = 0;
  AIF_CUDA_CHECK(cudaGetDevice(&device));
  char bus[32] = {0};
  AIF_CUDA_CHECK(cudaDeviceGetPCIBusId(bus, sizeof(bus), device));
  cudaDeviceProp prop;
  AIF_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  // nvidia-smi's form: GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.
  std::string uuid = "GPU-";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) uuid += '-';
    uuid += Format("%02x", static_cast<unsigned char>(prop.uuid.bytes[i]));
  }
  return {HostName(), Format("%s %s", bus, uuid.c_str())};
}

}  // namespace aif
