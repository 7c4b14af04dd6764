// Where a one-rank reader epoch's time goes: each stage of the reader's
// producer timed alone, warm page cache, on the reader's own inputs and
// options. Stages: opening the file; the first touch of the chunk cache's
// slots (data/chunk_arena.h: page faults, huge pages where granted); HDF5
// reads of every chunk (whole chunks, as the reader reads them); checking
// every chunk against its CRC-32C (DatasetFile::VerifyChunk); the epoch
// order (chunk permutation, window shuffles, the sort of every global batch,
// done twice: for the read-ahead and for the batch); normalisation to float
// gathered in the epoch's order with the next row prefetched, and for
// reference in file order (the difference is the price of shuffled access).
// Batch buffers are not a stage: training recycles them (Recycle()).
#pragma once

#include <string>
#include <vector>

#include "data/sharded_reader.h"

namespace aif {
namespace bench {

struct Stage {
  std::string name;
  double seconds = 0;      // median over repeats
  bool in_reader = true;   // false: a reference, not work the reader does
};

std::vector<Stage> TimeReaderStages(const std::string& path, const ReaderOptions& options, int repeats);

}  // namespace bench
}  // namespace aif
