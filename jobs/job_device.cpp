#include "jobs/job_device.h"

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "train/device_option.h"
#if defined(AIF_WITH_CUDA)
#include "comm/nccl_communicator.h"
#endif

namespace aif {

void AddDeviceOption(JobOptions* options, std::string* request) {
  options->Add<std::string>("device", request, "auto",
                            "auto (CUDA when a usable GPU is present, else the CPU), cpu or cuda; on CUDA each rank "
                            "takes the GPU of its local rank");
}

DeviceType SetUpJobDevice(const JobContext& ctx, Communicator& comm, const std::string& request) {
  DeviceDecision decision;
  RunCollectively(ctx, [&] { decision = ResolveDevice(ParseDeviceRequest(request), ProbeCuda()); });
  const int64_t on_gpus = comm.AllReduceInt(decision.device == DeviceType::kCuda ? 1 : 0, ReduceOp::kSum);
  if (on_gpus != 0 && on_gpus != comm.size()) {
    throw Error(ErrorKind::kUsage,
                Format("--device %s: %lld of %d ranks found a usable GPU (rank %d: %s); give every rank a GPU or "
                       "use --device cpu",
                       request.c_str(), static_cast<long long>(on_gpus), comm.size(), comm.rank(),
                       decision.explanation.c_str()),
                /*collective=*/true);
  }
  if (ctx.is_root()) LogInfo("%s", decision.explanation.c_str());
  if (decision.device == DeviceType::kCuda) {
#if defined(AIF_WITH_CUDA)
    GpuChoice gpu;
    RunCollectively(ctx, [&] { gpu = BindRankToGpu(); });
    if (ctx.is_root() || ctx.world_size <= 8) LogInfo("rank %d: %s", comm.rank(), gpu.explanation.c_str());
#else
    ThrowInternal("--device resolved to CUDA in a build without the CUDA backend");
#endif
  }
  return decision.device;
}

}  // namespace aif
