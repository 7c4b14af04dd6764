// One GPU per rank (see the header). The choice and the clash check are pure
// functions of their inputs; only CheckOneGpuPerRank talks to the other
// ranks, with one AllGather of fixed-size i64 records.
#include "comm/gpu_assignment.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <utility>

#include "core/error.h"
#include "core/strings.h"

namespace aif {

const char* const kLocalRankVariables[4] = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID",
                                            "PMI_LOCAL_RANK"};

namespace {

std::string VisibleText(const char* cuda_visible_devices) {
  return cuda_visible_devices ? Format("CUDA_VISIBLE_DEVICES=%s", cuda_visible_devices) : "CUDA_VISIBLE_DEVICES unset";
}

// "rank 3", "ranks 0 and 2", "ranks 0, 2 and 5".
std::string RankList(const std::vector<int>& ranks) {
  std::vector<std::string> names;
  for (int r : ranks) names.push_back(std::to_string(r));
  if (names.size() == 1) return "rank " + names[0];
  const std::string last = names.back();
  names.pop_back();
  return "ranks " + Join(names, ", ") + " and " + last;
}

}  // namespace

LocalRank LocalRankFromEnv(const EnvLookup& env) {
  for (const char* name : kLocalRankVariables) {
    const char* value = env(name);
    if (value == nullptr || Trim(value).empty()) continue;
    std::optional<int64_t> rank = ParseInt(value);
    if (!rank || *rank < 0 || *rank > INT_MAX) {
      ThrowUsage("%s='%s' is not a local rank (a non-negative integer); the launcher's environment is broken, or a "
                 "script set it by hand",
                 name, value);
    }
    return {static_cast<int>(*rank), name};
  }
  return {};
}

GpuChoice ChooseGpu(const LocalRank& local, int visible_devices, const char* cuda_visible_devices) {
  const std::string visible = VisibleText(cuda_visible_devices);
  if (visible_devices <= 0) {
    ThrowUsage("no CUDA device is visible to this rank (%s); ask the scheduler for GPUs (e.g. srun --gpus-per-task=1) "
               "or run with --device cpu",
               visible.c_str());
  }
  if (local.source.empty()) {
    std::vector<std::string> vars(std::begin(kLocalRankVariables), std::end(kLocalRankVariables));
    return {0, Format("no launcher set a local rank (%s): one rank on this host assumed, using device 0 of %d (%s)",
                      Join(vars, ", ").c_str(), visible_devices, visible.c_str())};
  }
  const std::string who = Format("local rank %d (%s)", local.rank, local.source.c_str());
  if (visible_devices == 1) {
    return {0, Format("%s: %s leaves exactly one device, so this rank uses it (device 0); each rank on this host "
                      "must have been given its own GPU (checked across the ranks next)",
                      who.c_str(), visible.c_str())};
  }
  if (local.rank < visible_devices) {
    return {local.rank, Format("%s uses device %d of the %d visible (%s)", who.c_str(), local.rank, visible_devices,
                               visible.c_str())};
  }
  ThrowUsage("%s has no GPU of its own: only %d CUDA devices are visible on this host (%s), devices 0 to %d; start at "
             "most %d ranks per host (e.g. srun --ntasks-per-node=%d) or give each rank one GPU "
             "(srun --gpus-per-task=1)",
             who.c_str(), visible_devices, visible.c_str(), visible_devices - 1, visible_devices, visible_devices);
}

std::vector<int64_t> EncodeGpuIdentity(const GpuIdentity& id) {
  std::vector<int64_t> words(kIdentityWords, 0);
  char* bytes = reinterpret_cast<char*>(words.data());
  std::memcpy(bytes, id.host.data(), std::min<size_t>(id.host.size(), kIdentityFieldBytes));
  std::memcpy(bytes + kIdentityFieldBytes, id.gpu.data(), std::min<size_t>(id.gpu.size(), kIdentityFieldBytes));
  return words;
}

GpuIdentity DecodeGpuIdentity(const int64_t* words) {
  const char* bytes = reinterpret_cast<const char*>(words);
  auto field = [](const char* p) { return std::string(p, strnlen(p, kIdentityFieldBytes)); };
  return {field(bytes), field(bytes + kIdentityFieldBytes)};
}

std::string SharedGpuError(const std::vector<GpuIdentity>& by_rank) {
  std::map<std::pair<std::string, std::string>, std::vector<int>> holders;
  for (int r = 0; r < static_cast<int>(by_rank.size()); ++r) holders[{by_rank[r].host, by_rank[r].gpu}].push_back(r);
  const std::pair<const std::pair<std::string, std::string>, std::vector<int>>* first = nullptr;
  int clashes = 0;
  for (const auto& entry : holders) {
    if (entry.second.size() < 2) continue;
    ++clashes;
    if (!first || entry.second[0] < first->second[0]) first = &entry;
  }
  if (!first) return "";
  const std::string more =
      clashes > 1 ? Format(" (and %d more GPUs are each held by several ranks)", clashes - 1) : std::string();
  return Format("%s share the GPU %s on host %s%s; each rank needs its own GPU: start at most one rank per GPU on "
                "each host and let aif pick each rank's GPU by its local rank, or have the launcher give each rank "
                "one GPU (srun --gpus-per-task=1); a CUDA_VISIBLE_DEVICES that shows every rank the same device "
                "causes this",
                RankList(first->second).c_str(), first->first.second.c_str(), first->first.first.c_str(),
                more.c_str());
}

void CheckOneGpuPerRank(Communicator& comm, const GpuIdentity& mine) {
  const std::vector<int64_t> record = EncodeGpuIdentity(mine);
  Tensor in = Tensor::Empty({kIdentityWords}, DType::kI64);
  std::memcpy(in.raw(), record.data(), in.nbytes());
  Tensor out = Tensor::Empty({int64_t{comm.size()} * kIdentityWords}, DType::kI64);
  comm.AllGather(in, out);
  std::vector<GpuIdentity> all;
  for (int r = 0; r < comm.size(); ++r) all.push_back(DecodeGpuIdentity(out.data<int64_t>() + r * kIdentityWords));
  const std::string error = SharedGpuError(all);
  // Every rank decided from the same gathered list: a collective error.
  if (!error.empty()) throw Error(ErrorKind::kUsage, error, /*collective=*/true);
}

}  // namespace aif
