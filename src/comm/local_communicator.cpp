// The Local backend: one rank, no MPI. Every reduction over one rank is the
// identity, a gather is a copy, and an asynchronous call has finished when it
// returns. It still checks its arguments like the other backends, so a bad
// call fails on a laptop run and not only on the cluster.
#include <memory>

#include "comm/collective_checks.h"
#include "comm/communicator.h"

namespace aif {
namespace {

class CompletedCollective final : public PendingCollective {
 public:
  bool Test() override { return true; }
  void Wait() override {}
};

class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "local"; }

  void AllReduce(const Tensor& t, ReduceOp op) override {
    CheckReducible(t, op, "AllReduce");
    CheckOnCpu(t, "local", "AllReduce");
  }

  std::unique_ptr<PendingCollective> AllReduceAsync(const Tensor& t, ReduceOp op) override {
    CheckReducible(t, op, "AllReduceAsync");
    CheckOnCpu(t, "local", "AllReduceAsync");
    return std::make_unique<CompletedCollective>();
  }

  void Broadcast(const Tensor& t, int root) override {
    CheckCollectiveTensor(t, "Broadcast");
    CheckOnCpu(t, "local", "Broadcast");
    CheckRoot(root, 1, "Broadcast");
  }

  void AllGather(const Tensor& in, const Tensor& out) override {
    CheckAllGatherArgs(in, out, 1, "AllGather");
    CheckOnCpu(in, "local", "AllGather");
    CheckOnCpu(out, "local", "AllGather");
    if (in.raw() != out.raw()) Tensor(out).CopyFrom(in);
  }

  void Barrier() override {}
};

}  // namespace

std::unique_ptr<Communicator> MakeLocalCommunicator() { return std::make_unique<LocalCommunicator>(); }

}  // namespace aif
