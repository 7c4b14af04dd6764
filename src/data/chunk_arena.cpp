#include "data/chunk_arena.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/strings.h"

namespace aif {

ChunkArena::ChunkArena(int64_t slots, size_t slot_bytes) {
  AIF_CHECK(slots > 0 && slot_bytes > 0, "ChunkArena needs at least one non-empty slot");
  slot_bytes_ = (slot_bytes + 63) / 64 * 64;  // every slot cache-line aligned
  mapped_bytes_ = static_cast<size_t>(slots) * slot_bytes_;
  void* p = mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    ThrowIo("cannot map %s for the reader's chunk cache: %s; lower --reader-memory",
            HumanBytes(static_cast<double>(mapped_bytes_)).c_str(), std::strerror(errno));
  }
  base_ = static_cast<uint8_t*>(p);
#ifdef MADV_HUGEPAGE
  madvise(p, mapped_bytes_, MADV_HUGEPAGE);  // advisory: refused where THP is off
#endif
  free_.reserve(static_cast<size_t>(slots));
  for (int64_t s = slots - 1; s >= 0; --s) free_.push_back(s);  // slot 0 first: low addresses fill first
}

ChunkArena::~ChunkArena() {
  if (base_) munmap(base_, mapped_bytes_);
}

int64_t ChunkArena::Acquire() {
  if (free_.empty()) return -1;
  int64_t s = free_.back();
  free_.pop_back();
  return s;
}

void ChunkArena::Release(int64_t slot) { free_.push_back(slot); }

}  // namespace aif
