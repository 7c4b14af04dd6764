// The entries of the all-reduce sweep. aif's entries go through the
// Communicator exactly as training does (AllReduce; AllReduceAsync + Wait is
// what the gradient buckets use); the references call MPI directly with the
// same arguments (MPI_IN_PLACE, MPI_FLOAT, MPI_SUM). Build-dependent entries
// are decided here and nowhere else.
#include "allreduce/allreduce_contenders.h"

#include <mpi.h>

#include <memory>

#include "comm/communicator.h"
#include "tensor/device.h"

#if defined(AIF_WITH_CUDA)
#include "comm/nccl_communicator.h"
#endif

namespace aif {
namespace bench {
namespace {

// aif's NCCL backend on device buffers. AllReduce returns once the
// collective is queued and ordered before later GPU work; "complete on
// return" needs the device synchronised, which each call then does (a few
// microseconds that a raw-NCCL peer would pay too; that peer, raw
// ncclAllReduce, is still to add, so the entry has no ratio yet). Creating
// it is collective: every rank must see a GPU (one node type per job); ranks
// that do would otherwise wait in the set-up until the collective watchdog
// (AIF_COMM_TIMEOUT) ends them.
Contender MakeNcclContender() {
  Contender c{"aif-nccl", "Communicator::AllReduce(t, kSum) + device synchronise, NCCL backend", "", "",
              DeviceType::kCuda, nullptr};
#if defined(AIF_WITH_CUDA)
  if (!ProbeCuda().usable) {
    c.unavailable = "no usable GPU: " + ProbeCuda().reason;
    return c;
  }
  BindRankToGpu();
  std::shared_ptr<Communicator> nccl = MakeNcclCommunicator(MakeMpiCommunicator());
  c.all_reduce = [nccl](const Tensor& t) {
    nccl->AllReduce(t, ReduceOp::kSum);
    DeviceSynchronize();
  };
#else
  c.unavailable = "this build has no CUDA (configure with -DAIF_CUDA=ON)";
#endif
  return c;
}

}  // namespace

std::vector<Contender> MakeContenders() {
  std::shared_ptr<Communicator> mpi = MakeMpiCommunicator();
  std::vector<Contender> list;
  list.push_back({"aif-mpi", "Communicator::AllReduce(t, kSum), MPI backend", "raw-mpi", "", DeviceType::kCpu,
                  [mpi](const Tensor& t) { mpi->AllReduce(t, ReduceOp::kSum); }});
  list.push_back({"aif-mpi-async", "Communicator::AllReduceAsync(t, kSum)->Wait(), MPI backend (gradient buckets)",
                  "raw-mpi", "", DeviceType::kCpu,
                  [mpi](const Tensor& t) { mpi->AllReduceAsync(t, ReduceOp::kSum)->Wait(); }});
  list.push_back(MakeNcclContender());
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
