// Evicting a file from the page cache, so that the next read comes from the
// device ("cold cache"). Prefers dropping the whole cache (root, writable
// /proc/sys/vm/drop_caches), falls back to posix_fadvise(DONTNEED) on the
// file, which needs no privilege but only evicts clean, unmapped pages.
#pragma once

#include <string>

namespace aif {
namespace bench {

// Returns the method that succeeded: "drop_caches", "fadvise", or "none"
// (the reads that follow are then warm, and the caller must say so).
std::string EvictFromPageCache(const std::string& path);

}  // namespace bench
}  // namespace aif
