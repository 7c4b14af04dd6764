// StepTrace: the timeline behind `aif train --trace FILE`. Each rank records
// the phases of its steps (data wait, forward, backward, every gradient
// bucket's all-reduce, the exposed wait for them, the optimizer) and the
// rarer events (validation, checkpoints, replica checks) into memory; at the
// end the records travel to rank 0, which writes one Chrome-trace / Perfetto
// JSON file (open it in ui.perfetto.dev or chrome://tracing).
//
// Bounded: step events are kept for the first `max_steps` steps of the run
// (from the step it starts or resumes at), other events up to kMaxOtherEvents;
// a record is 48 bytes. Disabled (default-constructed), every call is one
// branch. Clocks: at the start every rank measures its steady_clock's offset
// from rank 0's over a few barriers (the median, so a rank descheduled after
// one barrier does not skew it), so timestamps of all ranks (and hosts) agree
// to within a barrier's exit skew; measured again at the end, it shows drift.
// Not thread-safe: the training thread records.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "comm/gradient_buckets.h"

namespace aif {

class AtomicOutput;

class StepTrace {
 public:
  using Clock = std::chrono::steady_clock;
  // Event kinds; their names in the file are in step_trace.cpp (kKindInfo).
  // Step phases are recorded only within the step window; kAllReduce goes on
  // the "comm" lanes, everything else on "main". Every event's "step" argument
  // is the 1-based step it belongs to, or for the others the steps done.
  enum Kind : int32_t {
    kStep,           // the whole optimizer step (a0: its GradientSync, train_config.h)
    kDataWait,       // reading and staging the next batch (a0: micro-batch)
    kForward,        // forward and loss (a0: micro-batch)
    kBackward,       // backward, buckets starting (a0: micro-batch)
    kAllReduceWait,  // waiting for the buckets after backward: exposed communication
    kAllReduce,      // one bucket, from its start to its observed completion (a0: bucket, a1: bytes)
    kOptimizer,      // norm, clipping, schedule and the optimizer update
    kStepSums,       // the small per-step all-reduce (loss, stop and save flags)
    kNumStepKinds,
    kReplicaCheck = kNumStepKinds,
    kValidation,
    kTestEvaluation,
    kCheckpoint,
    kNumKinds
  };
  static constexpr int64_t kMaxOtherEvents = 100000;

  StepTrace() = default;  // disabled
  // Enabled. Collective: barriers that align this rank's origin with rank 0's.
  // Rank 0 creates the temporary file for `path` now (throws kIo).
  StepTrace(Communicator* comm, const std::string& path, int64_t first_step, int64_t max_steps);
  ~StepTrace();
  StepTrace(StepTrace&&) noexcept;
  StepTrace& operator=(StepTrace&&) noexcept;

  bool enabled() const { return comm_ != nullptr; }
  // The step the next step events belong to.
  void SetStep(int64_t step) {
    step_ = step;
    in_window_ = enabled() && step - first_step_ < max_steps_;
  }
  bool recording_steps() const { return in_window_; }
  void Add(Kind kind, Clock::time_point begin, Clock::time_point end, int64_t a0 = -1, int64_t a1 = -1) {
    if (kind < kNumStepKinds ? in_window_ : enabled()) Push(kind, begin, end, a0, a1);
  }

  // The current step's wait for the buckets, [wait_begin, wait_end), and
  // after buckets.Finish() its bucket all-reduces, each from its start to its
  // observed completion.
  void AddAllReduce(const GradientBuckets& buckets, Clock::time_point wait_begin, Clock::time_point wait_end);

  // Records [construction, destruction) of one event.
  class Span {
   public:
    Span(StepTrace* trace, Kind kind, int64_t a0 = -1) : trace_(trace), kind_(kind), a0_(a0) {
      if (trace_->enabled()) begin_ = Clock::now();
    }
    ~Span() {
      if (trace_->enabled()) trace_->Add(kind_, begin_, Clock::now(), a0_);
    }
    Span(const Span&) = delete;
    Span& operator=(const Span&) = delete;

   private:
    StepTrace* trace_;
    Kind kind_;
    int64_t a0_;
    Clock::time_point begin_;
  };

  // Collective (every rank, also when disabled: then it does nothing).
  // Rank 0 writes the merged timeline and renames it into place (throws
  // kIo), logs a line naming it and returns the number of events (others: 0).
  int64_t WriteMerged();

 private:
  struct Record {
    int64_t kind, step, begin_ns, dur_ns, a0, a1;
  };
  void Push(Kind kind, Clock::time_point begin, Clock::time_point end, int64_t a0, int64_t a1);

  Communicator* comm_ = nullptr;
  std::unique_ptr<AtomicOutput> output_;  // rank 0
  Clock::time_point origin_;
  int64_t first_step_ = 0, max_steps_ = 0, step_ = 0, other_events_ = 0;
  bool in_window_ = false;
  std::vector<Record> records_;
};

}  // namespace aif
