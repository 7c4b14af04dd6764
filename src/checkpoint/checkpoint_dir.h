// The checkpoints of a run: RUN/checkpoints/ckpt-<step>.h5 files, a `latest`
// pointer (a one-line file naming the newest, replaced atomically after the
// checkpoint itself is in place), retention, and loading the newest
// checkpoint that verifies, falling back over damaged ones with a warning.
// Only one process (rank 0) saves; any process may load.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/checkpoint_file.h"

namespace aif {

struct RetentionPolicy {
  int64_t keep_last = 3;   // the newest K checkpoints stay
  int64_t keep_every = 0;  // and every checkpoint whose step is a multiple of M (0: none)
};

class CheckpointDir {
 public:
  explicit CheckpointDir(const std::string& run_dir);
  const std::string& path() const { return dir_; }

  // Saves `checkpoint` as ckpt-<step>.h5, moves `latest` to it, then deletes
  // what the retention policy does not keep. Returns the file's path.
  std::string Save(const Checkpoint& checkpoint, const RetentionPolicy& retention);

  // (step, path) of every checkpoint file, oldest first; none is opened.
  std::vector<std::pair<int64_t, std::string>> List() const;
  bool Empty() const { return List().empty(); }

  // The newest checkpoint that reads and verifies. Damaged ones are skipped
  // with a warning naming the file and the problem. nullopt when the
  // directory holds no checkpoint; Error(kData) when it holds some but none
  // verifies.
  std::optional<Checkpoint> LoadNewestValid(std::string* loaded_path = nullptr) const;

  static std::string FileName(int64_t step);  // "ckpt-00001200.h5"

 private:
  std::string dir_;
};

}  // namespace aif
