// Validation during training: the model in inference mode over a whole
// split, sharded over the ranks (remainder padded, padding ignored), with
// loss and accuracy summed across ranks. The full report with per-class
// metrics is `aif evaluate` (src/eval).
#pragma once

#include "comm/communicator.h"
#include "data/sharded_reader.h"
#include "nn/model.h"

namespace aif {

struct SplitMetrics {
  int64_t samples = 0;
  double loss = 0;      // mean per sample (cross-entropy or squared error)
  double accuracy = -1; // classification only
};

// gemm_dtype: as in training (PassContext::gemm_dtype).
SplitMetrics EvaluateSplit(Model& model, ShardedReader& reader, Communicator& comm, Task task,
                           DType gemm_dtype = DType::kF32);

}  // namespace aif
