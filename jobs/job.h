// What every job shares: its place in the MPI world, the registry of jobs,
// collective error agreement and the lineage every output carries.
//
// Errors under MPI. A job that fails on every rank alike (bad options, a
// missing file checked by all, a failure in RunOnRoot, a NaN in an
// all-reduced loss) throws an Error marked collective on every rank: rank 0
// prints the line once and all ranks exit with the same code. Any other
// Error is rank-local: that rank prints it, naming itself and its host, and
// calls MPI_Abort so no rank waits forever.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/options.h"

namespace aif {

struct JobContext {
  std::string job;
  int rank = 0;
  int world_size = 1;
  bool mpi = false;  // MPI_Init was called (launched by mpirun or srun)
  bool is_root() const { return rank == 0; }
};

using JobMain = int (*)(int argc, char** argv, JobContext& ctx);
struct JobEntry {
  const char* name;
  const char* summary;
  JobMain run;
};
const std::vector<JobEntry>& AllJobs();

// Initialises MPI when the process was started by a launcher (mpirun, srun
// --mpi=pmix); otherwise the job runs as rank 0 of 1 without MPI.
void StartJobWorld(JobContext* ctx);
void FinishJobWorld(const JobContext& ctx);
[[noreturn]] void AbortJobWorld(const JobContext& ctx, int exit_code);

// Runs fn on every rank; if it throws on any rank, every rank throws a
// collective Error with the message of the lowest failing rank.
void RunCollectively(const JobContext& ctx, const std::function<void()>& fn);
// Runs fn on rank 0 only, the others wait; failures as RunCollectively.
void RunOnRoot(const JobContext& ctx, const std::function<void()>& fn);
// Parses options on every rank; false when --help was printed.
bool ParseJobOptions(const JobContext& ctx, JobOptions* options, int argc, char** argv);

// Lineage facts of this job: versions, commit, host(s), user, Slurm job id,
// world size, time and the effective configuration.
nlohmann::json JobLineage(const JobContext& ctx, const JobOptions& options);

// "aif 0.1.0 (git ...) MPI ..., HDF5 ..., CUDA ..., NCCL ..., cuDNN ..."
std::string VersionLine();
std::string VersionDetails();
nlohmann::json LibraryVersions();

}  // namespace aif
