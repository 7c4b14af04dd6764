// Correctness of one reader epoch before anything is timed: over all ranks
// of MPI_COMM_WORLD, every sample the epoch should deliver arrives exactly
// once, with its label and its features equal to the file's row normalised
// with the reader's constants. Collective: every rank calls it.
#pragma once

#include <cstdint>
#include <string>

#include "data/sharded_reader.h"

namespace aif {
namespace bench {

// Returns the number of wrong deliveries summed over ranks (missing or
// duplicate samples, wrong labels, rows with a wrong feature); 0 is correct.
int64_t CheckReaderEpoch(const std::string& path, const ReaderOptions& options, int rank, int ranks);

}  // namespace bench
}  // namespace aif
