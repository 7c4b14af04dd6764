// One checkpoint file (format "aif.checkpoint", version 1; docs/formats.md):
// named flat tensors (parameters, optimizer state) and a JSON object with
// everything else (step, reader cursor, schedule and RNG position, config,
// world size, lineage). The module stores tensors and attributes without
// knowing what they mean, so optimizers and models can change freely.
//
// Commit protocol: write under a temporary name, flush and fsync the file,
// rename it into place, fsync the directory. A SHA-256 over the content is
// stored in the file and verified on every read, so a truncated, bit-flipped
// or half-copied checkpoint is detected, never loaded.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace aif {

inline constexpr const char* kCheckpointFormatName = "aif.checkpoint";
inline constexpr int64_t kCheckpointFormatVersion = 1;

struct Checkpoint {
  int64_t step = 0;                                        // completed optimizer steps
  nlohmann::json meta = nlohmann::json::object();          // scalars and small structures
  std::vector<std::pair<std::string, Tensor>> tensors;     // f32, any device (copied to the host)
};

// Writes atomically (see above); returns the content checksum.
std::string WriteCheckpointFile(const std::string& path, const Checkpoint& checkpoint);
// Reads and verifies. Throws kData naming the file and the problem (not an
// HDF5 file, truncated, wrong format or version, checksum mismatch), kIo when
// it cannot be read at all.
Checkpoint ReadCheckpointFile(const std::string& path);
// The JSON `aif inspect` prints (verifies the checksum).
nlohmann::json DescribeCheckpointFile(const std::string& path);

}  // namespace aif
