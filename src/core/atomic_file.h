// Atomic publication of files (promise 4 of DESIGN.md): a job writes under a
// temporary name in the destination directory, and Commit() flushes it to
// disk, renames it into place and syncs the directory. A reader therefore
// sees either the old file or the complete new one, never a partial one.
// Temporaries are named "<final>.tmp.<host>.<pid>.<n>"; a job killed before
// Commit() leaves one behind, and the next AtomicOutput for the same path on
// the same host removes those whose process is gone (never another host's:
// on a shared file system their writers may still be alive).
#pragma once

#include <string>

namespace aif {

class AtomicOutput {
 public:
  // Creates the parent directory if needed. Does not touch final_path.
  explicit AtomicOutput(const std::string& final_path);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  // fsync(temp) + rename(temp, final) + fsync(directory). The temp file must
  // be closed by its writer first.
  void Commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

// Writes a small text file (a config, a JSON document) atomically.
void WriteFileAtomic(const std::string& path, const std::string& content);

}  // namespace aif
