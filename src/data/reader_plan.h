// The sharded reader's plan: one rank's share of a split, its epoch order
// and the bytes its reader must hold at least, computed from the options
// alone. Internal to data/ (sharded_reader.cpp, sharded_reader_options.cpp).
#pragma once

#include <cstdint>

#include "data/dataset_format.h"
#include "data/epoch_order.h"
#include "data/sharded_reader.h"

namespace aif {

struct ReaderPlan {
  int64_t share_begin = 0, share_rows = 0;
  OrderSpec spec;
  int64_t batch_bytes = 0, chunk_bytes = 0, order_bytes = 0;
};

// Every impossible option is Error(kUsage) here (B < P, B > N with drop, an
// empty shuffle window, a memory bound below one chunk and three batches), so
// ShardedReader::CheckOptions can refuse them without opening a reader.
ReaderPlan PlanReader(const DatasetSchema& schema, const SplitInfo& split, const ReaderOptions& options, int rank,
                      int world);

}  // namespace aif
