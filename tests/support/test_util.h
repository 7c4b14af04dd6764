// Helpers shared by the C++ tests: a temporary directory that cleans up
// after itself, and small synthetic datasets whose every value is known
// (feature 0 of row i is i, so a test can check a delivered row's identity).
#pragma once

#include <cstdint>
#include <string>

#include "data/dataset_format.h"

namespace aif {
namespace testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct SyntheticSpec {
  int64_t train_rows = 1000;
  int64_t val_rows = 0;
  int64_t features = 3;
  int64_t chunk_rows = 37;
  int64_t classes = 7;
  FeatureType type = FeatureType::kFloat32;
};

// Writes a dataset: train row i has features {i, i % 13, ...} (uint8: i % 251
// in feature 0), label i % classes; val rows likewise with offset 100000.
void WriteSyntheticDataset(const std::string& path, const SyntheticSpec& spec);

// Writes `text` to a file, creating or replacing it.
void WriteText(const std::string& path, const std::string& text);

}  // namespace testing
}  // namespace aif
