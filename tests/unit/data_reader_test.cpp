// The sharded reader in one process: P readers with ranks 0..P-1 stand in
// for P MPI ranks (tests/mpi runs the same checks under mpirun).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"
#include "core/hdf5_io.h"
#include "data/chunk_arena.h"
#include "data/dataset_file.h"
#include "data/epoch_order.h"
#include "data/normalize_row.h"
#include "data/sharded_reader.h"
#include "support/test_util.h"

namespace aif {
namespace {

class ReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_.train_rows = 1003;
    spec_.val_rows = 10;
    path_ = dir_.File("d.h5");
    testing::WriteSyntheticDataset(path_, spec_);
    opt_.global_batch = 64;
    opt_.seed = 5;
    opt_.window_chunks = 4;
    opt_.normalization = Normalization::kNone;
  }

  // Global batches (sorted ids, with validity) for `steps` steps on P ranks.
  std::vector<std::vector<std::pair<int64_t, int>>> Run(int P, int steps) {
    std::vector<std::unique_ptr<ShardedReader>> readers;
    for (int r = 0; r < P; ++r) readers.emplace_back(new ShardedReader(path_, opt_, r, P));
    std::vector<std::vector<std::pair<int64_t, int>>> out;
    for (int s = 0; s < steps; ++s) {
      std::vector<std::pair<int64_t, int>> batch;
      for (int r = 0; r < P; ++r) {
        Batch b = readers[r]->Next();
        EXPECT_EQ(b.rows, opt_.global_batch / P + (r < opt_.global_batch % P ? 1 : 0));
        for (int64_t i = 0; i < b.rows; ++i) {
          EXPECT_EQ(b.features[i * 3], static_cast<float>(b.sample_ids[i])) << "row content matches its id";
          EXPECT_EQ(b.class_labels[i], b.sample_ids[i] % 7);
          batch.emplace_back(b.sample_ids[i], b.valid[i]);
        }
      }
      std::sort(batch.begin(), batch.end());
      out.push_back(batch);
    }
    return out;
  }

  testing::TempDir dir_;
  testing::SyntheticSpec spec_;
  std::string path_;
  ReaderOptions opt_;
};

TEST_F(ReaderTest, EveryRankCountGivesTheSameGlobalBatches) {
  opt_.remainder = Remainder::kPad;
  const int steps = 2 * 16;  // two epochs of ceil(1003 / 64) = 16 batches
  auto reference = Run(1, steps);
  for (int P : {2, 3, 4, 7}) EXPECT_EQ(Run(P, steps), reference) << P << " ranks";
  // Each sample exactly once per epoch among the valid rows.
  for (int e = 0; e < 2; ++e) {
    std::map<int64_t, int> seen;
    int padding = 0;
    for (int s = e * 16; s < (e + 1) * 16; ++s) {
      for (auto [id, valid] : reference[s]) valid ? seen[id]++ : padding++;
    }
    EXPECT_EQ(seen.size(), 1003u);
    for (auto [id, n] : seen) EXPECT_EQ(n, 1) << "sample " << id;
    EXPECT_EQ(padding, 16 * 64 - 1003);
  }
  EXPECT_NE(reference[0], reference[16]) << "epochs must differ";
}

TEST_F(ReaderTest, DropSkipsTheRemainder) {
  opt_.remainder = Remainder::kDrop;
  ShardedReader reader(path_, opt_, 0, 1);
  EXPECT_EQ(reader.batches_per_epoch(), 1003 / 64);
  std::set<int64_t> ids;
  for (int s = 0; s < 15; ++s) {
    Batch b = reader.Next();
    EXPECT_EQ(b.epoch, 0);
    EXPECT_EQ(b.global_valid, 64);
    ids.insert(b.sample_ids.begin(), b.sample_ids.end());
  }
  EXPECT_EQ(ids.size(), 15u * 64);
  EXPECT_EQ(reader.Next().epoch, 1);
}

TEST_F(ReaderTest, CursorRoundTripsAndWorksOnAnotherRankCount) {
  ShardedReader reader(path_, opt_, 1, 2);
  for (int s = 0; s < 20; ++s) reader.Next();  // into the second epoch
  ReaderCursor c = reader.cursor();
  EXPECT_EQ(c.epoch, 1);
  EXPECT_EQ(ReaderCursor::FromJson(nlohmann::json::parse(c.ToJson().dump())), c);
  std::vector<std::vector<int64_t>> want;
  for (int s = 0; s < 5; ++s) want.push_back(reader.Next().sample_ids);

  ShardedReader resumed(path_, opt_, 1, 2);
  resumed.Seek(c);
  for (int s = 0; s < 5; ++s) EXPECT_EQ(resumed.Next().sample_ids, want[s]);

  // The same cursor on 3 ranks continues the same global batches.
  std::vector<std::unique_ptr<ShardedReader>> three;
  std::vector<std::unique_ptr<ShardedReader>> two;
  for (int r = 0; r < 3; ++r) three.emplace_back(new ShardedReader(path_, opt_, r, 3));
  for (int r = 0; r < 2; ++r) two.emplace_back(new ShardedReader(path_, opt_, r, 2));
  for (auto& rd : three) rd->Seek(c);
  for (auto& rd : two) rd->Seek(c);
  for (int s = 0; s < 3; ++s) {
    std::vector<int64_t> a, b;
    for (auto& rd : three) {
      auto ids = rd->Next().sample_ids;
      a.insert(a.end(), ids.begin(), ids.end());
    }
    for (auto& rd : two) {
      auto ids = rd->Next().sample_ids;
      b.insert(b.end(), ids.begin(), ids.end());
    }
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b);
  }
  EXPECT_THROW(ReaderCursor::FromJson(nlohmann::json{{"epoch", -1}, {"position", 0}}), Error);
}

TEST_F(ReaderTest, Normalisation) {
  testing::SyntheticSpec u8 = spec_;
  u8.type = FeatureType::kUint8;
  testing::WriteSyntheticDataset(dir_.File("u8.h5"), u8);
  opt_.normalization = Normalization::kAuto;
  ShardedReader scaled(dir_.File("u8.h5"), opt_, 0, 1);
  EXPECT_EQ(scaled.normalization(), Normalization::kScale);
  Batch b = scaled.Next();
  for (int64_t i = 0; i < b.rows; ++i) EXPECT_FLOAT_EQ(b.features[i * 3], (b.sample_ids[i] % 251) / 255.0f);

  ShardedReader standard(path_, opt_, 0, 1);  // float32: standardize
  EXPECT_EQ(standard.normalization(), Normalization::kStandardize);
  double sum = 0;
  int64_t n = 0;
  for (int s = 0; s < standard.batches_per_epoch(); ++s) {
    Batch sb = standard.Next();
    for (int64_t i = 0; i < sb.rows; ++i, ++n) sum += sb.features[i * 3];
  }
  EXPECT_NEAR(sum / n, 0.0, 0.05);
}

// Batches built in recycled buffers, with a chunk cache of two slots that
// are evicted and reused all the time, equal those built fresh, over epochs
// and a padded remainder, on 1 and 3 ranks.
TEST_F(ReaderTest, RecycledBuffersAndReusedChunkSlotsGiveTheSameBatches) {
  testing::SyntheticSpec u8 = spec_;
  u8.type = FeatureType::kUint8;
  testing::WriteSyntheticDataset(dir_.File("u8.h5"), u8);
  for (const std::string& path : {path_, dir_.File("u8.h5")}) {
    for (int P : {1, 3}) {
      ReaderOptions o = opt_;
      o.remainder = Remainder::kPad;
      o.normalization = Normalization::kAuto;
      o.prefetch_batches = 1;
      // The smallest memory bound the reader accepts: a cache of one or two chunks.
      for (o.memory_bytes = 4096;; o.memory_bytes += 512) {
        try {
          ShardedReader probe(path, o, 0, P);
          break;
        } catch (const Error&) {
        }
      }
      for (int r = 0; r < P; ++r) {
        ShardedReader fresh(path, o, r, P), recycled(path, o, r, P);
        ASSERT_LE(recycled.cache_chunks(), 2);
        for (int64_t s = 0; s < 2 * recycled.batches_per_epoch() + 3; ++s) {
          Batch a = fresh.Next(), b = recycled.Next();
          ASSERT_EQ(a.features, b.features) << path << " P=" << P << " rank " << r << " step " << s;
          ASSERT_EQ(a.class_labels, b.class_labels);
          ASSERT_EQ(a.sample_ids, b.sample_ids);
          ASSERT_EQ(a.valid, b.valid);
          ASSERT_EQ(a.next, b.next);
          recycled.Recycle(std::move(b));
        }
        EXPECT_GT(recycled.stats().chunks_read, (spec_.train_rows + 36) / 37) << "the small cache never evicted";
      }
    }
  }
}

TEST(ChunkArenaTest, SlotsAreDistinctAlignedAndRecycled) {
  ChunkArena arena(3, 100);
  EXPECT_EQ(arena.slot_bytes(), 128u);  // rounded up to cache lines
  int64_t a = arena.Acquire(), b = arena.Acquire(), c = arena.Acquire();
  EXPECT_EQ(arena.Acquire(), -1);  // exhausted
  std::set<int64_t> slots{a, b, c};
  EXPECT_EQ(slots, (std::set<int64_t>{0, 1, 2}));
  for (int64_t s : slots) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(arena.data(s)) % 64, 0u);
    std::fill(arena.data(s), arena.data(s) + 100, static_cast<uint8_t>(s + 1));
  }
  for (int64_t s : slots) EXPECT_EQ(arena.data(s)[99], s + 1);  // no overlap
  arena.Release(b);
  EXPECT_EQ(arena.free_slots(), 1);
  EXPECT_EQ(arena.Acquire(), b);
}

TEST(NormalizeRowTest, EveryCpuVersionGivesTheScalarFormulasBits) {
  for (int64_t n : {1, 7, 16, 17, 63, 64, 65, 784, 1001}) {
    std::vector<uint8_t> u8(n);
    std::vector<float> f32(n), offset(n), scale(n), out(n);
    for (int64_t i = 0; i < n; ++i) {
      u8[i] = static_cast<uint8_t>((i * 37 + 11) % 256);
      f32[i] = static_cast<float>(i) * 0.37f - 100.0f;
      offset[i] = static_cast<float>(i % 5) * 0.1f;
      scale[i] = 1.0f / static_cast<float>(3 + i % 11);
    }
    NormalizeRow(u8.data(), offset.data(), scale.data(), n, out.data());
    for (int64_t i = 0; i < n; ++i) {
      volatile float want = (static_cast<float>(u8[i]) - offset[i]) * scale[i];
      ASSERT_EQ(out[i], want) << "u8, n=" << n << " i=" << i;
    }
    NormalizeRow(f32.data(), offset.data(), scale.data(), n, out.data());
    for (int64_t i = 0; i < n; ++i) {
      volatile float want = (f32[i] - offset[i]) * scale[i];
      ASSERT_EQ(out[i], want) << "f32, n=" << n << " i=" << i;
    }
  }
}

TEST_F(ReaderTest, ReadAheadAdviceIsHarmlessForAnyChunk) {
  std::unique_ptr<DatasetFile> f = DatasetFile::Open(path_);
  for (int64_t c : {int64_t{-1}, int64_t{0}, int64_t{5}, int64_t{27}, int64_t{28}, int64_t{1} << 40}) {
    EXPECT_NO_THROW(f->AdviseChunk("train", c)) << c;
  }
  EXPECT_NO_THROW(f->AdviseChunk("no-such-split", 0));
  std::vector<float> features(37 * 3);
  std::vector<int32_t> labels(37);
  f->ReadRows("train", 37, 37, features.data(), labels.data());  // reads still work
  EXPECT_EQ(features[0], 37.0f);
  EXPECT_EQ(labels[0], 37 % 7);
}

// Overwrites one train label in the file (as another tool, or a bad disk, might).
void WriteTrainLabel(const std::string& path, int64_t row, int32_t label) {
  Hdf5Lock lock(Hdf5Mutex());
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t dset = H5Dopen2(file, "splits/train/labels", H5P_DEFAULT);
  hid_t space = H5Dget_space(dset);
  const hsize_t start = static_cast<hsize_t>(row), count = 1;
  H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nullptr, &count, nullptr);
  hid_t mem = H5Screate_simple(1, &count, nullptr);
  ASSERT_GE(H5Dwrite(dset, H5T_NATIVE_INT32, mem, space, H5P_DEFAULT, &label), 0);
  H5Sclose(mem), H5Sclose(space), H5Dclose(dset), H5Fclose(file);
}

// Removes the chunk checksums, as in a file written before they existed.
void DropChunkChecksums(const std::string& path) {
  Hdf5Lock lock(Hdf5Mutex());
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(H5Ldelete(file, "splits/train/chunk_crc32c", H5P_DEFAULT), 0);
  H5Fclose(file);
}

std::string EpochError(const std::string& path, const ReaderOptions& o) {
  ShardedReader r(path, o, 0, 1);
  try {
    for (int64_t s = 0; s < r.batches_per_epoch(); ++s) r.Recycle(r.Next());
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kData);
    return e.what();
  }
  return "";
}

// The kernels take class labels on trust, so the reader checks them against
// the schema: a data error naming the row, on whichever rank reads it. A
// label changed in the file is first caught by the chunk's checksum; the
// range check is what stops a file without checksums, or a consistently
// wrong one.
TEST_F(ReaderTest, ALabelOutsideTheClassesIsADataError) {
  WriteTrainLabel(path_, 500, 7);
  std::string message = EpochError(path_, opt_);
  EXPECT_NE(message.find("the labels do not match their checksum"), std::string::npos) << message;
  DropChunkChecksums(path_);
  for (int32_t bad : {7, -1}) {
    WriteTrainLabel(path_, 500, bad);
    message = EpochError(path_, opt_);
    EXPECT_NE(message.find("row 500 of split 'train'"), std::string::npos) << message;
    EXPECT_NE(message.find("has label " + std::to_string(bad) + ", outside the 7 classes"), std::string::npos)
        << message;
  }
}

TEST_F(ReaderTest, ImpossibleRequestsAreUsageErrors) {
  auto kind_of = [&](ReaderOptions o, int rank, int world) {
    try {
      ShardedReader r(path_, o, rank, world);
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::kInternal;
  };
  ReaderOptions o = opt_;
  o.global_batch = 3;
  EXPECT_EQ(kind_of(o, 0, 4), ErrorKind::kUsage);  // fewer samples than ranks
  o = opt_;
  o.memory_bytes = 1000;
  EXPECT_EQ(kind_of(o, 0, 1), ErrorKind::kUsage);
  o = opt_;
  o.split = "test";
  EXPECT_EQ(kind_of(o, 0, 1), ErrorKind::kUsage);
  o = opt_;
  o.split = "val";
  o.remainder = Remainder::kDrop;  // 64 > 10 rows
  EXPECT_EQ(kind_of(o, 0, 1), ErrorKind::kUsage);
  o.remainder = Remainder::kPad;  // fine: one padded batch per epoch
  ShardedReader r(path_, o, 0, 1);
  Batch b = r.Next();
  EXPECT_EQ(b.global_valid, 10);
  EXPECT_EQ(b.rows, 64);
}

}  // namespace
}  // namespace aif
