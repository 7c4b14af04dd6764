// Doubles across ranks. The Communicator carries f32, i32 and i64 only, and
// drift sums (moments of a feature over millions of rows) need more than f32's
// seven digits. So each rank's doubles travel as i64 bit patterns in one
// AllGather, and every rank combines the gathered values in rank order: all
// ranks hold the same bits afterwards. Collective: every rank calls it.
#pragma once

#include <vector>

#include "comm/communicator.h"

namespace aif {

// In place: values[i] becomes the sum (kSum), minimum (kMin) or maximum
// (kMax) of values[i] over the ranks. kAverage is not supported.
void AllReduceDoubles(Communicator& comm, std::vector<double>* values, ReduceOp op);

}  // namespace aif
