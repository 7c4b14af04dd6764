// Read access to an aif dataset file: the schema, splits, statistics and
// lineage, and row ranges of a split. Opening validates the format name and
// version and every structural invariant, so later reads can trust them;
// problems are Error(kData) naming the file and what is wrong. ReadRows is
// safe to call from several threads (HDF5 calls are serialised).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset_format.h"

namespace aif {

class DatasetFile {
 public:
  static std::unique_ptr<DatasetFile> Open(const std::string& path);
  ~DatasetFile();

  const std::string& path() const { return path_; }
  const DatasetSchema& schema() const { return schema_; }
  const std::vector<SplitInfo>& splits() const { return splits_; }
  bool HasSplit(const std::string& name) const;
  // Throws kUsage naming the available splits when `name` is not present.
  const SplitInfo& split(const std::string& name) const;
  const std::string& fingerprint() const { return fingerprint_; }
  int64_t format_version() const { return format_version_; }

  FeatureStats ReadStats() const;
  nlohmann::json ReadLineage() const;

  // Reads rows [start, start + n) of a split: features in the file's type
  // into `features` ([n, F]) and labels (int32 or float32) into `labels`.
  void ReadRows(const std::string& split, int64_t start, int64_t n, void* features, void* labels) const;

  // Checks one chunk's rows, as ReadRows returned them (features then
  // labels of rows [chunk * chunk_rows, + chunk_rows)), against the chunk
  // checksums of `split` (one of splits()); Error(kData) naming the file,
  // split, rows and what differs. A no-op for files without chunk checksums.
  void VerifyChunk(const SplitInfo& split, int64_t chunk, const void* features, const void* labels) const;

  // Read-ahead: asks the kernel to start reading HDF5 chunk `chunk` of a
  // split (its feature and label rows) into the page cache and returns at
  // once (posix_fadvise WILLNEED on the chunk's byte ranges in the file). A
  // no-op where the ranges are unknown (a driver other than sec2, a layout
  // other than chunked or contiguous, a compressed chunk).
  void AdviseChunk(const std::string& split, int64_t chunk) const;

  // The JSON that `aif inspect` prints. Without `full`, per-feature arrays
  // are summarised (ranges) and long name lists shortened.
  nlohmann::json Describe(bool full) const;

  // Recomputes every split's checksum, every chunk's and the fingerprint (a
  // full read).
  // Returns an empty string when all match, else what does not.
  std::string VerifyChecksums() const;

 private:
  DatasetFile() = default;
  struct Handles;
  std::string path_;
  DatasetSchema schema_;
  std::vector<SplitInfo> splits_;
  std::string fingerprint_;
  int64_t format_version_ = 0;
  std::unique_ptr<Handles> handles_;
};

}  // namespace aif
