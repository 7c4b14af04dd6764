#include "data/dataset_file.h"

#include <fcntl.h>

#include <algorithm>

#include "core/error.h"
#include "core/hdf5_io.h"
#include "core/crc32c.h"
#include "core/sha256.h"
#include "core/strings.h"
#include "data/schema_io.h"

namespace aif {

struct DatasetFile::Handles {
  H5File file;
  struct SplitHandles {
    H5Id features, labels;
  };
  std::vector<SplitHandles> per_split;
  int fd = -1;  // the file's descriptor under the sec2 driver (read-ahead advice), else -1
  explicit Handles(H5File f) : file(std::move(f)) {}
};

DatasetFile::~DatasetFile() = default;

namespace {

// Opens a dataset with HDF5's chunk cache off: the reader keeps its own
// chunk cache within its memory bound, and whole-chunk reads then go
// straight from the file to the caller's buffer.
H5Id OpenUncached(hid_t loc, const std::string& name) {
  if (!H5PathExists(loc, name)) ThrowData("dataset '%s' is missing", name.c_str());
  H5Id dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl.get(), 0, 0, 1.0);
  hid_t id = H5Dopen2(loc, name.c_str(), dapl.get());
  return H5Id(H5CheckId(id, ErrorKind::kData, "cannot open dataset '" + name + "'"), H5Dclose);
}

// The POSIX descriptor HDF5 reads through, when its driver is sec2 (the
// default for files opened without a file access property list), else -1.
int PosixDescriptor(hid_t file) {
  int fd = -1;
  H5E_BEGIN_TRY {
    H5Id fapl(H5Fget_access_plist(file), H5Pclose);
    void* handle = nullptr;
    if (fapl.valid() && H5Pget_driver(fapl.get()) == H5FD_SEC2 &&
        H5Fget_vfd_handle(file, fapl.get(), &handle) >= 0 && handle != nullptr) {
      fd = *static_cast<int*>(handle);
    }
  } H5E_END_TRY;
  return fd;
}

// Where rows [first, first + rows) of a row-major dataset with `row_bytes`
// per row lie in the file, as one byte range; false when unknown. A chunked
// dataset's `first` must start a chunk (the reader's chunks are HDF5's).
bool RowExtent(hid_t dataset, int64_t first, int64_t rows, int64_t row_bytes, haddr_t* offset, hsize_t* bytes) {
  H5Id dcpl(H5Dget_create_plist(dataset), H5Pclose);
  if (!dcpl.valid()) return false;
  const H5D_layout_t layout = H5Pget_layout(dcpl.get());
  if (layout == H5D_CONTIGUOUS) {
    const haddr_t base = H5Dget_offset(dataset);
    if (base == HADDR_UNDEF) return false;
    *offset = base + static_cast<haddr_t>(first * row_bytes);
    *bytes = static_cast<hsize_t>(rows * row_bytes);
    return true;
  }
  if (layout != H5D_CHUNKED) return false;
  hsize_t coord[2] = {static_cast<hsize_t>(first), 0};
  unsigned filter_mask = 0;
  if (H5Dget_chunk_info_by_coord(dataset, coord, &filter_mask, offset, bytes) < 0 || *offset == HADDR_UNDEF) {
    return false;
  }
  return H5Pget_nfilters(dcpl.get()) == 0;  // a compressed chunk is read and decoded by HDF5 as a whole anyway
}

}  // namespace

std::unique_ptr<DatasetFile> DatasetFile::Open(const std::string& path) {
  Hdf5Lock lock(Hdf5Mutex());
  std::unique_ptr<DatasetFile> d(new DatasetFile);
  d->path_ = path;
  d->handles_.reset(new Handles(H5File::OpenReadOnly(path)));
  hid_t root = d->handles_->file.id();
  d->handles_->fd = PosixDescriptor(root);
  const std::string where = "'" + path + "'";
  try {
    if (!H5HasAttr(root, "format") || H5ReadStringAttr(root, "format") != kDatasetFormatName) {
      std::string found = H5HasAttr(root, "format") ? H5ReadStringAttr(root, "format") : "no aif format";
      ThrowData("is not an aif dataset (%s); create one with 'aif prepare'", found.c_str());
    }
    d->format_version_ = H5ReadIntAttr(root, "format_version");
    if (d->format_version_ != kDatasetFormatVersion) {
      ThrowData("has dataset format version %lld, this aif reads version %lld; re-create it with this aif's "
                "'aif prepare'",
                static_cast<long long>(d->format_version_), static_cast<long long>(kDatasetFormatVersion));
    }
    d->fingerprint_ = H5ReadStringAttr(root, "fingerprint");

    H5Id g = H5OpenGroup(root, "schema");
    d->schema_ = ReadSchemaGroup(g.get());
    const DatasetSchema& s = d->schema_;

    H5Id sg = H5OpenGroup(root, "splits");
    const int64_t F = s.num_features();
    for (const std::string& name : Split(H5ReadStringAttr(sg.get(), "names"), ',')) {
      H5Id split = H5OpenGroup(sg.get(), name);
      SplitInfo info;
      info.name = name;
      info.rows = H5ReadIntAttr(split.get(), "rows");
      info.chunk_rows = H5ReadIntAttr(split.get(), "chunk_rows");
      info.sha256 = H5ReadStringAttr(split.get(), "sha256");
      Handles::SplitHandles h{OpenUncached(split.get(), "features"), OpenUncached(split.get(), "labels")};
      auto fdims = H5DatasetDims(h.features.get());
      auto ldims = H5DatasetDims(h.labels.get());
      if (info.rows <= 0 || info.chunk_rows <= 0 || info.chunk_rows > info.rows || fdims.size() != 2 ||
          fdims[0] != info.rows || fdims[1] != F || ldims.size() != 1 || ldims[0] != info.rows) {
        ThrowData("split '%s' has inconsistent shapes (rows %lld, features %s, labels %s)", name.c_str(),
                  static_cast<long long>(info.rows), fdims.size() == 2 ? Format("%lldx%lld",
                  static_cast<long long>(fdims[0]), static_cast<long long>(fdims[1])).c_str() : "?",
                  ldims.size() == 1 ? std::to_string(ldims[0]).c_str() : "?");
      }
      if (H5PathExists(split.get(), kChunkChecksumsName)) {
        info.chunk_crcs = H5ReadArray<uint32_t>(split.get(), kChunkChecksumsName);
        const size_t chunks = static_cast<size_t>((info.rows + info.chunk_rows - 1) / info.chunk_rows);
        if (info.chunk_crcs.size() != 2 * chunks) {
          ThrowData("split '%s' has %zu chunk checksums for %zu chunks", name.c_str(), info.chunk_crcs.size() / 2,
                    chunks);
        }
      }
      d->splits_.push_back(info);
      d->handles_->per_split.push_back(std::move(h));
    }
    if (d->splits_.empty() || d->splits_[0].name != "train") ThrowData("has no train split");
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kData) throw;
    throw Error(ErrorKind::kData, "dataset " + where + ": " + e.what());
  }
  return d;
}

bool DatasetFile::HasSplit(const std::string& name) const {
  return std::any_of(splits_.begin(), splits_.end(), [&](const SplitInfo& s) { return s.name == name; });
}

const SplitInfo& DatasetFile::split(const std::string& name) const {
  for (const auto& s : splits_) {
    if (s.name == name) return s;
  }
  std::vector<std::string> names;
  for (const auto& s : splits_) names.push_back(s.name);
  ThrowUsage("dataset '%s' has no split '%s' (it has: %s)", path_.c_str(), name.c_str(), Join(names, ", ").c_str());
}

FeatureStats DatasetFile::ReadStats() const {
  Hdf5Lock lock(Hdf5Mutex());
  try {
    H5Id g = H5OpenGroup(handles_->file.id(), "stats");
    return ReadStatsGroup(g.get(), schema_.task, schema_.num_features());
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kData) throw;
    throw Error(ErrorKind::kData, "dataset '" + path_ + "': statistics: " + e.what());
  }
}

nlohmann::json DatasetFile::ReadLineage() const {
  Hdf5Lock lock(Hdf5Mutex());
  H5Id g = H5OpenGroup(handles_->file.id(), "lineage");
  return ReadAttributesAsJson(g.get());
}

void DatasetFile::ReadRows(const std::string& split_name, int64_t start, int64_t n, void* features,
                           void* labels) const {
  size_t index = 0;
  while (index < splits_.size() && splits_[index].name != split_name) ++index;
  if (index == splits_.size()) split(split_name);  // throws with the list of splits
  const SplitInfo& info = splits_[index];
  AIF_CHECK(start >= 0 && n >= 0 && start + n <= info.rows, "ReadRows out of range");
  if (n == 0) return;
  const auto& h = handles_->per_split[index];
  const std::string what = Format("rows %lld..%lld of split '%s' in '%s'", static_cast<long long>(start),
                                  static_cast<long long>(start + n), split_name.c_str(), path_.c_str());
  hid_t ftype = schema_.feature_type == FeatureType::kUint8 ? H5T_NATIVE_UINT8 : H5T_NATIVE_FLOAT;
  H5ReadRows(h.features.get(), ftype, start, n, features, "features of " + what);
  hid_t ltype = schema_.task == Task::kClassification ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT;
  H5ReadRows(h.labels.get(), ltype, start, n, labels, "labels of " + what);
}

void DatasetFile::AdviseChunk(const std::string& split_name, int64_t chunk) const {
  if (handles_->fd < 0) return;
  size_t index = 0;
  while (index < splits_.size() && splits_[index].name != split_name) ++index;
  if (index == splits_.size()) return;
  const SplitInfo& info = splits_[index];
  const int64_t first = chunk * info.chunk_rows;
  if (chunk < 0 || first >= info.rows) return;
  const int64_t rows = std::min(info.chunk_rows, info.rows - first);
  const auto& h = handles_->per_split[index];
  const int64_t row_bytes = schema_.num_features() * static_cast<int64_t>(FeatureTypeSize(schema_.feature_type));
  Hdf5Lock lock(Hdf5Mutex());
  H5E_BEGIN_TRY {  // advice only: a failure is silent
    for (const auto& [dataset, bytes_per_row] : {std::make_pair(h.features.get(), row_bytes),
                                                 std::make_pair(h.labels.get(), static_cast<int64_t>(schema_.label_size()))}) {
      haddr_t offset = 0;
      hsize_t bytes = 0;
      if (RowExtent(dataset, first, rows, bytes_per_row, &offset, &bytes)) {
        posix_fadvise(handles_->fd, static_cast<off_t>(offset), static_cast<off_t>(bytes), POSIX_FADV_WILLNEED);
      }
    }
  } H5E_END_TRY;
}

void DatasetFile::VerifyChunk(const SplitInfo& info, int64_t chunk, const void* features, const void* labels) const {
  if (info.chunk_crcs.empty()) return;  // a file from before chunk checksums
  const int64_t first = chunk * info.chunk_rows, rows = std::min(info.chunk_rows, info.rows - first);
  const size_t feature_bytes = static_cast<size_t>(rows * schema_.num_features()) * FeatureTypeSize(schema_.feature_type);
  const size_t label_bytes = static_cast<size_t>(rows) * schema_.label_size();
  const uint32_t* want = &info.chunk_crcs.at(static_cast<size_t>(2 * chunk));
  const bool features_ok = Crc32c(0, features, feature_bytes) == want[0];
  const bool labels_ok = Crc32c(0, labels, label_bytes) == want[1];
  if (features_ok && labels_ok) return;
  ThrowData("dataset '%s': split '%s', rows %lld..%lld (chunk %lld): the %s do not match their checksum, so the file "
            "is damaged; restore it, or prepare it again with 'aif prepare'",
            path_.c_str(), info.name.c_str(), static_cast<long long>(first), static_cast<long long>(first + rows),
            static_cast<long long>(chunk), !features_ok && !labels_ok ? "features and labels" : !features_ok ? "features" : "labels");
}

std::string DatasetFile::VerifyChecksums() const {
  std::vector<std::string> problems;
  Sha256 fp;
  fp.Update(schema_.ToJson().dump());
  const int64_t F = schema_.num_features();
  const size_t row_bytes = static_cast<size_t>(F) * FeatureTypeSize(schema_.feature_type);
  for (const SplitInfo& info : splits_) {
    Sha256 fh, lh;
    std::vector<uint8_t> fbuf, lbuf;
    for (int64_t start = 0; start < info.rows; start += info.chunk_rows) {
      int64_t n = std::min(info.chunk_rows, info.rows - start);
      fbuf.resize(static_cast<size_t>(n) * row_bytes);
      lbuf.resize(static_cast<size_t>(n) * schema_.label_size());
      ReadRows(info.name, start, n, fbuf.data(), lbuf.data());
      try {
        VerifyChunk(info, start / info.chunk_rows, fbuf.data(), lbuf.data());
      } catch (const Error& e) {
        problems.push_back(e.what());
      }
      fh.Update(fbuf.data(), fbuf.size());
      lh.Update(lbuf.data(), lbuf.size());
    }
    Sha256 combined;
    combined.Update(fh.HexDigest());
    combined.Update(lh.HexDigest());
    std::string actual = combined.HexDigest();
    if (actual != info.sha256) problems.push_back("split '" + info.name + "' checksum mismatch");
    fp.Update(info.name + ":" + actual + ";");
  }
  if (fp.HexDigest() != fingerprint_) problems.push_back("fingerprint mismatch");
  return Join(problems, "; ");
}

}  // namespace aif

namespace aif {
namespace {

nlohmann::json Range(const std::vector<double>& v) {
  if (v.empty()) return nullptr;
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return nlohmann::json::array({*lo, *hi});
}

nlohmann::json Names(const std::vector<std::string>& names, bool full) {
  if (full || names.size() <= 16) return names;
  nlohmann::json j = std::vector<std::string>(names.begin(), names.begin() + 8);
  j.push_back(Format("... (%zu in all; --full lists them)", names.size()));
  return j;
}

}  // namespace

nlohmann::json DatasetFile::Describe(bool full) const {
  nlohmann::json j;
  j["format"] = kDatasetFormatName;
  j["format_version"] = format_version_;
  j["fingerprint"] = fingerprint_;
  nlohmann::json schema = schema_.ToJson();
  schema["feature_names"] = Names(schema_.feature_names, full);
  j["schema"] = schema;
  nlohmann::json splits = nlohmann::json::array();
  for (const auto& s : splits_) {
    splits.push_back({{"name", s.name}, {"rows", s.rows}, {"chunk_rows", s.chunk_rows}, {"sha256", s.sha256}});
  }
  j["splits"] = splits;
  FeatureStats st = ReadStats();
  nlohmann::json stats;
  stats["split"] = "train";
  stats["count"] = st.count;
  stats["hist_bins"] = st.hist_bins;
  stats["quantile_levels"] = st.quantile_levels;
  if (full) {
    stats["mean"] = st.mean;
    stats["std"] = st.std;
    stats["min"] = st.min;
    stats["max"] = st.max;
    stats["quantiles"] = st.quantiles;
    stats["hist_counts"] = st.hist_counts;
  } else {
    stats["mean_range"] = Range(st.mean);
    stats["std_range"] = Range(st.std);
    stats["min"] = st.min.empty() ? nlohmann::json() : nlohmann::json(*std::min_element(st.min.begin(), st.min.end()));
    stats["max"] = st.max.empty() ? nlohmann::json() : nlohmann::json(*std::max_element(st.max.begin(), st.max.end()));
  }
  if (schema_.task == Task::kClassification) {
    stats["label_counts"] = st.label_counts;
  } else {
    stats["label"] = {{"mean", st.label_mean}, {"std", st.label_std}, {"min", st.label_min}, {"max", st.label_max}};
  }
  j["stats"] = stats;
  j["lineage"] = ReadLineage();
  return j;
}

}  // namespace aif
