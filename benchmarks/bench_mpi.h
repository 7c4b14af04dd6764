// MPI plumbing shared by the multi-rank benchmarks: start-up and shut-down
// as aif's jobs do it (MPI_THREAD_FUNNELED: the reader's prefetch thread never
// calls MPI), and the per-run maximum over ranks (a collective is as slow as
// its slowest rank). Works without a launcher too (a singleton world of one).
#pragma once

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace aif {
namespace bench {

class MpiSession {
 public:
  MpiSession(int* argc, char*** argv) {
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
      std::fprintf(stderr, "MPI_Init_thread failed; run under mpirun or srun\n");
      std::exit(1);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiSession() { MPI_Finalize(); }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0, size_ = 1;
};

// Element-wise maximum over the ranks of MPI_COMM_WORLD; every rank gets it.
inline std::vector<double> MaxOverRanks(std::vector<double> v) {
  MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return v;
}

inline double MaxOverRanks(double x) { return MaxOverRanks(std::vector<double>{x})[0]; }

inline double SumOverRanks(double x) {
  MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return x;
}

// The end of a benchmark's main(): with an option error, rank 0 prints it
// and the usage line and the result is 2; else run() is the result, and an
// exception is printed by the rank that threw it and, with more than one
// rank, aborts the job (the others may be inside a collective).
inline int RunOrUsage(const MpiSession& mpi, const char* program, const std::string& error, const char* usage,
                      const std::function<int()>& run) {
  if (!error.empty()) {
    if (mpi.rank() == 0) std::fprintf(stderr, "%s: %s\nusage: %s %s\n", program, error.c_str(), program, usage);
    return 2;
  }
  try {
    return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: rank %d: %s\n", program, mpi.rank(), e.what());
    if (mpi.size() > 1) MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return 1;
}

}  // namespace bench
}  // namespace aif
