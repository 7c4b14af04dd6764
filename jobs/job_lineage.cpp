// Versions and lineage shared by all jobs.
#include <cstdlib>

#include "comm/library_versions.h"
#include "core/fs.h"
#include "core/hdf5_io.h"
#include "core/strings.h"
#include "core/version.h"
#include "jobs/job.h"
#include "kernels/library_versions.h"
#include "tensor/device.h"

namespace aif {

nlohmann::json LibraryVersions() {
  nlohmann::json v;
  v["mpi"] = MpiLibraryVersion();
  v["hdf5"] = Hdf5LibraryVersion();
  v["blas"] = BlasLibraryVersion();
  const CudaProbe& cuda = ProbeCuda();
  if (cuda.built) {
    v["cuda_runtime"] = CudaVersionString(cuda.runtime_version);
    v["cuda_driver"] = CudaVersionString(cuda.driver_version);
    v["nccl"] = NcclLibraryVersion();
    v["cudnn"] = CudnnLibraryVersion();
    v["cublas"] = CublasLibraryVersion();
  }
  return v;
}

std::string VersionLine() {
  std::string line = Format("aif %s (git %s) MPI %s, HDF5 %s", AifVersion().c_str(), GitCommit().c_str(),
                            MpiLibraryVersion().c_str(), Hdf5LibraryVersion().c_str());
  const CudaProbe& cuda = ProbeCuda();
  if (cuda.built) {
    line += Format(", CUDA %s, NCCL %s, cuDNN %s", CudaVersionString(cuda.runtime_version).c_str(),
                   NcclLibraryVersion().c_str(), CudnnLibraryVersion().c_str());
  } else {
    line += ", CUDA not built";
  }
  return line;
}

std::string VersionDetails() {
  std::string out = "BLAS: " + BlasLibraryVersion() + "\n";
  const CudaProbe& cuda = ProbeCuda();
  if (cuda.usable) {
    out += Format("GPUs: %d (driver %s): %s\n", cuda.device_count, CudaVersionString(cuda.driver_version).c_str(),
                  Join(cuda.device_names, "; ").c_str());
  } else {
    out += "GPUs: none usable; " + cuda.reason + "\n";
  }
  return out;
}

nlohmann::json JobLineage(const JobContext& ctx, const JobOptions& options) {
  nlohmann::json l;
  l["job"] = ctx.job;
  l["aif_version"] = AifVersion();
  l["git_commit"] = GitCommit();
  l["created_utc"] = NowUtcIso8601();
  l["host"] = HostName();
  l["user"] = UserName();
  l["world_size"] = ctx.world_size;
  if (const char* id = std::getenv("SLURM_JOB_ID")) l["slurm_job_id"] = id;
  if (const char* nodes = std::getenv("SLURM_JOB_NODELIST")) l["hosts"] = nodes;
  else l["hosts"] = HostName();
  l["libraries"] = LibraryVersions();
  l["config"] = options.EffectiveConfig();
  return l;
}

}  // namespace aif
