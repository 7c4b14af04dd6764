#include "checkpoint/checkpoint_dir.h"

#include <algorithm>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"

namespace aif {

CheckpointDir::CheckpointDir(const std::string& run_dir) : dir_(run_dir + "/checkpoints") {}

std::string CheckpointDir::FileName(int64_t step) { return Format("ckpt-%08lld.h5", static_cast<long long>(step)); }

std::vector<std::pair<int64_t, std::string>> CheckpointDir::List() const {
  std::vector<std::pair<int64_t, std::string>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (!StartsWith(name, "ckpt-") || !EndsWith(name, ".h5")) continue;  // skips *.tmp.* files
    auto step = ParseInt(name.substr(5, name.size() - 8));
    if (step && *step >= 0) out.emplace_back(*step, entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string CheckpointDir::Save(const Checkpoint& checkpoint, const RetentionPolicy& retention) {
  MakeDirectories(dir_);
  const std::string name = FileName(checkpoint.step);
  const std::string path = dir_ + "/" + name;
  WriteCheckpointFile(path, checkpoint);
  WriteFileAtomic(dir_ + "/latest", name + "\n");
  auto all = List();
  const int64_t keep_last = std::max<int64_t>(1, retention.keep_last);
  for (size_t i = 0; i + static_cast<size_t>(keep_last) < all.size(); ++i) {
    const auto& [step, file] = all[i];
    if (retention.keep_every > 0 && step % retention.keep_every == 0) continue;
    if (file == path) continue;
    RemoveFileIfExists(file);
  }
  return path;
}

std::optional<Checkpoint> CheckpointDir::LoadNewestValid(std::string* loaded_path) const {
  auto all = List();
  if (all.empty()) return std::nullopt;
  std::vector<std::string> problems;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      Checkpoint c = ReadCheckpointFile(it->second);
      if (c.step != it->first) ThrowData("'%s' holds step %lld", it->second.c_str(), static_cast<long long>(c.step));
      if (!problems.empty()) LogWarn("resuming from the older %s instead", it->second.c_str());
      if (loaded_path) *loaded_path = it->second;
      return c;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kData) throw;
      LogWarn("skipping a damaged checkpoint: %s", e.what());
      problems.push_back(e.what());
    }
  }
  ThrowData("none of the %zu checkpoints in '%s' verifies (%s); remove the directory to start over",
            all.size(), dir_.c_str(), Join(problems, "; ").c_str());
}

}  // namespace aif
