// See page_cache.h. sync first: dirty pages cannot be dropped.
#include "io/page_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

namespace aif {
namespace bench {

std::string EvictFromPageCache(const std::string& path) {
  sync();
  {
    std::ofstream f("/proc/sys/vm/drop_caches");
    if (f && (f << "3\n") && f.flush()) return "drop_caches";
  }
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return "none";
  const bool ok = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
  close(fd);
  return ok ? "fadvise" : "none";
}

}  // namespace bench
}  // namespace aif
