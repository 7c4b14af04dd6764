// IDX parsing and `PrepareIdx` on small files the test writes itself.
#include <gtest/gtest.h>
#include <zlib.h>

#include "core/error.h"
#include "core/fs.h"
#include "data/dataset_file.h"
#include "data/idx_file.h"
#include "data/prepare.h"
#include "support/test_util.h"

namespace aif {
namespace {

std::string IdxBytes(std::vector<uint32_t> dims, const std::vector<uint8_t>& data, uint8_t type = 0x08) {
  std::string s = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((d >> shift) & 0xff));
  }
  s.append(data.begin(), data.end());
  return s;
}

void WriteGz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

// A tiny image dataset: n images of 4x3, labels i % classes.
void WriteIdxSet(const std::string& dir, const std::string& prefix, int n, int classes, bool gz = true) {
  std::vector<uint8_t> pixels(n * 12), labels(n);
  for (int i = 0; i < n; ++i) {
    for (int p = 0; p < 12; ++p) pixels[i * 12 + p] = static_cast<uint8_t>((i + p) % 256);
    labels[i] = static_cast<uint8_t>(i % classes);
  }
  std::string img = IdxBytes({static_cast<uint32_t>(n), 4, 3}, pixels), lab = IdxBytes({static_cast<uint32_t>(n)}, labels);
  if (gz) {
    WriteGz(dir + "/" + prefix + "-images-idx3-ubyte.gz", img);
    WriteGz(dir + "/" + prefix + "-labels-idx1-ubyte.gz", lab);
  } else {
    testing::WriteText(dir + "/" + prefix + "-images-idx3-ubyte", img);
    testing::WriteText(dir + "/" + prefix + "-labels-idx1-ubyte", lab);
  }
}

void ExpectDataError(const std::string& path, int rank, const std::string& needle) {
  try {
    ReadIdxUint8(path, rank);
    ADD_FAILURE() << "expected a data error for " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Idx, ReadsGzipAndPlain) {
  testing::TempDir dir;
  WriteGz(dir.File("a.gz"), IdxBytes({2, 2}, {1, 2, 3, 4}));
  IdxArray a = ReadIdxUint8(dir.File("a.gz"), 2);
  EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 2, 3, 4}));
  testing::WriteText(dir.File("b"), IdxBytes({3}, {7, 8, 9}));
  EXPECT_EQ(ReadIdxUint8(dir.File("b"), 1).data, (std::vector<uint8_t>{7, 8, 9}));
}

TEST(Idx, RejectsBadFiles) {
  testing::TempDir dir;
  WriteGz(dir.File("magic.gz"), std::string("\x01\x02\x08\x01\0\0\0\x01x", 9));
  ExpectDataError(dir.File("magic.gz"), 1, "magic");
  WriteGz(dir.File("type.gz"), IdxBytes({1}, {0, 0, 0, 0}, 0x0D));
  ExpectDataError(dir.File("type.gz"), 1, "type 0x0d");
  WriteGz(dir.File("rank.gz"), IdxBytes({2, 2}, {1, 2, 3, 4}));
  ExpectDataError(dir.File("rank.gz"), 3, "dimensions");
  WriteGz(dir.File("short.gz"), IdxBytes({10, 10}, {1, 2, 3}));
  ExpectDataError(dir.File("short.gz"), 2, "truncated");
  WriteGz(dir.File("long.gz"), IdxBytes({2}, {1, 2, 3}));
  ExpectDataError(dir.File("long.gz"), 1, "after");
  WriteGz(dir.File("empty.gz"), "");
  ExpectDataError(dir.File("empty.gz"), 1, "too short");
  // A gzip stream cut in the middle.
  WriteGz(dir.File("whole.gz"), IdxBytes({4096}, std::vector<uint8_t>(4096, 9)));
  std::string gz = ReadFileToString(dir.File("whole.gz"));
  testing::WriteText(dir.File("cut.gz"), gz.substr(0, gz.size() / 2));
  try {
    ReadIdxUint8(dir.File("cut.gz"), 1);
    ADD_FAILURE() << "expected an error for a cut gzip stream";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData) << e.what();
  }
}

TEST(PrepareIdx, WritesSplitsSchemaAndStats) {
  testing::TempDir dir;
  WriteIdxSet(dir.path(), "train", 200, 10);
  WriteIdxSet(dir.path(), "t10k", 50, 10, /*gz=*/false);
  IdxPrepareOptions o;
  o.input_dir = dir.path();
  o.out = dir.File("out/d.h5");
  o.val_fraction = 0.25;
  PrepareResult r = PrepareIdx(o, nlohmann::json::object());
  auto file = DatasetFile::Open(o.out);
  EXPECT_EQ(file->split("train").rows, 150);
  EXPECT_EQ(file->split("val").rows, 50);
  EXPECT_EQ(file->split("test").rows, 50);
  EXPECT_EQ(file->schema().sample_shape, (std::vector<int64_t>{1, 4, 3}));
  EXPECT_EQ(file->schema().class_names[9], "Ankle boot");
  EXPECT_EQ(file->fingerprint(), r.fingerprint);
  FeatureStats st = file->ReadStats();
  EXPECT_EQ(st.count, 150);
  int64_t total = 0;
  for (int64_t c : st.label_counts) total += c;
  EXPECT_EQ(total, 150);
  EXPECT_EQ(file->VerifyChecksums(), "");
  // The test split is t10k in order: row 0 is image 0.
  std::vector<uint8_t> px(12);
  int32_t label;
  file->ReadRows("test", 0, 1, px.data(), &label);
  EXPECT_EQ(px[5], 5);
  EXPECT_EQ(label, 0);
  // Same inputs and seed: the same content fingerprint.
  o.out = dir.File("out/d2.h5");
  EXPECT_EQ(PrepareIdx(o, nlohmann::json::object()).fingerprint, r.fingerprint);
  o.seed = 99;
  o.out = dir.File("out/d3.h5");
  EXPECT_NE(PrepareIdx(o, nlohmann::json::object()).fingerprint, r.fingerprint);
}

TEST(PrepareIdx, MismatchedCountsAndLabelsAreDataErrorsWithNoOutput) {
  testing::TempDir dir;
  WriteIdxSet(dir.path(), "train", 20, 10);
  WriteIdxSet(dir.path(), "t10k", 10, 10);
  WriteGz(dir.File("t10k-labels-idx1-ubyte.gz"), IdxBytes({9}, std::vector<uint8_t>(9, 1)));
  IdxPrepareOptions o;
  o.input_dir = dir.path();
  o.out = dir.File("d.h5");
  EXPECT_THROW(PrepareIdx(o, nlohmann::json::object()), Error);
  EXPECT_FALSE(PathExists(o.out));
  WriteIdxSet(dir.path(), "t10k", 12, 12);  // labels 10, 11 for a 10-class set
  try {
    PrepareIdx(o, nlohmann::json::object());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData);
    EXPECT_NE(std::string(e.what()).find("label 11"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(PathExists(o.out));
  o.flavour = "idx";  // generic IDX: classes from the labels
  PrepareIdx(o, nlohmann::json::object());
  EXPECT_EQ(DatasetFile::Open(o.out)->schema().num_classes(), 12);
}

TEST(PrepareIdx, MissingFilesAreIoErrors) {
  testing::TempDir dir;
  IdxPrepareOptions o;
  o.input_dir = dir.path();
  o.out = dir.File("d.h5");
  try {
    PrepareIdx(o, nlohmann::json::object());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte"), std::string::npos);
  }
}

}  // namespace
}  // namespace aif
