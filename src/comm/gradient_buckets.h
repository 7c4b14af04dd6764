// GradientBuckets: sums a model's flat gradient buffer over the ranks in
// buckets, each started as soon as backward has finished writing it, so the
// all-reduce of late layers overlaps the backward of early ones and only the
// tail of the communication is left exposed at the end of the step.
// Used from the thread that drives MPI; the Communicator must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "comm/communicator.h"
#include "tensor/tensor.h"

namespace aif {

// Layout. The model lays its parameters out first layer first, and backward
// produces the last layer's gradients first, so buckets are contiguous ranges
// cut from the END of the buffer towards its beginning: bucket 0 holds the
// last `bucket_bytes` of the buffer, bucket num_buckets()-1 its beginning
// (possibly shorter). bucket_bytes <= 0, or one larger than the buffer, gives
// a single bucket.
//
// Ordering. MPI requires every rank to start its collectives in the same
// order, so buckets start strictly in bucket order: bucket k+1 never starts
// before bucket k, even when it is ready first. Every rank must therefore
// mark the same ranges in the same order (backward is deterministic, so it
// does), and mark each element exactly once per step.
//
// A step: BeginStep(); MarkReady(...) as gradients become final, Progress()
// between layers; Finish(). After Finish the buffer holds the sum over the
// ranks (averaging over the global batch is the caller's: it scales the loss).
class GradientBuckets {
 public:
  static constexpr int64_t kDefaultBucketBytes = int64_t{25} << 20;

  // `flat_grads` is f32, the whole model's gradients in one buffer.
  GradientBuckets(Communicator* comm, Tensor flat_grads, int64_t bucket_bytes = kDefaultBucketBytes);
  ~GradientBuckets() = default;  // pending collectives wait in their destructors
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  void BeginStep();
  // Elements [offset, offset + count) of the buffer are final for this step.
  // Starts every bucket that became complete (in bucket order), then polls.
  void MarkReady(int64_t offset, int64_t count);
  // Lets in-flight buckets progress (Open MPI's non-blocking collectives move
  // only when polled); backward calls it between layers.
  void Progress();
  // Starts any bucket not yet started (a caller may never mark some ranges)
  // and waits for all of them. Records the step's timings.
  void Finish();

  struct Range {
    int64_t begin = 0;  // element offsets into the buffer, [begin, end)
    int64_t end = 0;
  };
  int num_buckets() const { return static_cast<int>(buckets_.size()); }
  Range bucket_range(int k) const;
  // Buckets started in the current (or last) step; they start in order, so
  // these are buckets 0 .. num_started()-1.
  int num_started() const { return next_to_start_; }
  // Seconds the last Finish spent waiting: communication that backward did
  // not hide.
  double last_exposed_seconds() const { return last_exposed_seconds_; }
  // Sum over the last step's buckets of the time from start to completion as
  // observed (by a Progress or by Finish); overlapping buckets count each.
  double last_comm_seconds() const { return last_comm_seconds_; }

  // When bucket k (k < num_started()) of the current or last step started,
  // and when its completion was observed: by the Progress poll or the Finish
  // that saw it done, so an upper bound on when the collective ended.
  // Unobserved yet: completed == started. For timelines (aif train --trace).
  using Clock = std::chrono::steady_clock;
  struct Timing {
    Clock::time_point started, completed;
  };
  Timing bucket_timing(int k) const;

 private:
  struct Bucket {
    Range range;
    int64_t ready = 0;  // elements marked in this step
    std::unique_ptr<PendingCollective> pending;
    bool done = false;
    Clock::time_point started, completed;
  };

  void CheckInStep(const char* call) const;
  void StartBucketsInOrder(bool ready_or_not);
  void Completed(Bucket& b, Clock::time_point now);

  Communicator* comm_;
  Tensor grads_;
  std::vector<Bucket> buckets_;
  int64_t bucket_elements_ = 0;
  int next_to_start_ = 0;
  bool in_step_ = false;
  double step_comm_seconds_ = 0;  // published as last_comm_seconds_ by Finish
  double last_exposed_seconds_ = 0;
  double last_comm_seconds_ = 0;
};

}  // namespace aif
