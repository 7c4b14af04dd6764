// aif inspect FILE: a JSON summary of any aif file on stdout (datasets,
// models, checkpoints, HDF5 predictions). The file's root attribute "format"
// selects the describer in kDescribers.
#include <algorithm>
#include <iostream>

#include "checkpoint/checkpoint_file.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hdf5_io.h"
#include "core/sha256.h"
#include "data/dataset_file.h"
#include "jobs/job.h"
#include "nn/model_file.h"

namespace aif {
namespace {

struct InspectFlags {
  bool verify = false;
  bool full = false;
};

nlohmann::json DescribeDatasetFile(const std::string& path, const InspectFlags& flags) {
  auto file = DatasetFile::Open(path);
  nlohmann::json j = file->Describe(flags.full);
  if (flags.verify) {
    std::string problems = file->VerifyChecksums();
    j["verified"] = problems.empty();
    if (!problems.empty()) {
      std::cout << j.dump(2) << std::endl;
      ThrowData("'%s' failed verification: %s", path.c_str(), problems.c_str());
    }
  }
  return j;
}

// aif predict's HDF5 output (jobs/predict.cpp): its provenance, size, and a
// summary of the predictions (per-class counts, or the values' range).
nlohmann::json DescribePredictionsFile(const std::string& path, const InspectFlags&) {
  H5File file = H5File::OpenReadOnly(path);
  Hdf5Lock lock(Hdf5Mutex());
  const hid_t root = file.id();
  nlohmann::json j;
  j["format"] = "aif.predictions";
  j["format_version"] = H5ReadIntAttr(root, "format_version");
  j["model_params_sha256"] = H5ReadStringAttr(root, "model_params_sha256");
  j["lineage"] = nlohmann::json::parse(H5ReadStringAttr(root, "lineage"), nullptr, /*allow_exceptions=*/false);
  j["rows"] = H5DatasetDims(H5OpenDataset(root, "id").get()).at(0);
  if (H5PathExists(root, "key")) j["key_column"] = H5ReadStringAttr(root, "key_column");  // predict --id-column
  if (H5PathExists(root, "predicted")) {
    const std::vector<std::string> names = H5ReadStrings(root, "class_names");
    const std::vector<int32_t> predicted = H5ReadArray<int32_t>(root, "predicted");
    std::vector<int64_t> counts(names.size(), 0);
    for (int32_t c : predicted) {
      if (c < 0 || c >= static_cast<int32_t>(names.size())) {
        ThrowData("'%s': predicted class %d outside the file's %zu classes", path.c_str(), c, names.size());
      }
      ++counts[c];
    }
    j["task"] = "classification";
    j["class_names"] = names;
    nlohmann::json per_class = nlohmann::json::object();
    for (size_t c = 0; c < names.size(); ++c) per_class[names[c]] = counts[c];
    j["predicted_counts"] = per_class;
  } else {
    const std::vector<float> values = H5ReadArray<float>(root, "prediction");
    j["task"] = "regression";
    if (!values.empty()) {
      double sum = 0;
      for (float v : values) sum += v;
      j["prediction"] = {{"min", *std::min_element(values.begin(), values.end())},
                         {"max", *std::max_element(values.begin(), values.end())},
                         {"mean", sum / static_cast<double>(values.size())}};
    }
  }
  return j;
}

struct Describer {
  const char* format;
  nlohmann::json (*describe)(const std::string& path, const InspectFlags& flags);
};
nlohmann::json DescribeModel(const std::string& path, const InspectFlags&) { return DescribeModelFile(path); }
nlohmann::json DescribeCheckpoint(const std::string& path, const InspectFlags&) { return DescribeCheckpointFile(path); }

const Describer kDescribers[] = {
    {"aif.dataset", DescribeDatasetFile},
    {"aif.model", DescribeModel},
    {"aif.checkpoint", DescribeCheckpoint},
    {"aif.predictions", DescribePredictionsFile},
};

}  // namespace

int InspectMain(int argc, char** argv, JobContext& ctx) {
  std::string path;
  InspectFlags flags;
  JobOptions options("inspect", "aif inspect FILE [--verify] [--full]",
                     "Prints a JSON summary of an aif file (dataset, model, checkpoint or HDF5 predictions):\n"
                     "format and version, schema, sizes, statistics, lineage and checksums. --verify\n"
                     "recomputes the checksums (reads the whole file) and exits 3 when they do not match.");
  options.AddPositional("file", &path, "the aif file to describe")
      .AddFlag("verify", &flags.verify, "recompute checksums and compare them with the stored ones")
      .AddFlag("full", &flags.full, "include every per-feature statistic (long for images)");
  if (!ParseJobOptions(ctx, &options, argc, argv)) return 0;
  RunOnRoot(ctx, [&] {
    if (path.empty()) ThrowUsage("which file? usage: aif inspect FILE");
    const std::string format = ReadAifFormatName(path);
    for (const auto& d : kDescribers) {
      if (format == d.format) {
        nlohmann::json j = d.describe(path, flags);
        j["file"] = {{"path", AbsolutePath(path)}, {"bytes", FileSize(path)}};
        std::cout << j.dump(2) << std::endl;
        return;
      }
    }
    ThrowData("'%s' has format '%s', which this aif cannot describe", path.c_str(), format.c_str());
  });
  return 0;
}

}  // namespace aif
