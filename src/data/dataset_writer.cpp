#include "data/dataset_writer.h"

#include <algorithm>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5_io.h"
#include "core/crc32c.h"
#include "core/sha256.h"
#include "core/strings.h"
#include "data/schema_io.h"

namespace aif {

int64_t DefaultChunkRows(const DatasetSchema& schema, int64_t rows) {
  const int64_t kTargetBytes = 1 << 20;
  int64_t row_bytes = std::max<int64_t>(1, schema.num_features() * FeatureTypeSize(schema.feature_type));
  return std::clamp<int64_t>(kTargetBytes / row_bytes, 1, std::max<int64_t>(rows, 1));
}

struct DatasetWriter::Impl {
  DatasetSchema schema;
  AtomicOutput output;
  H5File file;
  std::vector<std::string> split_names;
  std::vector<std::string> split_hashes;
  bool stats_written = false;
  bool lineage_written = false;
  // The split being written.
  bool in_split = false;
  std::string split;
  int64_t rows = 0, written = 0, chunk_rows = 0;
  H5Id features, labels;
  std::unique_ptr<Sha256> feature_hash, label_hash;
  std::vector<uint32_t> chunk_crcs;  // [chunks, 2]: CRC-32C of each chunk's features, labels

  Impl(const std::string& path, const DatasetSchema& s)
      : schema(s), output(path), file(H5File::Create(output.temp_path())) {}
};

DatasetWriter::DatasetWriter(const std::string& path, const DatasetSchema& schema) {
  schema.Validate();
  impl_.reset(new Impl(path, schema));
  Hdf5Lock lock(Hdf5Mutex());
  hid_t root = impl_->file.id();
  H5WriteAttr(root, "format", std::string(kDatasetFormatName));
  H5WriteAttr(root, "format_version", kDatasetFormatVersion);
  H5Id g = H5CreateGroup(root, "schema");
  WriteSchemaGroup(g.get(), schema);
  H5CreateGroup(root, "splits");
}

DatasetWriter::~DatasetWriter() = default;

void DatasetWriter::BeginSplit(const std::string& name, int64_t rows, int64_t chunk_rows) {
  Impl& s = *impl_;
  AIF_CHECK(!s.in_split, "BeginSplit inside a split");
  AIF_CHECK(rows > 0, "a split needs rows");
  AIF_CHECK(std::find(s.split_names.begin(), s.split_names.end(), name) == s.split_names.end(), "duplicate split");
  if (chunk_rows <= 0) chunk_rows = DefaultChunkRows(s.schema, rows);
  chunk_rows = std::min(chunk_rows, rows);
  Hdf5Lock lock(Hdf5Mutex());
  H5Id g = H5CreateGroup(s.file.id(), "splits/" + name);
  H5WriteAttr(g.get(), "rows", rows);
  H5WriteAttr(g.get(), "chunk_rows", chunk_rows);

  const int64_t F = s.schema.num_features();
  hid_t ftype = s.schema.feature_type == FeatureType::kUint8 ? H5T_STD_U8LE : H5T_IEEE_F32LE;
  s.features = H5CreateRowChunked(g.get(), "features", ftype, {rows, F}, chunk_rows);
  hid_t ltype = s.schema.task == Task::kClassification ? H5T_STD_I32LE : H5T_IEEE_F32LE;
  s.labels = H5CreateRowChunked(g.get(), "labels", ltype, {rows}, chunk_rows);
  s.in_split = true;
  s.split = name;
  s.rows = rows;
  s.written = 0;
  s.chunk_rows = chunk_rows;
  s.feature_hash.reset(new Sha256);
  s.label_hash.reset(new Sha256);
  s.chunk_crcs.assign(static_cast<size_t>(2 * ((rows + chunk_rows - 1) / chunk_rows)), 0u);
}

void DatasetWriter::Append(const void* features, const void* labels, int64_t n) {
  Impl& s = *impl_;
  AIF_CHECK(s.in_split, "Append outside a split");
  AIF_CHECK(n >= 0 && s.written + n <= s.rows, "Append past the end of the split");
  if (n == 0) return;
  const int64_t F = s.schema.num_features();
  const size_t feature_bytes = static_cast<size_t>(n * F) * FeatureTypeSize(s.schema.feature_type);
  s.feature_hash->Update(features, feature_bytes);
  s.label_hash->Update(labels, static_cast<size_t>(n) * s.schema.label_size());
  // Extend the CRCs of the chunks these rows fall in, one chunk's part at a time.
  const size_t row_bytes = static_cast<size_t>(F) * FeatureTypeSize(s.schema.feature_type);
  for (int64_t done = 0; done < n;) {
    const int64_t row = s.written + done, chunk = row / s.chunk_rows;
    const int64_t take = std::min(n - done, (chunk + 1) * s.chunk_rows - row);
    uint32_t* crc = &s.chunk_crcs[static_cast<size_t>(2 * chunk)];
    crc[0] = Crc32c(crc[0], static_cast<const uint8_t*>(features) + done * row_bytes, take * row_bytes);
    crc[1] = Crc32c(crc[1], static_cast<const uint8_t*>(labels) + done * s.schema.label_size(),
                    take * s.schema.label_size());
    done += take;
  }

  const std::string where = "splits/" + s.split;
  hid_t fmem_type = s.schema.feature_type == FeatureType::kUint8 ? H5T_NATIVE_UINT8 : H5T_NATIVE_FLOAT;
  H5WriteRows(s.features.get(), fmem_type, s.written, n, features, where + "/features");
  hid_t lmem_type = s.schema.task == Task::kClassification ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT;
  H5WriteRows(s.labels.get(), lmem_type, s.written, n, labels, where + "/labels");
  s.written += n;
}

void DatasetWriter::EndSplit() {
  Impl& s = *impl_;
  AIF_CHECK(s.in_split, "EndSplit outside a split");
  AIF_CHECK(s.written == s.rows, Format("split %s: %lld of %lld rows written", s.split.c_str(),
                                        static_cast<long long>(s.written), static_cast<long long>(s.rows)));
  Sha256 combined;
  combined.Update(s.feature_hash->HexDigest());
  combined.Update(s.label_hash->HexDigest());
  const std::string sha = combined.HexDigest();
  Hdf5Lock lock(Hdf5Mutex());
  H5Id g = H5OpenGroup(s.file.id(), "splits/" + s.split);
  H5WriteAttr(g.get(), "sha256", sha);
  H5WriteArray(g.get(), kChunkChecksumsName, s.chunk_crcs, {static_cast<int64_t>(s.chunk_crcs.size() / 2), 2});
  s.features.Reset();
  s.labels.Reset();
  s.split_names.push_back(s.split);
  s.split_hashes.push_back(sha);
  s.in_split = false;
}

void DatasetWriter::SetStats(const FeatureStats& st) {
  Impl& s = *impl_;
  const int64_t F = s.schema.num_features();
  AIF_CHECK(st.num_features() == F, "stats do not match the schema");
  Hdf5Lock lock(Hdf5Mutex());
  H5Id g = H5CreateGroup(s.file.id(), "stats");
  H5WriteAttr(g.get(), "source_split", std::string("train"));
  WriteStatsGroup(g.get(), st, s.schema.task);
  s.stats_written = true;
}

void DatasetWriter::SetLineage(const nlohmann::json& lineage) {
  Impl& s = *impl_;
  AIF_CHECK(lineage.is_object(), "lineage must be a JSON object");
  Hdf5Lock lock(Hdf5Mutex());
  H5Id g = H5CreateGroup(s.file.id(), "lineage");
  WriteJsonAsAttributes(g.get(), lineage);
  s.lineage_written = true;
}

std::string DatasetWriter::Commit() {
  Impl& s = *impl_;
  AIF_CHECK(!s.in_split, "Commit inside a split");
  AIF_CHECK(!s.split_names.empty() && s.split_names[0] == "train", "a dataset needs a train split first");
  AIF_CHECK(s.stats_written && s.lineage_written, "stats and lineage must be set before Commit");
  Sha256 fp;
  fp.Update(s.schema.ToJson().dump());
  for (size_t i = 0; i < s.split_names.size(); ++i) fp.Update(s.split_names[i] + ":" + s.split_hashes[i] + ";");
  std::string fingerprint = fp.HexDigest();
  {
    Hdf5Lock lock(Hdf5Mutex());
    H5WriteAttr(s.file.id(), "fingerprint", fingerprint);
    H5Id g = H5OpenGroup(s.file.id(), "splits");
    H5WriteAttr(g.get(), "names", Join(s.split_names, ","));
    s.file.Flush();
    s.file.Close();
  }
  s.output.Commit();
  return fingerprint;
}

}  // namespace aif
