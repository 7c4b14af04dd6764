// The Nccl communicator on one rank (the Local backend as its host
// communicator, so no MPI is needed): sum and average all-reduces of f32 on
// sizes from 1 element to past a million, odd ones included, integer sums,
// broadcast and all-gather, the async path with Test and Wait, and host
// tensors through the host communicator. On one rank a reduction is the
// identity, so each collective sits between two compute-stream ops (Scale by
// 2 before, by 3 after) whose results must come out exactly as on the CPU:
// that fails when the comm stream does not wait for the compute stream, or
// the compute stream for the collective. Multi-rank NCCL runs need an MPI
// test on a multi-GPU machine (docs/cuda.md, "What remains").
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "comm/communicator.h"
#include "comm/nccl_communicator.h"
#include "gpu_test_util.h"
#include "kernels/ops.h"

namespace aif {
namespace {

using gpu_test::OnCpu;
using gpu_test::OnGpu;
using gpu_test::SameBytes;
using kernel_test::RandomTensor;

class GpuNccl : public gpu_test::GpuTest {
 protected:
  void SetUp() override {
    gpu_test::GpuTest::SetUp();
    if (IsSkipped()) return;
    BindRankToGpu();
    NcclOptions options;
    options.timeout_s = 120;
    comm_ = MakeNcclCommunicator(MakeLocalCommunicator(), options);
  }
  void TearDown() override { comm_.reset(); }

  std::unique_ptr<Communicator> comm_;
};

const int64_t kSizes[] = {1, 3, 17, 1000, 4099, 262145, (int64_t{1} << 20) + 7};

// x*2 on the GPU, `collective` on the comm stream, x*3 on the GPU; the CPU
// does x*2*3 (Scale gives the CPU's bits).
template <typename Collective>
void ExpectOrderedIdentity(int64_t n, uint64_t seed, Collective collective) {
  Tensor cpu = RandomTensor({n}, seed);
  Tensor gpu = OnGpu(cpu);
  ops::Scale(cpu, 2.0f);
  ops::Scale(cpu, 3.0f);
  ops::Scale(gpu, 2.0f);
  collective(gpu);
  ops::Scale(gpu, 3.0f);
  EXPECT_TRUE(SameBytes(gpu, cpu));
}

TEST_F(GpuNccl, IsTheNcclBackendOfOneRank) {
  EXPECT_EQ(comm_->backend(), "nccl");
  EXPECT_EQ(comm_->rank(), 0);
  EXPECT_EQ(comm_->size(), 1);
}

TEST_F(GpuNccl, AllReduceSumAndAverageOfF32) {
  for (int64_t n : kSizes) {
    for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kAverage}) {
      SCOPED_TRACE(testing::Message() << "n " << n << " op " << static_cast<int>(op));
      ExpectOrderedIdentity(n, 100 + n, [&](const Tensor& t) { comm_->AllReduce(t, op); });
    }
  }
}

TEST_F(GpuNccl, AllReduceOfIntegersAndOfAViewAtAnOddOffset) {
  Tensor ints = Tensor::Empty({1001}, DType::kI64);
  for (int64_t i = 0; i < ints.numel(); ++i) ints.data<int64_t>()[i] = (i * 7919) - (int64_t{1} << 40);
  Tensor gints = OnGpu(ints);
  comm_->AllReduce(gints, ReduceOp::kSum);
  comm_->AllReduce(gints, ReduceOp::kMax);
  EXPECT_TRUE(SameBytes(gints, ints));
  Tensor flat = RandomTensor({5000}, 7);
  Tensor gflat = OnGpu(flat);
  comm_->AllReduce(gflat.View(1237, {2011}), ReduceOp::kSum);
  EXPECT_TRUE(SameBytes(gflat, flat));
  comm_->AllReduce(Tensor::Empty({0}, DType::kF32, DeviceType::kCuda), ReduceOp::kSum);  // nothing to do
}

TEST_F(GpuNccl, BroadcastAndAllGather) {
  for (int64_t n : kSizes) {
    SCOPED_TRACE(testing::Message() << "n " << n);
    ExpectOrderedIdentity(n, 200 + n, [&](const Tensor& t) { comm_->Broadcast(t, 0); });
    Tensor in = RandomTensor({n}, 300 + n);
    Tensor gin = OnGpu(in), gout = Tensor::Zeros({n}, DType::kF32, DeviceType::kCuda);
    comm_->AllGather(gin, gout);
    ops::Scale(gout, 2.0f);  // on the compute stream, after the gather
    ops::Scale(in, 2.0f);
    EXPECT_TRUE(SameBytes(gout, in));
  }
}

TEST_F(GpuNccl, AsyncAllReduceCompletesThroughTestThenWait) {
  for (int64_t n : kSizes) {
    SCOPED_TRACE(testing::Message() << "n " << n);
    ExpectOrderedIdentity(n, 400 + n, [&](const Tensor& t) {
      auto pending = comm_->AllReduceAsync(t, ReduceOp::kSum);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      bool done = false;
      while (!(done = pending->Test()) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      EXPECT_TRUE(done) << "Test() never reported completion";
      EXPECT_TRUE(pending->Test());  // stays true
      pending->Wait();
    });
  }
}

TEST_F(GpuNccl, AsyncAllReduceOrderedByWaitOrByDestruction) {
  for (int64_t n : kSizes) {
    SCOPED_TRACE(testing::Message() << "n " << n);
    ExpectOrderedIdentity(n, 500 + n, [&](const Tensor& t) { comm_->AllReduceAsync(t, ReduceOp::kAverage)->Wait(); });
    ExpectOrderedIdentity(n, 600 + n, [&](const Tensor& t) { comm_->AllReduceAsync(t, ReduceOp::kSum); });
  }
  // Several in flight at once, as gradient buckets have them.
  Tensor cpu = RandomTensor({3 * 65537}, 9);
  Tensor gpu = OnGpu(cpu);
  std::vector<std::unique_ptr<PendingCollective>> pending;
  for (int k = 0; k < 3; ++k) pending.push_back(comm_->AllReduceAsync(gpu.View(k * 65537, {65537}), ReduceOp::kSum));
  for (auto& p : pending) p->Wait();
  EXPECT_TRUE(SameBytes(gpu, cpu));
}

TEST_F(GpuNccl, HostTensorsGoThroughTheHostCommunicator) {
  EXPECT_EQ(comm_->AllReduceScalar(2.5, ReduceOp::kAverage), 2.5);
  EXPECT_EQ(comm_->AllReduceInt(int64_t{3} << 40, ReduceOp::kSum), int64_t{3} << 40);
  Tensor in = RandomTensor({5}, 11), out = Tensor::Zeros({5});
  comm_->AllGather(in, out);
  EXPECT_TRUE(SameBytes(out, in));
  comm_->Barrier();
  EXPECT_THROW(comm_->AllGather(OnGpu(in), out), Error);  // mixed devices
}

}  // namespace
}  // namespace aif
