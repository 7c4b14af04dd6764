// One GPU per rank. ChooseGpu picks this rank's device from its local rank
// (the launcher's environment) and the number of devices CUDA shows it; the
// one-line explanation says what happened, for the log. CheckOneGpuPerRank
// then proves the choice over the whole job: every rank contributes its host
// name and its GPU's identity (PCI bus id and UUID) and no two ranks on one
// host may hold the same GPU. Pure logic, no CUDA: the CUDA side
// (nccl_communicator.h's BindRankToGpu) feeds it, and unit tests feed it
// given environments and lists.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "comm/communicator.h"

namespace aif {

// Looks up an environment variable: nullptr when unset (std::getenv).
using EnvLookup = std::function<const char*(const char* name)>;

// The launchers' local-rank variables, in the order they are consulted:
// Open MPI, MPICH/Intel MPI (Hydra), Slurm's srun, PMI (e.g. Cray PALS).
extern const char* const kLocalRankVariables[4];

struct LocalRank {
  int rank = 0;
  std::string source;  // the variable it came from; empty when none was set
};
// The first of kLocalRankVariables that is set. A value that is not a
// non-negative integer is a usage error naming the variable.
LocalRank LocalRankFromEnv(const EnvLookup& env);

struct GpuChoice {
  int device = 0;           // ordinal among the devices CUDA shows this rank
  std::string explanation;  // one line: the choice and why
};
// `visible_devices`: what cudaGetDeviceCount reports; `cuda_visible_devices`:
// CUDA_VISIBLE_DEVICES, nullptr when unset. The local rank indexes the
// visible devices; with exactly one visible device every rank uses it (the
// launcher gave each rank its own, e.g. srun --gpus-per-task=1; if it gave
// them all the same one, CheckOneGpuPerRank says so). Usage errors when no
// device is visible, or when the local rank exceeds the visible count.
GpuChoice ChooseGpu(const LocalRank& local, int visible_devices, const char* cuda_visible_devices);

struct GpuIdentity {
  std::string host;  // host name
  std::string gpu;   // "0000:3B:00.0 GPU-8c2f..." (PCI bus id, UUID)
};

// Identities travel as fixed-size records of kIdentityWords i64 words (an
// AllGather of i64 needs no variable sizes): the host name and the GPU id,
// each zero-padded or cut to kIdentityFieldBytes bytes (Linux host names
// have at most 64 bytes; a bus id and a UUID need 53).
constexpr int kIdentityFieldBytes = 64;
constexpr int kIdentityWords = 2 * kIdentityFieldBytes / 8;
std::vector<int64_t> EncodeGpuIdentity(const GpuIdentity& id);
GpuIdentity DecodeGpuIdentity(const int64_t* words);

// Empty when no two ranks on one host share a GPU; else one line naming the
// ranks, the host and the GPU (the first such group by rank, and how many
// more there are). by_rank[r] is rank r's identity.
std::string SharedGpuError(const std::vector<GpuIdentity>& by_rank);

// Collective over `comm` (any backend; host tensors). Throws on every rank
// the same collective Error (kUsage) when SharedGpuError finds a clash.
void CheckOneGpuPerRank(Communicator& comm, const GpuIdentity& mine);

}  // namespace aif
