// The dataset file: round trip, atomic writes, and corrupt files detected
// with clear errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "core/fs.h"
#include "core/hdf5_io.h"
#include "core/strings.h"
#include "data/dataset_file.h"
#include "data/dataset_writer.h"
#include "data/feature_stats.h"
#include "data/sharded_reader.h"
#include "support/test_util.h"

namespace aif {
namespace {

ErrorKind OpenErrorKind(const std::string& path, std::string* message) {
  try {
    DatasetFile::Open(path);
  } catch (const Error& e) {
    *message = e.what();
    return e.kind();
  }
  *message = "";
  return ErrorKind::kInternal;
}

TEST(Dataset, RoundTripsRowsSchemaAndStats) {
  testing::TempDir dir;
  testing::SyntheticSpec spec;
  spec.val_rows = 50;
  testing::WriteSyntheticDataset(dir.File("d.h5"), spec);
  auto f = DatasetFile::Open(dir.File("d.h5"));
  EXPECT_EQ(f->format_version(), kDatasetFormatVersion);
  EXPECT_EQ(f->splits().size(), 2u);
  EXPECT_EQ(f->split("train").chunk_rows, 37);
  std::vector<float> x(3 * 5);
  std::vector<int32_t> y(5);
  f->ReadRows("train", 500, 5, x.data(), y.data());
  EXPECT_EQ(x[0], 500.0f);
  EXPECT_EQ(x[3], 501.0f);
  EXPECT_EQ(y[0], 500 % 7);
  EXPECT_EQ(f->ReadStats().count, 1000);
  EXPECT_EQ(f->ReadLineage()["source"], "synthetic");
  EXPECT_EQ(f->VerifyChecksums(), "");
  nlohmann::json d = f->Describe(false);
  EXPECT_EQ(d["splits"][1]["rows"], 50);
  EXPECT_EQ(d["fingerprint"], f->fingerprint());
  try {
    f->split("test");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("train, val"), std::string::npos) << e.what();
  }
}

// Every chunk carries CRC-32Cs of its features and labels, however the rows
// were appended; a damaged chunk is a data error naming its rows, in
// VerifyChunk, in the reader (training) and in VerifyChecksums (inspect).
TEST(Dataset, ChunkChecksumsCatchDamage) {
  testing::TempDir dir;
  DatasetSchema schema;
  schema.sample_shape = {3};
  schema.feature_names = {"a", "b", "c"};
  schema.class_names = {"x", "y"};
  const int64_t rows = 100, chunk_rows = 37;
  std::vector<float> f(rows * 3);
  std::vector<int32_t> l(rows);
  for (int64_t i = 0; i < rows; ++i) {
    f[i * 3] = 1000.0f + i, f[i * 3 + 1] = -0.5f * i, f[i * 3 + 2] = 7.25f;
    l[i] = static_cast<int32_t>(i % 2);
  }
  {
    DatasetWriter w(dir.File("d.h5"), schema);
    w.BeginSplit("train", rows, chunk_rows);
    for (int64_t at = 0, step = 10; at < rows; at += step, step = step * 3 % 41 + 1) {  // ragged appends
      const int64_t n = std::min(step, rows - at);
      w.Append(f.data() + at * 3, l.data() + at, n);
    }
    w.EndSplit();
    FeatureStatsBuilder stats(3, Task::kClassification, 2);
    stats.AddMoments(f.data(), l.data(), rows);
    stats.FinishMoments();
    stats.AddHistogram(f.data(), rows);
    w.SetStats(stats.Finish());
    w.SetLineage({{"source", "test"}});
    w.Commit();
  }
  auto file = DatasetFile::Open(dir.File("d.h5"));
  const SplitInfo& train = file->split("train");
  ASSERT_EQ(train.chunk_crcs.size(), 2u * 3);  // 37 + 37 + 26 rows
  for (int64_t c = 0; c < 3; ++c) {
    const int64_t first = c * chunk_rows, n = std::min(chunk_rows, rows - first);
    std::vector<float> x(n * 3);
    std::vector<int32_t> y(n);
    file->ReadRows("train", first, n, x.data(), y.data());
    file->VerifyChunk(train, c, x.data(), y.data());
    y[n - 1] ^= 1;  // a flipped label
    try {
      file->VerifyChunk(train, c, x.data(), y.data());
      ADD_FAILURE() << "a damaged label passed";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kData);
      EXPECT_NE(std::string(e.what()).find(Format("rows %lld..%lld", static_cast<long long>(first),
                                                   static_cast<long long>(first + n))),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("the labels do not match"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(file->VerifyChecksums(), "");
  file.reset();

  // Damage one feature value of row 80 (chunk 2) in the file itself.
  std::string bytes;
  {
    std::ifstream in(dir.File("d.h5"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const float row80[3] = {1080.0f, -40.0f, 7.25f};
  const size_t at = bytes.find(std::string(reinterpret_cast<const char*>(row80), sizeof row80));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 5] ^= 0x01;
  {
    std::ofstream out(dir.File("d.h5"), std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  file = DatasetFile::Open(dir.File("d.h5"));
  EXPECT_NE(file->VerifyChecksums().find("rows 74..100 (chunk 2): the features do not match"), std::string::npos)
      << file->VerifyChecksums();
  ReaderOptions o;
  o.global_batch = 100;
  o.shuffle = false;
  ShardedReader reader(dir.File("d.h5"), o, 0, 1);
  try {
    reader.Next();
    ADD_FAILURE() << "the reader delivered a damaged chunk";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData);
    EXPECT_NE(std::string(e.what()).find("is damaged"), std::string::npos) << e.what();
  }
}

TEST(Dataset, AbandonedWriterLeavesNoFile) {
  testing::TempDir dir;
  DatasetSchema schema;
  schema.sample_shape = {2};
  schema.feature_names = {"a", "b"};
  schema.class_names = {"x", "y"};
  {
    DatasetWriter w(dir.File("d.h5"), schema);
    w.BeginSplit("train", 10);
    // the writer dies here (an exception in a real job)
  }
  EXPECT_FALSE(PathExists(dir.File("d.h5")));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Dataset, CorruptFilesGiveClearErrors) {
  testing::TempDir dir;
  testing::WriteSyntheticDataset(dir.File("d.h5"), testing::SyntheticSpec());
  std::string msg;
  EXPECT_EQ(OpenErrorKind(dir.File("missing.h5"), &msg), ErrorKind::kIo);
  testing::WriteText(dir.File("text.h5"), "not hdf5 at all");
  EXPECT_EQ(OpenErrorKind(dir.File("text.h5"), &msg), ErrorKind::kData);
  EXPECT_NE(msg.find("not an HDF5 file"), std::string::npos) << msg;

  std::string bytes = ReadFileToString(dir.File("d.h5"));
  testing::WriteText(dir.File("cut.h5"), bytes.substr(0, bytes.size() / 3));
  EXPECT_EQ(OpenErrorKind(dir.File("cut.h5"), &msg), ErrorKind::kData) << msg;

  // Flip one bit inside row 500's features: opening works, verify fails.
  float row[3] = {500.0f, static_cast<float>((500 * 2) % 13), static_cast<float>((500 * 3) % 13)};
  size_t at = bytes.find(std::string(reinterpret_cast<char*>(row), sizeof(row)));
  ASSERT_NE(at, std::string::npos);
  std::string flipped = bytes;
  flipped[at + 1] ^= 0x10;
  testing::WriteText(dir.File("flip.h5"), flipped);
  auto f = DatasetFile::Open(dir.File("flip.h5"));
  EXPECT_NE(f->VerifyChecksums().find("split 'train' checksum mismatch"), std::string::npos);

  // Another format version.
  std::filesystem::copy_file(dir.File("d.h5"), dir.File("v9.h5"));
  {
    Hdf5Lock lock(Hdf5Mutex());
    hid_t id = H5Fopen(dir.File("v9.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(id, 0);
    H5WriteAttr(id, "format_version", int64_t{9});
    H5Fclose(id);
  }
  EXPECT_EQ(OpenErrorKind(dir.File("v9.h5"), &msg), ErrorKind::kData);
  EXPECT_NE(msg.find("format version 9"), std::string::npos) << msg;
}

}  // namespace
}  // namespace aif
