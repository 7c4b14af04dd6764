#include "registry/manifest.h"

#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "core/sha256.h"
#include "core/strings.h"

namespace aif {

nlohmann::json HashFiles(const std::string& dir, const std::vector<std::string>& names) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& name : names) {
    uint64_t bytes = 0;
    const std::string sha = Sha256File(dir + "/" + name, &bytes);
    files[name] = {{"bytes", bytes}, {"sha256", sha}};
  }
  return files;
}

nlohmann::json ReadManifest(const std::string& dir) {
  const std::string path = dir + "/" + kManifestFileName;
  auto manifest = nlohmann::json::parse(ReadFileToString(path), nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object() || manifest.value("format", "") != kManifestFormatName) {
    ThrowData("'%s' is not an aif manifest (damaged or not written by aif)", path.c_str());
  }
  if (manifest.value("format_version", int64_t{0}) != kManifestFormatVersion) {
    ThrowData("'%s' has manifest version %s; this aif reads version %lld", path.c_str(),
              manifest.value("format_version", nlohmann::json()).dump().c_str(),
              static_cast<long long>(kManifestFormatVersion));
  }
  if (!manifest.contains("files") || !manifest["files"].is_object()) ThrowData("'%s' lists no files", path.c_str());
  return manifest;
}

std::vector<std::string> VerifyVersionDir(const std::string& dir) {
  std::vector<std::string> problems;
  nlohmann::json manifest;
  try {
    manifest = ReadManifest(dir);
  } catch (const Error& e) {
    problems.push_back(e.what());
    return problems;
  }
  std::set<std::string> listed{kManifestFileName};
  for (const auto& [name, entry] : manifest["files"].items()) {
    listed.insert(name);
    const std::string path = dir + "/" + name;
    if (!PathExists(path)) {
      problems.push_back(Format("'%s' is missing", path.c_str()));
      continue;
    }
    uint64_t bytes = 0;
    std::string sha;
    try {
      sha = Sha256File(path, &bytes);
    } catch (const Error& e) {
      problems.push_back(e.what());
      continue;
    }
    if (bytes != entry.value("bytes", uint64_t{0})) {
      problems.push_back(Format("'%s' has %llu bytes; the manifest says %llu (modified after registration)",
                                path.c_str(), static_cast<unsigned long long>(bytes),
                                static_cast<unsigned long long>(entry.value("bytes", uint64_t{0}))));
    } else if (sha != entry.value("sha256", "")) {
      problems.push_back(Format("'%s' has SHA-256 %.16s...; the manifest says %.16s... (modified after registration)",
                                path.c_str(), sha.c_str(), entry.value("sha256", "").c_str()));
    }
  }
  for (const auto& name : ListDirectory(dir)) {
    if (!listed.count(name)) problems.push_back(Format("'%s/%s' is not in the manifest (added after registration)", dir.c_str(), name.c_str()));
  }
  return problems;
}

}  // namespace aif
