// comm without MPI: the Local backend (identity reductions, copies, argument
// checks shared with the other backends), GradientBuckets' layout, ordering
// and polling (against a recording fake communicator), and the replica check
// (against a fake that reports a diverged rank).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "comm/gradient_buckets.h"
#include "comm/replica_check.h"

namespace aif {
namespace {

std::vector<float> Values(const Tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.numel()); }

Tensor Iota(int64_t n, float start = 1) {
  Tensor t = Tensor::Empty({n});
  for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = start + static_cast<float>(i % 97);
  return t;
}

void ExpectInternalNaming(const std::function<void()>& call, const std::string& needle) {
  try {
    call();
    ADD_FAILURE() << "expected an internal error naming '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(LocalCommunicator, ReductionsOverOneRankAreTheIdentity) {
  auto comm = MakeLocalCommunicator();
  EXPECT_EQ(comm->rank(), 0);
  EXPECT_EQ(comm->size(), 1);
  EXPECT_EQ(comm->backend(), "local");
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kAverage, ReduceOp::kMax, ReduceOp::kMin}) {
    Tensor t = Iota(7, -3);
    std::vector<float> before = Values(t);
    comm->AllReduce(t, op);
    EXPECT_EQ(Values(t), before);
    auto pending = comm->AllReduceAsync(t, op);
    EXPECT_TRUE(pending->Test());
    pending->Wait();
    EXPECT_EQ(Values(t), before);
  }
  Tensor i = Tensor::Empty({2}, DType::kI64);
  i.data<int64_t>()[0] = int64_t{1} << 40;
  i.data<int64_t>()[1] = -5;
  comm->AllReduce(i, ReduceOp::kSum);
  EXPECT_EQ(i.data<int64_t>()[0], int64_t{1} << 40);
  EXPECT_EQ(comm->AllReduceScalar(2.5, ReduceOp::kAverage), 2.5);
  EXPECT_EQ(comm->AllReduceInt(int64_t{3} << 40, ReduceOp::kMax), int64_t{3} << 40);
}

TEST(LocalCommunicator, BroadcastAllGatherBarrier) {
  auto comm = MakeLocalCommunicator();
  Tensor t = Iota(5);
  comm->Broadcast(t, 0);
  EXPECT_EQ(Values(t), Values(Iota(5)));
  ExpectInternalNaming([&] { comm->Broadcast(t, 1); }, "root 1");
  Tensor out = Tensor::Zeros({5});
  comm->AllGather(t, out);
  EXPECT_EQ(Values(out), Values(t));
  Tensor too_big = Tensor::Zeros({6});
  ExpectInternalNaming([&] { comm->AllGather(t, too_big); }, "cannot hold");
  comm->Barrier();
}

TEST(LocalCommunicator, RejectsWhatTheOtherBackendsReject) {
  auto comm = MakeLocalCommunicator();
  Tensor bf16 = Tensor::Zeros({3}, DType::kBF16);
  ExpectInternalNaming([&] { comm->AllReduce(bf16, ReduceOp::kSum); }, "bf16");
  ExpectInternalNaming([&] { comm->Broadcast(Tensor::Zeros({3}, DType::kU8), 0); }, "u8");
  Tensor i64 = Tensor::Zeros({3}, DType::kI64);
  ExpectInternalNaming([&] { comm->AllReduce(i64, ReduceOp::kAverage); }, "average of i64");
  ExpectInternalNaming([&] { comm->AllReduceAsync(i64, ReduceOp::kAverage); }, "average of i64");
  ExpectInternalNaming([&] { comm->AllReduceInt(1, ReduceOp::kAverage); }, "average of i64");
  ExpectInternalNaming([&] { comm->AllReduce(Tensor(), ReduceOp::kSum); }, "undefined");
}

// Records every AllReduceAsync (the bucket's first element) and completes an
// operation only after it has been polled `polls_to_complete` times.
class RecordingCommunicator : public Communicator {
 public:
  explicit RecordingCommunicator(const Tensor& grads) : base_(grads.data<float>()) {}
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "recording"; }
  void AllReduce(const Tensor&, ReduceOp) override {}
  std::unique_ptr<PendingCollective> AllReduceAsync(const Tensor& t, ReduceOp op) override {
    EXPECT_EQ(op, ReduceOp::kSum);
    started.push_back(t.data<float>() - base_);
    return std::make_unique<Pending>(this);
  }
  void Broadcast(const Tensor&, int) override {}
  void AllGather(const Tensor&, const Tensor&) override {}
  void Barrier() override {}

  std::vector<int64_t> started;  // offsets of the buckets, in start order
  int polls_to_complete = 2;
  int tests = 0, waits = 0;

 private:
  class Pending : public PendingCollective {
   public:
    explicit Pending(RecordingCommunicator* c) : c_(c) {}
    bool Test() override {
      ++c_->tests;
      return done_ = done_ || ++polls_ >= c_->polls_to_complete;
    }
    void Wait() override {
      ++c_->waits;
      done_ = true;
    }

   private:
    RecordingCommunicator* c_;
    int polls_ = 0;
    bool done_ = false;
  };
  const float* base_;
};

TEST(GradientBuckets, BucketsAreCutFromTheEnd) {
  Tensor g = Tensor::Zeros({10});
  auto comm = MakeLocalCommunicator();
  GradientBuckets b(comm.get(), g, 3 * 4 + 2);  // 3 elements; the odd bytes round down
  ASSERT_EQ(b.num_buckets(), 4);
  EXPECT_EQ(b.bucket_range(0).begin, 7);
  EXPECT_EQ(b.bucket_range(0).end, 10);
  EXPECT_EQ(b.bucket_range(2).begin, 1);
  EXPECT_EQ(b.bucket_range(3).begin, 0);
  EXPECT_EQ(b.bucket_range(3).end, 1);
  EXPECT_EQ(GradientBuckets(comm.get(), g, 0).num_buckets(), 1);
  EXPECT_EQ(GradientBuckets(comm.get(), g, -1).num_buckets(), 1);
  EXPECT_EQ(GradientBuckets(comm.get(), g, 1000).num_buckets(), 1);
  EXPECT_EQ(GradientBuckets(comm.get(), g, 1).num_buckets(), 10);  // below one element: one element
  EXPECT_EQ(GradientBuckets(comm.get(), g).num_buckets(), 1);
  ExpectInternalNaming([&] { GradientBuckets(comm.get(), Tensor::Zeros({4}, DType::kI64)); }, "f32");
}

TEST(GradientBuckets, StartAsSoonAsCompleteButStrictlyInOrder) {
  Tensor g = Tensor::Zeros({10});
  RecordingCommunicator comm(g);
  GradientBuckets b(&comm, g, 3 * 4);  // buckets [7,10) [4,7) [1,4) [0,1)
  b.BeginStep();
  b.MarkReady(8, 2);
  EXPECT_EQ(b.num_started(), 0);
  b.MarkReady(4, 3);  // bucket 1 complete before bucket 0: must wait
  EXPECT_EQ(b.num_started(), 0);
  b.MarkReady(7, 1);  // completes bucket 0: both start, 0 first
  EXPECT_EQ(b.num_started(), 2);
  EXPECT_EQ(comm.started, (std::vector<int64_t>{7, 4}));
  EXPECT_GT(comm.tests, 0) << "MarkReady should poll the buckets in flight";
  b.MarkReady(0, 2);  // bucket 3 and a part of bucket 2
  EXPECT_EQ(b.num_started(), 2);
  b.Finish();  // bucket 2 was never completed: Finish starts it, then bucket 3
  EXPECT_EQ(comm.started, (std::vector<int64_t>{7, 4, 1, 0}));
  EXPECT_GE(b.last_exposed_seconds(), 0);
  EXPECT_GE(b.last_comm_seconds(), 0);

  // A second step starts afresh; Progress completes buckets without Finish.
  comm.started.clear();
  comm.polls_to_complete = 1;
  b.BeginStep();
  EXPECT_EQ(b.num_started(), 0);
  b.MarkReady(0, 10);
  EXPECT_EQ(comm.started, (std::vector<int64_t>{7, 4, 1, 0}));
  const int waits = comm.waits;
  b.Finish();
  EXPECT_EQ(comm.waits, waits) << "buckets completed by polling must not be waited for again";
}

TEST(GradientBuckets, MisuseIsAnInternalError) {
  Tensor g = Tensor::Zeros({10});
  RecordingCommunicator comm(g);
  comm.polls_to_complete = 1000;
  GradientBuckets b(&comm, g, 3 * 4);
  ExpectInternalNaming([&] { b.MarkReady(0, 1); }, "BeginStep");
  ExpectInternalNaming([&] { b.Finish(); }, "BeginStep");
  b.BeginStep();
  ExpectInternalNaming([&] { b.MarkReady(8, 3); }, "outside");
  ExpectInternalNaming([&] { b.MarkReady(-1, 1); }, "outside");
  b.MarkReady(7, 3);
  ExpectInternalNaming([&] { b.BeginStep(); }, "in flight");
  ExpectInternalNaming([&] { b.MarkReady(9, 1); }, "more than once");
}

TEST(GradientBuckets, WithTheLocalCommunicatorTheSumIsTheBuffer) {
  Tensor g = Iota(1001);
  const std::vector<float> want = Values(g);
  auto comm = MakeLocalCommunicator();
  GradientBuckets b(comm.get(), g, 64);
  b.BeginStep();
  for (int64_t end = 1001; end > 0; end -= 37) b.MarkReady(std::max<int64_t>(0, end - 37), std::min<int64_t>(37, end));
  EXPECT_EQ(b.num_started(), b.num_buckets());
  b.Finish();
  EXPECT_EQ(Values(g), want);
}

// Gathers the local digest into every slot, then perturbs the slot of `bad`.
class DivergedCommunicator : public RecordingCommunicator {
 public:
  DivergedCommunicator(const Tensor& t, int size, int bad) : RecordingCommunicator(t), size_(size), bad_(bad) {}
  int size() const override { return size_; }
  void AllGather(const Tensor& in, const Tensor& out) override {
    for (int r = 0; r < size_; ++r) out.data<int64_t>()[r] = in.data<int64_t>()[0] + (r == bad_);
  }

 private:
  int size_, bad_;
};

TEST(ReplicaCheck, PassesOnAgreementAndNamesTheDivergedRank) {
  Tensor p = Iota(100);
  auto local = MakeLocalCommunicator();
  CheckReplicasAgree(*local, p, 3);
  DivergedCommunicator agree(p, 4, -1);
  CheckReplicasAgree(agree, p, 3);
  DivergedCommunicator diverged(p, 4, 2);
  try {
    CheckReplicasAgree(diverged, p, 1234);
    ADD_FAILURE() << "expected divergence to be reported";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kComm);
    EXPECT_TRUE(e.collective()) << "every rank raises it: the job should print it once and exit cleanly";
    EXPECT_NE(std::string(e.what()).find("rank 2 differ from rank 0 at step 1234"), std::string::npos) << e.what();
  }
}

TEST(ReplicaCheck, DigestSeesEveryBitAndTheShape) {
  Tensor p = Iota(100);
  const int64_t d = ParameterDigest(p);
  EXPECT_EQ(ParameterDigest(Iota(100)), d);
  uint32_t bits;
  std::memcpy(&bits, &p.data<float>()[99], 4);
  bits ^= 1;  // one ulp in the last element
  std::memcpy(&p.data<float>()[99], &bits, 4);
  EXPECT_NE(ParameterDigest(p), d);
  EXPECT_EQ(ParameterDigest(Iota(100).View(0, {99})), ParameterDigest(Iota(99)));  // a view hashes its own range
  EXPECT_NE(ParameterDigest(Iota(100).View(0, {99})), ParameterDigest(Iota(100)));
  EXPECT_NE(ParameterDigest(Tensor::Zeros({4})), ParameterDigest(Tensor::Zeros({4}, DType::kI32)));
}

}  // namespace
}  // namespace aif
