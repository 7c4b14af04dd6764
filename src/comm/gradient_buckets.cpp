// GradientBuckets (see the header for layout and ordering). Bookkeeping is
// per bucket: a count of marked elements, so marking costs O(buckets touched),
// not O(elements); buckets start through next_to_start_, hence in order.
#include "comm/gradient_buckets.h"

#include <algorithm>

#include "core/strings.h"

namespace aif {
namespace {

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

GradientBuckets::GradientBuckets(Communicator* comm, Tensor flat_grads, int64_t bucket_bytes)
    : comm_(comm), grads_(std::move(flat_grads)) {
  AIF_CHECK(comm_ != nullptr, "GradientBuckets needs a communicator");
  AIF_CHECK(grads_.defined() && grads_.dtype() == DType::kF32,
            "GradientBuckets takes an f32 gradient buffer, got " + (grads_.defined() ? grads_.Describe() : "none"));
  const int64_t n = grads_.numel();
  const int64_t elem = static_cast<int64_t>(DTypeSize(grads_.dtype()));
  bucket_elements_ = bucket_bytes <= 0 ? n : std::max<int64_t>(1, std::min(n, bucket_bytes / elem));
  for (int64_t end = n; end > 0; end -= bucket_elements_) {
    Bucket b;
    b.range = {std::max<int64_t>(0, end - bucket_elements_), end};
    buckets_.push_back(std::move(b));
  }
}

GradientBuckets::Range GradientBuckets::bucket_range(int k) const {
  AIF_CHECK(k >= 0 && k < num_buckets(), Format("bucket %d of %d", k, num_buckets()));
  return buckets_[k].range;
}

GradientBuckets::Timing GradientBuckets::bucket_timing(int k) const {
  AIF_CHECK(k >= 0 && k < next_to_start_, Format("bucket %d of %d started", k, next_to_start_));
  const Bucket& b = buckets_[k];
  return {b.started, b.done ? b.completed : b.started};
}

void GradientBuckets::CheckInStep(const char* call) const {
  if (!in_step_) ThrowInternal("GradientBuckets::%s outside a step; call BeginStep first", call);
}

void GradientBuckets::BeginStep() {
  for (int k = 0; k < next_to_start_; ++k) {
    if (!buckets_[k].done) {
      ThrowInternal("GradientBuckets::BeginStep while bucket %d is still in flight; call Finish", k);
    }
  }
  for (Bucket& b : buckets_) {
    b.ready = 0;
    b.pending.reset();
    b.done = false;
  }
  next_to_start_ = 0;
  step_comm_seconds_ = 0;
  in_step_ = true;
}

void GradientBuckets::MarkReady(int64_t offset, int64_t count) {
  CheckInStep("MarkReady");
  const int64_t n = grads_.numel();
  if (offset < 0 || count < 0 || offset > n - count) {
    ThrowInternal("GradientBuckets::MarkReady [%lld, +%lld) outside the %lld gradients",
                  static_cast<long long>(offset), static_cast<long long>(count), static_cast<long long>(n));
  }
  if (count == 0) return;
  // Buckets are numbered from the end: element e lies in bucket (n-1-e)/size.
  const int64_t last = offset + count - 1;
  for (int64_t k = (n - 1 - last) / bucket_elements_; k <= (n - 1 - offset) / bucket_elements_; ++k) {
    Bucket& b = buckets_[k];
    b.ready += std::min(b.range.end, offset + count) - std::max(b.range.begin, offset);
    if (b.ready > b.range.end - b.range.begin) {
      ThrowInternal("GradientBuckets::MarkReady: bucket %lld [%lld, %lld) marked more than once in a step",
                    static_cast<long long>(k), static_cast<long long>(b.range.begin),
                    static_cast<long long>(b.range.end));
    }
  }
  StartBucketsInOrder(/*ready_or_not=*/false);
  Progress();
}

void GradientBuckets::StartBucketsInOrder(bool ready_or_not) {
  while (next_to_start_ < num_buckets()) {
    Bucket& b = buckets_[next_to_start_];
    if (!ready_or_not && b.ready < b.range.end - b.range.begin) return;
    b.started = Clock::now();
    b.pending = comm_->AllReduceAsync(grads_.View(b.range.begin, {b.range.end - b.range.begin}), ReduceOp::kSum);
    ++next_to_start_;
  }
}

void GradientBuckets::Completed(Bucket& b, Clock::time_point now) {
  b.done = true;
  b.completed = now;
  step_comm_seconds_ += Seconds(now - b.started);
}

void GradientBuckets::Progress() {
  for (int k = 0; k < next_to_start_; ++k) {
    Bucket& b = buckets_[k];
    if (!b.done && b.pending->Test()) Completed(b, Clock::now());
  }
}

void GradientBuckets::Finish() {
  CheckInStep("Finish");
  const Clock::time_point begin = Clock::now();
  StartBucketsInOrder(/*ready_or_not=*/true);
  for (Bucket& b : buckets_) {
    if (b.done) continue;
    b.pending->Wait();
    Completed(b, Clock::now());
  }
  in_step_ = false;
  last_exposed_seconds_ = Seconds(Clock::now() - begin);
  last_comm_seconds_ = step_comm_seconds_;
}

}  // namespace aif
