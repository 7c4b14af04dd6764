// One GPU per rank, on the CPU: the local rank from given launcher
// environments, the device choice for given visible counts, the identity
// records, and the clash check across ranks (over the Local backend and over
// a fake 4-rank communicator whose AllGather supplies the other ranks).
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "comm/gpu_assignment.h"
#include "core/error.h"
#include "core/strings.h"

namespace aif {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  auto held = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [held](const char* name) -> const char* {
    auto it = held->find(name);
    return it == held->end() ? nullptr : it->second.c_str();
  };
}

void ExpectUsage(const std::function<void()>& call, const std::vector<std::string>& needles) {
  try {
    call();
    ADD_FAILURE() << "expected a usage error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage) << e.what();
    for (const std::string& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

TEST(GpuAssignment, LocalRankComesFromTheFirstLauncherVariableSet) {
  EXPECT_EQ(LocalRankFromEnv(Env({})).source, "");
  LocalRank r = LocalRankFromEnv(Env({{"SLURM_LOCALID", "3"}, {"PMI_LOCAL_RANK", "1"}}));
  EXPECT_EQ(r.rank, 3);
  EXPECT_EQ(r.source, "SLURM_LOCALID");
  r = LocalRankFromEnv(Env({{"OMPI_COMM_WORLD_LOCAL_RANK", "2"}, {"MPI_LOCALRANKID", "5"}, {"SLURM_LOCALID", "7"}}));
  EXPECT_EQ(r.rank, 2);
  EXPECT_EQ(r.source, "OMPI_COMM_WORLD_LOCAL_RANK");
  r = LocalRankFromEnv(Env({{"MPI_LOCALRANKID", "5"}, {"SLURM_LOCALID", "7"}}));
  EXPECT_EQ(r.source, "MPI_LOCALRANKID");
  r = LocalRankFromEnv(Env({{"PMI_LOCAL_RANK", "0"}}));
  EXPECT_EQ(r.rank, 0);
  EXPECT_EQ(r.source, "PMI_LOCAL_RANK");
  r = LocalRankFromEnv(Env({{"OMPI_COMM_WORLD_LOCAL_RANK", ""}, {"SLURM_LOCALID", "1"}}));  // empty: unset
  EXPECT_EQ(r.source, "SLURM_LOCALID");
}

TEST(GpuAssignment, ABrokenLocalRankIsAUsageErrorNamingTheVariable) {
  ExpectUsage([] { LocalRankFromEnv(Env({{"SLURM_LOCALID", "two"}})); }, {"SLURM_LOCALID='two'"});
  ExpectUsage([] { LocalRankFromEnv(Env({{"OMPI_COMM_WORLD_LOCAL_RANK", "-1"}})); }, {"OMPI_COMM_WORLD_LOCAL_RANK"});
  ExpectUsage([] { LocalRankFromEnv(Env({{"PMI_LOCAL_RANK", "99999999999"}})); }, {"PMI_LOCAL_RANK"});
}

TEST(GpuAssignment, TheLocalRankIndexesTheVisibleDevices) {
  for (int rank = 0; rank < 4; ++rank) {
    GpuChoice c = ChooseGpu({rank, "OMPI_COMM_WORLD_LOCAL_RANK"}, 4, nullptr);
    EXPECT_EQ(c.device, rank);
    EXPECT_NE(c.explanation.find(Format("local rank %d (OMPI_COMM_WORLD_LOCAL_RANK) uses device %d of the 4", rank,
                                        rank)),
              std::string::npos)
        << c.explanation;
    EXPECT_NE(c.explanation.find("CUDA_VISIBLE_DEVICES unset"), std::string::npos) << c.explanation;
  }
  GpuChoice c = ChooseGpu({1, "SLURM_LOCALID"}, 2, "4,5");
  EXPECT_EQ(c.device, 1);
  EXPECT_NE(c.explanation.find("CUDA_VISIBLE_DEVICES=4,5"), std::string::npos) << c.explanation;
}

TEST(GpuAssignment, ExactlyOneVisibleDeviceIsUsedBySaying) {
  GpuChoice c = ChooseGpu({3, "SLURM_LOCALID"}, 1, "3");
  EXPECT_EQ(c.device, 0);
  EXPECT_NE(c.explanation.find("local rank 3 (SLURM_LOCALID): CUDA_VISIBLE_DEVICES=3 leaves exactly one device"),
            std::string::npos)
      << c.explanation;
  EXPECT_NE(c.explanation.find("checked across the ranks"), std::string::npos) << c.explanation;
}

TEST(GpuAssignment, WithoutALauncherOneRankUsesDeviceZero) {
  GpuChoice c = ChooseGpu({}, 8, nullptr);
  EXPECT_EQ(c.device, 0);
  EXPECT_NE(c.explanation.find("no launcher set a local rank (OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID, "
                               "SLURM_LOCALID, PMI_LOCAL_RANK)"),
            std::string::npos)
      << c.explanation;
}

TEST(GpuAssignment, MoreLocalRanksThanDevicesOrNoDeviceAreUsageErrors) {
  ExpectUsage([] { ChooseGpu({5, "SLURM_LOCALID"}, 4, "0,1,2,3"); },
              {"local rank 5 (SLURM_LOCALID) has no GPU of its own", "only 4 CUDA devices",
               "CUDA_VISIBLE_DEVICES=0,1,2,3", "--ntasks-per-node=4", "--gpus-per-task=1"});
  ExpectUsage([] { ChooseGpu({4, "OMPI_COMM_WORLD_LOCAL_RANK"}, 4, nullptr); }, {"has no GPU of its own"});
  ExpectUsage([] { ChooseGpu({0, "SLURM_LOCALID"}, 0, ""); }, {"no CUDA device is visible", "CUDA_VISIBLE_DEVICES="});
}

TEST(GpuAssignment, IdentityRecordsRoundTripAndCutLongFields) {
  GpuIdentity id{"node07.cluster", "0000:3B:00.0 GPU-8c2f1a2b-0000-1111-2222-333344445555"};
  std::vector<int64_t> words = EncodeGpuIdentity(id);
  ASSERT_EQ(words.size(), static_cast<size_t>(kIdentityWords));
  GpuIdentity back = DecodeGpuIdentity(words.data());
  EXPECT_EQ(back.host, id.host);
  EXPECT_EQ(back.gpu, id.gpu);
  GpuIdentity longer{std::string(100, 'h'), std::string(70, 'g')};
  back = DecodeGpuIdentity(EncodeGpuIdentity(longer).data());
  EXPECT_EQ(back.host, std::string(kIdentityFieldBytes, 'h'));
  EXPECT_EQ(back.gpu, std::string(kIdentityFieldBytes, 'g'));
  back = DecodeGpuIdentity(EncodeGpuIdentity({}).data());
  EXPECT_EQ(back.host, "");
  EXPECT_EQ(back.gpu, "");
}

TEST(GpuAssignment, DistinctGpusOrHostsAreFine) {
  EXPECT_EQ(SharedGpuError({}), "");
  EXPECT_EQ(SharedGpuError({{"a", "gpu0"}, {"a", "gpu1"}, {"b", "gpu0"}, {"b", "gpu1"}}), "");
}

TEST(GpuAssignment, RanksSharingAGpuOnAHostAreNamed) {
  std::string e = SharedGpuError({{"a", "gpu0"}, {"a", "gpu1"}, {"a", "gpu0"}, {"b", "gpu0"}});
  EXPECT_NE(e.find("ranks 0 and 2 share the GPU gpu0 on host a;"), std::string::npos) << e;
  EXPECT_NE(e.find("--gpus-per-task=1"), std::string::npos) << e;
  EXPECT_EQ(e.find("more GPUs"), std::string::npos) << e;
  // Several clashes: the one with the lowest rank first, and a count of the others.
  e = SharedGpuError({{"b", "x"}, {"a", "y"}, {"b", "x"}, {"a", "y"}, {"b", "x"}, {"c", "z"}, {"c", "z"}});
  EXPECT_NE(e.find("ranks 0, 2 and 4 share the GPU x on host b"), std::string::npos) << e;
  EXPECT_NE(e.find("and 2 more GPUs are each held by several ranks"), std::string::npos) << e;
}

// size() ranks; AllGather puts `mine` at rank() and the given others elsewhere.
class FakeGatherComm final : public Communicator {
 public:
  FakeGatherComm(int rank, std::vector<GpuIdentity> all) : rank_(rank), all_(std::move(all)) {}
  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(all_.size()); }
  std::string backend() const override { return "fake"; }
  void AllReduce(const Tensor&, ReduceOp) override { ADD_FAILURE(); }
  std::unique_ptr<PendingCollective> AllReduceAsync(const Tensor&, ReduceOp) override { return nullptr; }
  void Broadcast(const Tensor&, int) override { ADD_FAILURE(); }
  void AllGather(const Tensor& in, const Tensor& out) override {
    ASSERT_EQ(in.dtype(), DType::kI64);
    ASSERT_EQ(out.numel(), in.numel() * size());
    for (int r = 0; r < size(); ++r) {
      std::vector<int64_t> record = EncodeGpuIdentity(all_[r]);
      const int64_t* src = r == rank_ ? in.data<int64_t>() : record.data();
      std::memcpy(out.data<int64_t>() + r * in.numel(), src, in.nbytes());
    }
  }
  void Barrier() override {}

 private:
  int rank_;
  std::vector<GpuIdentity> all_;
};

TEST(GpuAssignment, CheckAcrossRanksThrowsACollectiveUsageError) {
  auto local = MakeLocalCommunicator();
  CheckOneGpuPerRank(*local, {"laptop", "0000:01:00.0 GPU-1"});  // one rank: nothing to clash with
  std::vector<GpuIdentity> all = {{"n1", "bus0"}, {"n1", "bus1"}, {"n2", "bus0"}, {"n2", "bus1"}};
  FakeGatherComm fine(2, all);
  CheckOneGpuPerRank(fine, all[2]);
  all[3].gpu = "bus0";  // rank 3 picked rank 2's GPU
  FakeGatherComm clash(3, all);
  try {
    CheckOneGpuPerRank(clash, all[3]);
    ADD_FAILURE() << "expected a clash";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_TRUE(e.collective());
    EXPECT_NE(std::string(e.what()).find("ranks 2 and 3 share the GPU bus0 on host n2"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace aif
