// Checkpoint files and directories: round trip, detection of every kind of
// damage, retention, and falling back to the newest checkpoint that verifies.
#include <gtest/gtest.h>

#include <filesystem>

#include "checkpoint/checkpoint_dir.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hdf5_io.h"
#include "support/test_util.h"

namespace aif {
namespace {

Checkpoint Make(int64_t step) {
  Checkpoint c;
  c.step = step;
  Tensor p = Tensor::Empty({1000});
  for (int i = 0; i < 1000; ++i) p.data<float>()[i] = static_cast<float>(step * 1000 + i);
  c.tensors = {{"params", p}, {"optimizer.momentum", Tensor::Zeros({1000})}};
  c.meta = {{"reader_cursor", {{"epoch", 1}, {"position", 64 * step}}}, {"model_spec", "mlp 4-2"}};
  return c;
}

std::string ReadError(const std::string& path) {
  try {
    ReadCheckpointFile(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an error reading " << path;
  return "";
}

TEST(CheckpointFile, RoundTrip) {
  testing::TempDir dir;
  WriteCheckpointFile(dir.File("c.h5"), Make(7));
  Checkpoint c = ReadCheckpointFile(dir.File("c.h5"));
  EXPECT_EQ(c.step, 7);
  ASSERT_EQ(c.tensors.size(), 2u);
  EXPECT_EQ(c.tensors[0].first, "params");
  EXPECT_EQ(c.tensors[0].second.data<float>()[999], 7999.0f);
  EXPECT_EQ(c.meta["reader_cursor"]["position"], 448);
  EXPECT_EQ(DescribeCheckpointFile(dir.File("c.h5"))["verified"], true);
}

TEST(CheckpointFile, DamageIsDetected) {
  testing::TempDir dir;
  WriteCheckpointFile(dir.File("c.h5"), Make(3));
  const std::string bytes = ReadFileToString(dir.File("c.h5"));
  // A flipped bit inside the parameters (value 3500.0f).
  float marker = 3500.0f;
  size_t at = bytes.find(std::string(reinterpret_cast<char*>(&marker), 4));
  ASSERT_NE(at, std::string::npos);
  std::string flipped = bytes;
  flipped[at] ^= 0x01;
  testing::WriteText(dir.File("flip.h5"), flipped);
  EXPECT_NE(ReadError(dir.File("flip.h5")).find("checksum"), std::string::npos);
  testing::WriteText(dir.File("cut.h5"), bytes.substr(0, bytes.size() / 2));
  ReadError(dir.File("cut.h5"));
  testing::WriteText(dir.File("empty.h5"), "");
  ReadError(dir.File("empty.h5"));
  std::filesystem::copy_file(dir.File("c.h5"), dir.File("v2.h5"));
  {
    Hdf5Lock lock(Hdf5Mutex());
    hid_t id = H5Fopen(dir.File("v2.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5WriteAttr(id, "format_version", int64_t{2});
    H5Fclose(id);
  }
  EXPECT_NE(ReadError(dir.File("v2.h5")).find("version 2"), std::string::npos);
  try {
    ReadCheckpointFile(dir.File("missing.h5"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
  }
}

TEST(CheckpointDir, RetentionAndLatestPointer) {
  testing::TempDir dir;
  CheckpointDir ck(dir.path());
  RetentionPolicy keep{2, 4};
  for (int64_t step : {1, 2, 3, 4, 5, 6, 7}) ck.Save(Make(step), keep);
  std::vector<int64_t> steps;
  for (const auto& [step, path] : ck.List()) steps.push_back(step);
  EXPECT_EQ(steps, (std::vector<int64_t>{4, 6, 7}));  // the last 2, and multiples of 4
  EXPECT_EQ(ReadFileToString(ck.path() + "/latest"), "ckpt-00000007.h5\n");
  // A temporary left by a killed writer is not a checkpoint.
  testing::WriteText(ck.path() + "/ckpt-00000009.h5.tmp.host.1.0", "partial");
  EXPECT_EQ(ck.List().size(), 3u);
}

TEST(CheckpointDir, FallsBackOverDamagedCheckpoints) {
  testing::TempDir dir;
  CheckpointDir ck(dir.path());
  EXPECT_FALSE(ck.LoadNewestValid().has_value());
  for (int64_t step : {10, 20, 30}) ck.Save(Make(step), RetentionPolicy{});
  const std::string newest = ck.path() + "/" + CheckpointDir::FileName(30);
  std::string bytes = ReadFileToString(newest);
  testing::WriteText(newest, bytes.substr(0, bytes.size() - 100));  // truncated
  std::string used;
  auto c = ck.LoadNewestValid(&used);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->step, 20);
  EXPECT_EQ(used, ck.path() + "/" + CheckpointDir::FileName(20));
  for (int64_t step : {10, 20}) testing::WriteText(ck.path() + "/" + CheckpointDir::FileName(step), "garbage");
  try {
    ck.LoadNewestValid();
    ADD_FAILURE() << "expected an error when no checkpoint verifies";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData);
    EXPECT_NE(std::string(e.what()).find("none of the 3 checkpoints"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aif
