// The manifest of a stored version: `versions/<n>/manifest.json` (format
// "aif.manifest" version 1; docs/formats.md). It lists every other file of
// the version with its size and SHA-256, and records the lineage, a metrics
// summary and who registered it (user, host, Slurm job id, time).
// VerifyVersionDir recomputes everything the manifest promises.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aif {

inline constexpr const char* kManifestFormatName = "aif.manifest";
inline constexpr int64_t kManifestFormatVersion = 1;
inline constexpr const char* kManifestFileName = "manifest.json";

// The "files" object for the named files of `dir`: {name: {bytes, sha256}}.
nlohmann::json HashFiles(const std::string& dir, const std::vector<std::string>& names);

// Problems found in one version directory, each one line naming the file:
// a missing or unreadable manifest, a missing file, a size or checksum
// mismatch, a file the manifest does not list. Empty when it verifies.
std::vector<std::string> VerifyVersionDir(const std::string& dir);

// Reads and checks the format of DIR/manifest.json; throws kData.
nlohmann::json ReadManifest(const std::string& dir);

}  // namespace aif
