#include "support/test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "core/strings.h"
#include "data/dataset_writer.h"
#include "data/feature_stats.h"

namespace aif {
namespace testing {

TempDir::TempDir() {
  std::string tmpl = std::filesystem::temp_directory_path().string() + "/aif-test-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

namespace {

template <typename T>
void Fill(std::vector<T>* f, std::vector<int32_t>* l, int64_t rows, int64_t F, int64_t classes, int64_t offset) {
  f->resize(rows * F);
  l->resize(rows);
  for (int64_t i = 0; i < rows; ++i) {
    int64_t id = offset + i;
    for (int64_t j = 0; j < F; ++j) {
      double v = j == 0 ? static_cast<double>(id) : static_cast<double>((id * (j + 1)) % 13);
      if constexpr (std::is_same_v<T, uint8_t>) v = static_cast<double>(static_cast<int64_t>(v) % 251);
      (*f)[i * F + j] = static_cast<T>(v);
    }
    (*l)[i] = static_cast<int32_t>(id % classes);
  }
}

template <typename T>
void WriteTyped(const std::string& path, const SyntheticSpec& s, const DatasetSchema& schema) {
  DatasetWriter w(path, schema);
  std::vector<T> f;
  std::vector<int32_t> l;
  Fill(&f, &l, s.train_rows, s.features, s.classes, 0);
  FeatureStatsBuilder stats(s.features, Task::kClassification, s.classes);
  stats.AddMoments(f.data(), l.data(), s.train_rows);
  stats.FinishMoments();
  stats.AddHistogram(f.data(), s.train_rows);
  w.BeginSplit("train", s.train_rows, s.chunk_rows);
  w.Append(f.data(), l.data(), s.train_rows);
  w.EndSplit();
  if (s.val_rows > 0) {
    Fill(&f, &l, s.val_rows, s.features, s.classes, 100000);
    w.BeginSplit("val", s.val_rows, s.chunk_rows);
    w.Append(f.data(), l.data(), s.val_rows);
    w.EndSplit();
  }
  w.SetStats(stats.Finish());
  w.SetLineage({{"source", "synthetic"}});
  w.Commit();
}

}  // namespace

void WriteSyntheticDataset(const std::string& path, const SyntheticSpec& s) {
  DatasetSchema schema;
  schema.task = Task::kClassification;
  schema.feature_type = s.type;
  schema.sample_shape = {s.features};
  for (int64_t j = 0; j < s.features; ++j) schema.feature_names.push_back(Format("f%lld", static_cast<long long>(j)));
  for (int64_t c = 0; c < s.classes; ++c) schema.class_names.push_back(Format("class%lld", static_cast<long long>(c)));
  if (s.type == FeatureType::kUint8) WriteTyped<uint8_t>(path, s, schema);
  else WriteTyped<float>(path, s, schema);
}

}  // namespace testing
}  // namespace aif
