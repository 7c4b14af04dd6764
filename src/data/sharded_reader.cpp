#include "data/sharded_reader.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/error.h"
#include "core/strings.h"
#include "data/chunk_arena.h"
#include "data/epoch_order.h"
#include "data/normalize_row.h"
#include "data/reader_plan.h"

namespace aif {

class ShardedReader::Impl {
 public:
  Impl(const std::string& path, const ReaderOptions& o, int rank, int world)
      : opt_(o), rank_(rank), world_(world), file_(DatasetFile::Open(path)), split_(file_->split(o.split)) {
    const DatasetSchema& schema = file_->schema();
    const ReaderPlan plan = PlanReader(schema, split_, o, rank, world);
    F_ = schema.num_features();
    N_ = split_.rows;
    B_ = o.global_batch;
    share_begin_ = plan.share_begin;
    share_rows_ = plan.share_rows;
    spec_ = plan.spec;
    SetUpNormalization(schema);
    PlanMemory(schema, plan);
    StartThread();
  }

  ~Impl() { StopThread(); }

  Batch Next() {
    auto t0 = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mu_);
    ready_cv_.wait(lock, [&] { return !queue_.empty() || error_; });
    wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (queue_.empty() && error_) std::rethrow_exception(error_);
    Batch b = std::move(queue_.front());
    queue_.pop_front();
    consumer_cursor_ = b.next;
    space_cv_.notify_one();
    return b;
  }

  void Recycle(Batch&& b) {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int64_t>(pool_.size()) < kPoolBatches) pool_.push_back(std::move(b));
  }

  void Seek(const ReaderCursor& c) {
    StopThread();
    std::lock_guard<std::mutex> lock(mu_);
    ahead_epoch_ = -1;  // the producer is stopped: its read-ahead starts again from the new cursor
    queue_.clear();
    error_ = nullptr;
    produce_cursor_ = consumer_cursor_ = Normalize(c);
    StartThreadLocked();
  }

  ReaderCursor cursor() const {
    std::lock_guard<std::mutex> lock(mu_);
    return consumer_cursor_;
  }

  int64_t batches_per_epoch() const { return opt_.remainder == Remainder::kDrop ? N_ / B_ : (N_ + B_ - 1) / B_; }
  int64_t local_rows() const { return share_rows_; }
  const DatasetFile& file() const { return *file_; }
  const SplitInfo& split() const { return split_; }
  Normalization normalization() const { return norm_; }
  const std::vector<float>& offset() const { return offset_; }
  const std::vector<float>& scale() const { return scale_; }
  int64_t depth() const { return depth_; }
  int64_t cache_capacity() const { return cache_capacity_; }

  ReaderStats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    ReaderStats s;
    s.chunks_read = chunks_read_.load();
    s.chunk_cache_hits = cache_hits_.load();
    s.bytes_read = bytes_read_.load();
    s.wait_seconds = wait_seconds_;
    return s;
  }

 private:
  // A cached chunk: its rows' features and labels in one arena slot.
  struct Chunk {
    int64_t slot = -1;
    const uint8_t* features = nullptr;
    const uint8_t* labels = nullptr;
  };
  // Recycled batches kept for the producer. One is enough for a caller that
  // recycles each batch before asking for the next, and keeps the memory
  // plan: queued + the one being built (taken from the pool) + the caller's.
  static constexpr int64_t kPoolBatches = 1;

  void SetUpNormalization(const DatasetSchema& schema) {
    if (!opt_.norm_offset.empty() || !opt_.norm_scale.empty()) {
      if (static_cast<int64_t>(opt_.norm_offset.size()) != F_ || static_cast<int64_t>(opt_.norm_scale.size()) != F_) {
        ThrowData("normalisation constants for %zu features, but the data has %lld", opt_.norm_offset.size(),
                  static_cast<long long>(F_));
      }
      norm_ = opt_.normalization == Normalization::kAuto ? Normalization::kNone : opt_.normalization;
      offset_ = opt_.norm_offset;
      scale_ = opt_.norm_scale;
      return;
    }
    norm_ = opt_.normalization;
    const bool u8 = schema.feature_type == FeatureType::kUint8;
    if (norm_ == Normalization::kAuto) norm_ = u8 ? Normalization::kScale : Normalization::kStandardize;
    offset_.assign(F_, 0.0f);
    scale_.assign(F_, 1.0f);
    if (norm_ == Normalization::kNone) return;
    if (norm_ == Normalization::kScale && u8) {
      std::fill(scale_.begin(), scale_.end(), 1.0f / 255.0f);
      return;
    }
    FeatureStats st = file_->ReadStats();
    for (int64_t f = 0; f < F_; ++f) {
      double off, spread;
      if (norm_ == Normalization::kScale) {
        off = st.min[f];
        spread = st.max[f] - st.min[f];
      } else {
        off = st.mean[f];
        spread = st.std[f];
      }
      offset_[f] = static_cast<float>(off);
      scale_[f] = spread > 1e-12 ? static_cast<float>(1.0 / spread) : 1.0f;
    }
  }

  // Splits memory_bytes between prefetched batches and the chunk cache
  // (PlanReader checked that the bound holds the minimum).
  void PlanMemory(const DatasetSchema& schema, const ReaderPlan& plan) {
    batch_bytes_ = plan.batch_bytes;
    chunk_bytes_ = plan.chunk_bytes;
    const int64_t order_bytes = plan.order_bytes;
    const int64_t avail = opt_.memory_bytes - order_bytes;
    depth_ = std::clamp<int64_t>(avail / 2 / std::max<int64_t>(batch_bytes_, 1) - 2, 1,
                                 std::max<int64_t>(1, opt_.prefetch_batches));
    num_chunks_ = (N_ + split_.chunk_rows - 1) / split_.chunk_rows;
    cache_capacity_ = std::clamp<int64_t>((avail - (depth_ + 2) * batch_bytes_) / chunk_bytes_, 1, num_chunks_);
    feature_bytes_ = (static_cast<size_t>(split_.chunk_rows * F_) * FeatureTypeSize(schema.feature_type) + 63) / 64 * 64;
    arena_.reset(new ChunkArena(cache_capacity_, feature_bytes_ + static_cast<size_t>(split_.chunk_rows) * 4));
    lookahead_rows_ = std::min(opt_.window_chunks, cache_capacity_) * split_.chunk_rows;
  }

  ReaderCursor Normalize(ReaderCursor c) const {
    if (c.epoch < 0 || c.position < 0) ThrowUsage("invalid reader cursor (%lld, %lld)", static_cast<long long>(c.epoch),
                                                  static_cast<long long>(c.position));
    const bool drop = opt_.remainder == Remainder::kDrop;
    if ((drop && c.position + B_ > N_) || (!drop && c.position >= N_)) return ReaderCursor{c.epoch + 1, 0};
    return c;
  }

  void StartThread() {
    std::lock_guard<std::mutex> lock(mu_);
    StartThreadLocked();
  }

  void StartThreadLocked() {
    stop_ = false;
    thread_ = std::thread([this] { ProduceLoop(); });
  }

  void StopThread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    space_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void ProduceLoop() {
    for (;;) {
      ReaderCursor at;
      {
        std::unique_lock<std::mutex> lock(mu_);
        space_cv_.wait(lock, [&] { return stop_ || static_cast<int64_t>(queue_.size()) < depth_; });
        if (stop_) return;
        at = produce_cursor_;
      }
      Batch b;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!pool_.empty()) {
          b = std::move(pool_.back());
          pool_.pop_back();
        }
      }
      try {
        Build(at, &b);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        error_ = std::current_exception();
        ready_cv_.notify_all();
        return;
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      produce_cursor_ = b.next;
      queue_.push_back(std::move(b));
      ready_cv_.notify_one();
    }
  }

  const Chunk& GetChunk(int64_t c) {
    auto it = cache_.find(c);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.first);
      cache_hits_++;
      return it->second.second;
    }
    while (static_cast<int64_t>(cache_.size()) >= cache_capacity_) {
      auto victim = cache_.find(lru_.back());
      arena_->Release(victim->second.second.slot);
      cache_.erase(victim);
      lru_.pop_back();
    }
    const int64_t first = c * split_.chunk_rows;
    const int64_t n = std::min(split_.chunk_rows, N_ - first);
    Chunk chunk;
    chunk.slot = arena_->Acquire();
    AIF_CHECK(chunk.slot >= 0, "reader chunk arena exhausted");
    uint8_t* features = arena_->data(chunk.slot);
    uint8_t* labels = features + feature_bytes_;  // after a full chunk's features, 64-byte aligned
    file_->ReadRows(split_.name, first, n, features, labels);
    file_->VerifyChunk(split_, c, features, labels);  // a damaged file is a data error, not silent garbage
    CheckLabels(first, n, labels);
    chunk.features = features;
    chunk.labels = labels;
    chunks_read_++;
    bytes_read_ += static_cast<int64_t>(n * F_) * FeatureTypeSize(file_->schema().feature_type) + n * 4;
    lru_.push_front(c);
    auto& slot = cache_[c];
    slot.first = lru_.begin();
    slot.second = chunk;
    return slot.second;
  }

  // Class labels index the model's outputs; the kernels take them on trust
  // (CUDA checks nothing before it is too late to say where), so a label
  // outside the schema's classes is caught here, where its row is known.
  void CheckLabels(int64_t first, int64_t n, const uint8_t* raw) const {
    const DatasetSchema& schema = file_->schema();
    if (schema.task != Task::kClassification) return;
    const int64_t classes = schema.num_classes();
    const int32_t* labels = reinterpret_cast<const int32_t*>(raw);
    for (int64_t i = 0; i < n; ++i) {
      if (labels[i] >= 0 && labels[i] < classes) continue;
      throw Error(ErrorKind::kData,
                  Format("row %lld of split '%s' in %s has label %d, outside the %lld classes of the dataset's "
                         "schema (0 to %lld): the file is corrupt; prepare it again with 'aif prepare'",
                         static_cast<long long>(first + i), split_.name.c_str(), file_->path().c_str(), labels[i],
                         static_cast<long long>(classes), static_cast<long long>(classes - 1)));
    }
  }

  // Read-ahead: advises the kernel to read the chunks this rank's shares of
  // the batches at positions [at.position, at.position + lookahead_rows_]
  // touch (the current shuffle window and the start of the next), each once
  // per epoch unless cached, so the disk reads them while the producer
  // converts instead of one synchronous read after the other.
  void ReadAhead(const ReaderCursor& at) {
    if (ahead_epoch_ != at.epoch || ahead_next_ < at.position) {
      if (ahead_epoch_ != at.epoch) advised_.assign(static_cast<size_t>(num_chunks_), 0);
      ahead_epoch_ = at.epoch;
      ahead_next_ = at.position;
    }
    const int64_t last = at.position + lookahead_rows_;
    for (; ahead_next_ < N_ && ahead_next_ <= last; ahead_next_ += B_) {
      ahead_ids_.clear();
      order_->Positions(ahead_next_, std::min(ahead_next_ + B_, N_), &ahead_ids_);
      std::sort(ahead_ids_.begin(), ahead_ids_.end());
      const int64_t end = std::min<int64_t>(share_begin_ + share_rows_, static_cast<int64_t>(ahead_ids_.size()));
      int64_t previous = -1;
      for (int64_t i = share_begin_; i < end; ++i) {
        const int64_t c = ahead_ids_[i] / split_.chunk_rows;
        if (c == previous) continue;
        previous = c;
        if (!advised_[c] && cache_.find(c) == cache_.end()) file_->AdviseChunk(split_.name, c);
        advised_[c] = 1;
      }
    }
  }

  // Fills *b (a fresh or a recycled batch: vectors already of the right
  // size are not reallocated or cleared, every element is overwritten).
  void Build(const ReaderCursor& at, Batch* out) {
    if (!order_ || order_->epoch() != at.epoch) order_.reset(new EpochOrder(spec_, at.epoch));
    ReadAhead(at);
    const int64_t end = std::min(at.position + B_, N_);
    ids_.clear();
    order_->Positions(at.position, end, &ids_);
    const int64_t real = static_cast<int64_t>(ids_.size());
    for (int64_t pad = B_ - real; pad > 0;) {  // only with remainder = pad
      int64_t take = std::min(pad, N_);
      order_->Positions(0, take, &ids_);
      pad -= take;
    }
    entries_.clear();
    for (int64_t i = 0; i < B_; ++i) entries_.push_back({ids_[i], i < real ? uint8_t{1} : uint8_t{0}});
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.id != b.id ? a.id < b.id : a.valid > b.valid;
    });

    Batch& b = *out;
    b.epoch = at.epoch;
    b.step_in_epoch = at.position / B_;
    b.rows = share_rows_;
    b.num_features = F_;
    b.global_rows = B_;
    b.global_valid = real;
    b.features.resize(static_cast<size_t>(share_rows_ * F_));
    b.sample_ids.resize(share_rows_);
    b.valid.resize(share_rows_);
    const bool classification = file_->schema().task == Task::kClassification;
    if (classification) b.class_labels.resize(share_rows_);
    else b.targets.resize(share_rows_);
    const bool u8 = file_->schema().feature_type == FeatureType::kUint8;

    const float* offset = offset_.data();
    const float* scale = scale_.data();
    const int64_t row_bytes = F_ * static_cast<int64_t>(FeatureTypeSize(file_->schema().feature_type));
    const Chunk* chunk = nullptr;  // rows come sorted by id: mostly the previous row's chunk
    int64_t chunk_index = -1;
    for (int64_t i = 0; i < share_rows_; ++i) {
      const Entry& e = entries_[share_begin_ + i];
      const int64_t c = e.id / split_.chunk_rows, row = e.id - c * split_.chunk_rows;
      if (c != chunk_index) {
        chunk = &GetChunk(c);
        chunk_index = c;
      }
      if (i + 1 < share_rows_) {  // rows are scattered over the window: fetch the next one while converting
        const int64_t next = entries_[share_begin_ + i + 1].id - c * split_.chunk_rows;
        if (next < split_.chunk_rows) {
          const uint8_t* p = chunk->features + next * row_bytes;
          for (int64_t off = 0; off < row_bytes; off += 64) __builtin_prefetch(p + off);
        }
      }
      float* dst = &b.features[i * F_];
      if (u8) {
        NormalizeRow(chunk->features + row * F_, offset, scale, F_, dst);
      } else {
        NormalizeRow(reinterpret_cast<const float*>(chunk->features) + row * F_, offset, scale, F_, dst);
      }
      if (classification) {
        b.class_labels[i] = reinterpret_cast<const int32_t*>(chunk->labels)[row];
      } else {
        b.targets[i] = reinterpret_cast<const float*>(chunk->labels)[row];
      }
      b.sample_ids[i] = e.id;
      b.valid[i] = e.valid;
    }
    b.next = Normalize(ReaderCursor{at.epoch, at.position + B_});
  }

  struct Entry {
    int64_t id;
    uint8_t valid;
  };

  ReaderOptions opt_;
  int rank_, world_;
  std::unique_ptr<DatasetFile> file_;
  SplitInfo split_;
  int64_t F_ = 0, N_ = 0, B_ = 0;
  int64_t share_begin_ = 0, share_rows_ = 0;
  OrderSpec spec_;
  Normalization norm_ = Normalization::kNone;
  std::vector<float> offset_, scale_;
  int64_t batch_bytes_ = 0, chunk_bytes_ = 0, depth_ = 1, cache_capacity_ = 1, num_chunks_ = 0;
  size_t feature_bytes_ = 0;  // a full chunk's features: the labels' offset in its arena slot
  int64_t lookahead_rows_ = 0;

  // Producer-only state.
  std::unique_ptr<EpochOrder> order_;
  std::vector<int64_t> ids_;
  std::vector<Entry> entries_;
  std::list<int64_t> lru_;
  std::unordered_map<int64_t, std::pair<std::list<int64_t>::iterator, Chunk>> cache_;
  std::unique_ptr<ChunkArena> arena_;
  int64_t ahead_epoch_ = -1, ahead_next_ = 0;  // read-ahead: its epoch and next batch position
  std::vector<int64_t> ahead_ids_;
  std::vector<uint8_t> advised_;  // per chunk: advised this epoch
  std::atomic<int64_t> chunks_read_{0}, cache_hits_{0}, bytes_read_{0};

  // Shared between the producer and the consumer, under mu_.
  mutable std::mutex mu_;
  std::condition_variable ready_cv_, space_cv_;
  std::deque<Batch> queue_;
  std::vector<Batch> pool_;  // recycled batches
  std::exception_ptr error_;
  bool stop_ = false;
  ReaderCursor produce_cursor_, consumer_cursor_;
  double wait_seconds_ = 0;
  std::thread thread_;
};

ShardedReader::ShardedReader(const std::string& path, const ReaderOptions& options, int rank, int world_size)
    : impl_(new Impl(path, options, rank, world_size)) {}
ShardedReader::~ShardedReader() = default;
Batch ShardedReader::Next() { return impl_->Next(); }
void ShardedReader::Recycle(Batch&& batch) { impl_->Recycle(std::move(batch)); }
void ShardedReader::Seek(const ReaderCursor& cursor) { impl_->Seek(cursor); }
ReaderCursor ShardedReader::cursor() const { return impl_->cursor(); }
int64_t ShardedReader::batches_per_epoch() const { return impl_->batches_per_epoch(); }
int64_t ShardedReader::local_batch_rows() const { return impl_->local_rows(); }
const DatasetFile& ShardedReader::dataset() const { return impl_->file(); }
const SplitInfo& ShardedReader::split() const { return impl_->split(); }
Normalization ShardedReader::normalization() const { return impl_->normalization(); }
const std::vector<float>& ShardedReader::normalization_offset() const { return impl_->offset(); }
const std::vector<float>& ShardedReader::normalization_scale() const { return impl_->scale(); }
ReaderStats ShardedReader::stats() const { return impl_->stats(); }
int64_t ShardedReader::prefetch_depth() const { return impl_->depth(); }
int64_t ShardedReader::cache_chunks() const { return impl_->cache_capacity(); }

}  // namespace aif
