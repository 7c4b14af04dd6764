// The sharded reader's options: parsing, the held-out variant, cursors, the
// plan of one rank's reading, and the check of options without a reader.
#include <algorithm>

#include "core/error.h"
#include "core/strings.h"
#include "data/reader_plan.h"
#include "data/sharded_reader.h"

namespace aif {

Remainder ParseRemainder(const std::string& name) {
  if (name == "drop") return Remainder::kDrop;
  if (name == "pad") return Remainder::kPad;
  ThrowUsage("remainder policy must be drop or pad, got '%s'", name.c_str());
}

Normalization ParseNormalization(const std::string& name) {
  if (name == "auto") return Normalization::kAuto;
  if (name == "none") return Normalization::kNone;
  if (name == "scale") return Normalization::kScale;
  if (name == "standardize") return Normalization::kStandardize;
  ThrowUsage("normalization must be auto, none, scale or standardize, got '%s'", name.c_str());
}

const char* NormalizationName(Normalization n) {
  switch (n) {
    case Normalization::kAuto: return "auto";
    case Normalization::kNone: return "none";
    case Normalization::kScale: return "scale";
    case Normalization::kStandardize: return "standardize";
  }
  return "?";
}

ReaderOptions HeldOutReaderOptions(ReaderOptions o, const std::string& split, int64_t global_batch) {
  o.split = split;
  o.global_batch = global_batch;
  o.shuffle = false;
  o.remainder = Remainder::kPad;
  return o;
}

ReaderCursor ReaderCursor::FromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("epoch") || !j.contains("position") || !j["epoch"].is_number_integer() ||
      !j["position"].is_number_integer() || j["epoch"].get<int64_t>() < 0 || j["position"].get<int64_t>() < 0) {
    ThrowData("invalid reader cursor %s (expected {\"epoch\": E, \"position\": P})", j.dump().c_str());
  }
  return ReaderCursor{j["epoch"].get<int64_t>(), j["position"].get<int64_t>()};
}

ReaderPlan PlanReader(const DatasetSchema& schema, const SplitInfo& split, const ReaderOptions& o, int rank,
                      int world) {
  const int64_t F = schema.num_features(), N = split.rows, B = o.global_batch;
  if (world < 1 || rank < 0 || rank >= world) ThrowInternal("bad rank %d of %d", rank, world);
  if (B < world) {
    ThrowUsage("the global batch size %lld is smaller than the number of ranks %d; every rank needs at least "
               "one sample",
               static_cast<long long>(B), world);
  }
  if (o.remainder == Remainder::kDrop && B > N) {
    ThrowUsage("the global batch size %lld exceeds the %lld samples of split '%s'; use a batch of at most %lld",
               static_cast<long long>(B), static_cast<long long>(N), o.split.c_str(), static_cast<long long>(N));
  }
  if (o.window_chunks < 1) ThrowUsage("the shuffle window must be at least 1 chunk");
  ReaderPlan p;
  // This rank's share of every global batch.
  p.share_begin = rank * (B / world) + std::min<int64_t>(rank, B % world);
  p.share_rows = B / world + (rank < B % world ? 1 : 0);
  p.spec = OrderSpec{N, split.chunk_rows, o.seed, o.shuffle,
                     std::min<int64_t>(o.window_chunks, (int64_t{1} << 31) / split.chunk_rows)};
  const int64_t row_out = F * 4 + 8 + 4 + 1;  // features, id, label, valid
  p.batch_bytes = p.share_rows * row_out;
  p.chunk_bytes = split.chunk_rows * (F * static_cast<int64_t>(FeatureTypeSize(schema.feature_type)) + 4);
  p.order_bytes = EpochOrder::MemoryBytes(p.spec);
  // Held at once: queued batches, the one being built, the caller's one.
  const int64_t minimum = p.order_bytes + p.chunk_bytes + 3 * p.batch_bytes;
  if (minimum > o.memory_bytes) {
    ThrowUsage("the reader memory bound %s is too small for a local batch of %s and a chunk of %s; raise it to at "
               "least %s (option --reader-memory)",
               HumanBytes(static_cast<double>(o.memory_bytes)).c_str(),
               HumanBytes(static_cast<double>(p.batch_bytes)).c_str(),
               HumanBytes(static_cast<double>(p.chunk_bytes)).c_str(), HumanBytes(static_cast<double>(minimum)).c_str());
  }
  return p;
}

void ShardedReader::CheckOptions(const DatasetFile& file, const ReaderOptions& options, int rank, int world_size) {
  PlanReader(file.schema(), file.split(options.split), options, rank, world_size);
}

}  // namespace aif
