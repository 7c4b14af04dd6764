// The Mpi backend: collectives on host tensors over a duplicate of
// MPI_COMM_WORLD, so aif's traffic can never match another library's messages
// on WORLD. Errors are returned, not fatal (MPI_ERRORS_RETURN on the dup), and
// every return code becomes an aif::Error of kind kComm naming the call. Call
// from the thread that initialised MPI (job start-up asks for FUNNELED).
#include <mpi.h>

#include <climits>
#include <memory>
#include <string>

#include "comm/collective_checks.h"
#include "comm/communicator.h"
#include "core/strings.h"

namespace aif {
namespace {

bool MpiFinalized() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  return finalized != 0;
}

std::string MpiErrorText(int rc) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) return Format("MPI error code %d", rc);
  return std::string(text, static_cast<size_t>(len));
}

// `what` describes the operation; built only on failure, off the fast path.
[[noreturn]] void ThrowMpi(int rc, const char* call, const std::string& what) {
  throw Error(ErrorKind::kComm, Format("%s failed on %s: %s (a rank may have died or the interconnect failed; "
                                       "see the other ranks' logs)",
                                       call, what.c_str(), MpiErrorText(rc).c_str()));
}

std::string Describe(const Tensor& t, ReduceOp op) { return t.Describe() + " (" + ReduceOpName(op) + ")"; }

MPI_Datatype MpiTypeOf(const Tensor& t) {
  switch (t.dtype()) {
    case DType::kF32: return MPI_FLOAT;
    case DType::kI32: return MPI_INT32_T;
    case DType::kI64: return MPI_INT64_T;
    case DType::kF64: return MPI_DOUBLE;
    default: ThrowInternal("no MPI type for %s tensors", DTypeName(t.dtype()));
  }
}

MPI_Op MpiOpOf(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAverage: return MPI_SUM;  // then divided by the size
    case ReduceOp::kMax: return MPI_MAX;
    case ReduceOp::kMin: return MPI_MIN;
  }
  ThrowInternal("unknown reduce op %d", static_cast<int>(op));
}

// MPI counts are int. Buffers past 2^31 elements would need chunking that no
// caller needs today (gradient buckets are megabytes), so they are refused.
int MpiCount(const Tensor& t, const char* call) {
  if (t.numel() > INT_MAX) {
    ThrowInternal("%s: %s has more elements than an MPI count can hold (2^31 - 1); split it (smaller gradient "
                  "buckets)",
                  call, t.Describe().c_str());
  }
  return static_cast<int>(t.numel());
}

// kAverage is a sum followed by a division by the number of ranks. Dividing
// (not multiplying by 1/size) keeps the result correctly rounded, so an
// average of exactly representable values is the exact quotient.
void FinishReduction(const Tensor& t, ReduceOp op, int size) {
  if (op != ReduceOp::kAverage || size == 1) return;
  float* p = t.data<float>();
  const float n = static_cast<float>(size);
  for (int64_t i = 0, e = t.numel(); i < e; ++i) p[i] /= n;
}

// An MPI_Iallreduce in flight. Open MPI progresses non-blocking collectives
// only inside MPI calls, so callers poll Test() while they compute.
class MpiPendingAllReduce final : public PendingCollective {
 public:
  MpiPendingAllReduce(MPI_Request request, Tensor t, ReduceOp op, int size)
      : request_(request), tensor_(std::move(t)), op_(op), size_(size) {}

  // Must not throw: waits quietly; a failure here has no one to report to.
  ~MpiPendingAllReduce() override {
    if (!done_ && !MpiFinalized()) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }

  bool Test() override {
    if (done_) return true;
    int flag = 0;
    int rc = MPI_Test(&request_, &flag, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) Fail(rc, "MPI_Test");
    if (flag) Complete();
    return done_;
  }

  void Wait() override {
    if (done_) return;
    int rc = MPI_Wait(&request_, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) Fail(rc, "MPI_Wait");
    Complete();
  }

 private:
  void Complete() {
    done_ = true;
    FinishReduction(tensor_, op_, size_);
  }

  [[noreturn]] void Fail(int rc, const char* call) {
    done_ = true;  // the request is broken: the destructor must not wait on it
    ThrowMpi(rc, call, "an all-reduce of " + Describe(tensor_, op_));
  }

  MPI_Request request_;
  Tensor tensor_;  // keeps the buffer alive while MPI writes into it
  ReduceOp op_;
  int size_;
  bool done_ = false;
};

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized || MpiFinalized()) {
      ThrowInternal("MakeMpiCommunicator: MPI is not running; the job's start-up must call MPI_Init_thread first");
    }
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    if (rc != MPI_SUCCESS) ThrowMpi(rc, "MPI_Comm_dup", "MPI_COMM_WORLD");
    rc = MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_rank(comm_, &rank_);
    if (rc == MPI_SUCCESS) rc = MPI_Comm_size(comm_, &size_);
    if (rc != MPI_SUCCESS) {
      MPI_Comm_free(&comm_);
      ThrowMpi(rc, "MPI_Comm_set_errhandler/rank/size", "the duplicate of MPI_COMM_WORLD");
    }
  }

  ~MpiCommunicator() override {
    // After MPI_Finalize every MPI call but a few is erroneous.
    if (comm_ != MPI_COMM_NULL && !MpiFinalized()) MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  void AllReduce(const Tensor& t, ReduceOp op) override {
    CheckReducible(t, op, "AllReduce");
    CheckOnCpu(t, "mpi", "AllReduce");
    int rc = MPI_Allreduce(MPI_IN_PLACE, t.raw(), MpiCount(t, "AllReduce"), MpiTypeOf(t), MpiOpOf(op), comm_);
    if (rc != MPI_SUCCESS) ThrowMpi(rc, "MPI_Allreduce", Describe(t, op));
    FinishReduction(t, op, size_);
  }

  std::unique_ptr<PendingCollective> AllReduceAsync(const Tensor& t, ReduceOp op) override {
    CheckReducible(t, op, "AllReduceAsync");
    CheckOnCpu(t, "mpi", "AllReduceAsync");
    MPI_Request request = MPI_REQUEST_NULL;
    int rc = MPI_Iallreduce(MPI_IN_PLACE, t.raw(), MpiCount(t, "AllReduceAsync"), MpiTypeOf(t), MpiOpOf(op), comm_,
                            &request);
    if (rc != MPI_SUCCESS) ThrowMpi(rc, "MPI_Iallreduce", Describe(t, op));
    return std::make_unique<MpiPendingAllReduce>(request, t, op, size_);
  }

  void Broadcast(const Tensor& t, int root) override {
    CheckCollectiveTensor(t, "Broadcast");
    CheckOnCpu(t, "mpi", "Broadcast");
    CheckRoot(root, size_, "Broadcast");
    int rc = MPI_Bcast(t.raw(), MpiCount(t, "Broadcast"), MpiTypeOf(t), root, comm_);
    if (rc != MPI_SUCCESS) ThrowMpi(rc, "MPI_Bcast", Format("%s from rank %d", t.Describe().c_str(), root));
  }

  void AllGather(const Tensor& in, const Tensor& out) override {
    CheckAllGatherArgs(in, out, size_, "AllGather");
    CheckOnCpu(in, "mpi", "AllGather");
    CheckOnCpu(out, "mpi", "AllGather");
    const int count = MpiCount(in, "AllGather");
    int rc = MPI_Allgather(in.raw(), count, MpiTypeOf(in), out.raw(), count, MpiTypeOf(out), comm_);
    if (rc != MPI_SUCCESS) ThrowMpi(rc, "MPI_Allgather", in.Describe() + " into " + out.Describe());
  }

  void Barrier() override {
    int rc = MPI_Barrier(comm_);
    if (rc != MPI_SUCCESS) ThrowMpi(rc, "MPI_Barrier", Format("%d ranks", size_));
  }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> MakeMpiCommunicator() { return std::make_unique<MpiCommunicator>(); }

}  // namespace aif
