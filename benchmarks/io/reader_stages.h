// Where a one-rank reader epoch's time goes: each stage of the reader's
// producer timed alone, warm page cache, on the reader's own inputs and
// options. Stages: opening the file; fresh, zero-filled chunk buffers (the
// reader's chunk cache starts empty); HDF5 reads of every chunk (whole
// chunks, as the reader reads them); the epoch order (chunk permutation,
// window shuffles, the sort of every global batch); a fresh, zero-filled
// Batch per step; uint8/float to float normalisation gathered in the epoch's
// order, and for reference in file order (the difference is the price of
// shuffled access).
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
