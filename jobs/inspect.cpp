// aif inspect FILE: a JSON summary of any aif file on stdout. The file's
// root attribute "format" selects the describer; later formats (checkpoints,
// models) add an entry to kDescribers.
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
};

}  // namespace

int InspectMain(int argc, char** argv, JobContext& ctx) {
  std::string path;
  InspectFlags flags;
  JobOptions options("inspect", "aif inspect FILE [--verify] [--full]",
                     "Prints a JSON summary of an aif file: format and version, schema, sizes, statistics,\n"
                     "lineage and checksums. --verify recomputes the checksums (reads the whole file) and\n"
                     "exits 3 when they do not match.");
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
