// The entries of the all-reduce sweep. aif's entries go through the
// Communicator exactly as training does (AllReduce; AllReduceAsync + Wait is
// what the gradient buckets use); the references call MPI directly with the
// same arguments (MPI_IN_PLACE, MPI_FLOAT, MPI_SUM). Build-dependent entries
// are decided here and nowhere else.
#include "allreduce/allreduce_contenders.h"

#include <mpi.h>

#include <memory>

#include "comm/communicator.h"

namespace aif {
namespace bench {

std::vector<Contender> MakeContenders() {
  std::shared_ptr<Communicator> mpi = MakeMpiCommunicator();
  std::vector<Contender> list;
  list.push_back({"aif-mpi", "Communicator::AllReduce(t, kSum), MPI backend", "raw-mpi", "", DeviceType::kCpu,
                  [mpi](const Tensor& t) { mpi->AllReduce(t, ReduceOp::kSum); }});
  list.push_back({"aif-mpi-async", "Communicator::AllReduceAsync(t, kSum)->Wait(), MPI backend (gradient buckets)",
                  "raw-mpi", "", DeviceType::kCpu,
                  [mpi](const Tensor& t) { mpi->AllReduceAsync(t, ReduceOp::kSum)->Wait(); }});
  // The NCCL backend (issue 6) goes here, on DeviceType::kCuda buffers, once
  // comm/ has MakeNcclCommunicator(); its peer would be raw ncclAllReduce.
  list.push_back({"aif-nccl", "Communicator::AllReduce(t, kSum), NCCL backend", "",
                  "not built: aif has no NCCL communicator yet (issue 6); this build has no CUDA",
                  DeviceType::kCuda, nullptr});
  list.push_back({"raw-mpi", "MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD)", "", "",
                  DeviceType::kCpu, [](const Tensor& t) {
                    MPI_Allreduce(MPI_IN_PLACE, t.raw(), static_cast<int>(t.numel()), MPI_FLOAT, MPI_SUM,
                                  MPI_COMM_WORLD);
                  }});
  list.push_back({"raw-mpi-nb", "MPI_Iallreduce(MPI_IN_PLACE, ...) + MPI_Wait", "", "", DeviceType::kCpu,
                  [](const Tensor& t) {
                    MPI_Request r;
                    MPI_Iallreduce(MPI_IN_PLACE, t.raw(), static_cast<int>(t.numel()), MPI_FLOAT, MPI_SUM,
                                   MPI_COMM_WORLD, &r);
                    MPI_Wait(&r, MPI_STATUS_IGNORE);
                  }});
  return list;
}

}  // namespace bench
}  // namespace aif
