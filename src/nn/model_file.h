// The model file (format "aif.model", version 1; docs/formats.md): what
// inference needs and nothing of training's state. The spec and the data
// schema rebuild the network, the parameters fill it, the normalisation
// constants prepare raw features exactly as training saw them, and the train
// split's statistics travel along as the drift reference. `params_sha256`
// (SHA-256 of the flat f32 parameter bytes, layer order) and
// `content_sha256` (everything else inference reads) are verified on load.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset_format.h"
#include "nn/model.h"

namespace aif {

inline constexpr const char* kModelFormatName = "aif.model";
inline constexpr int64_t kModelFormatVersion = 1;

struct ModelMetadata {
  DatasetSchema schema;               // features and labels the model was trained on
  std::string normalization;          // scale, standardize or none
  std::vector<float> norm_offset;     // [F]: x' = (x - offset) * scale
  std::vector<float> norm_scale;      // [F]
  FeatureStats reference_stats;       // train split statistics of the dataset
  std::string dataset_fingerprint;
  nlohmann::json lineage = nlohmann::json::object();  // config, versions, job, metrics summary
};

// SHA-256 of the parameter bytes (copied to the host if needed).
std::string ParamsSha256(const Model& model);

// Writes atomically; returns params_sha256.
std::string WriteModelFile(const std::string& path, const Model& model, const ModelMetadata& meta);

struct LoadedModel {
  std::unique_ptr<Model> model;
  ModelMetadata meta;
  std::string params_sha256;
};
// Throws kData (naming the file) for a wrong format/version or a checksum
// that does not verify, kIo for a missing file.
LoadedModel ReadModelFile(const std::string& path, DeviceType device = DeviceType::kCpu);

// The JSON `aif inspect` prints for a model file.
nlohmann::json DescribeModelFile(const std::string& path);

}  // namespace aif
