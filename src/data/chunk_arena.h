// ChunkArena: the reader's chunk cache memory. `slots` fixed-size slots in
// one anonymous mapping, handed out uninitialised and recycled, so a chunk
// read costs no zero-fill and pages are faulted once per reader, not once
// per chunk. The mapping asks for transparent huge pages (MADV_HUGEPAGE):
// where the kernel grants them, the first touch of 2 MiB costs one fault
// instead of 512. Not thread-safe: the reader's producer thread owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace aif {

class ChunkArena {
 public:
  // Throws kIo when the mapping cannot be made (address space exhausted).
  ChunkArena(int64_t slots, size_t slot_bytes);
  ~ChunkArena();
  ChunkArena(const ChunkArena&) = delete;
  ChunkArena& operator=(const ChunkArena&) = delete;

  // A free slot's index; -1 when all are taken.
  int64_t Acquire();
  void Release(int64_t slot);
  uint8_t* data(int64_t slot) const { return base_ + static_cast<size_t>(slot) * slot_bytes_; }
  size_t slot_bytes() const { return slot_bytes_; }
  int64_t free_slots() const { return static_cast<int64_t>(free_.size()); }

 private:
  uint8_t* base_ = nullptr;
  size_t mapped_bytes_ = 0, slot_bytes_ = 0;
  std::vector<int64_t> free_;
};

}  // namespace aif
