// StepTrace (see the header). Gathering: every rank packs its host name and
// records into one int64 tensor; the sizes are all-gathered, then each rank's
// tensor is broadcast in turn and rank 0 appends it to the file, so no rank
// ever holds more than its own records and one other rank's.
#include "train/step_trace.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "train/train_config.h"

namespace aif {
namespace {

struct KindInfo {
  const char* name;
  const char* category;
  const char* a0;  // argument names; null: none
  const char* a1;
};
constexpr KindInfo kKindInfo[StepTrace::kNumKinds] = {
    {"step", "step", "comm", nullptr},  // a0: the GradientSync of the step, written by name
    {"data wait", "data", "micro_batch", nullptr},
    {"forward", "compute", "micro_batch", nullptr},
    {"backward", "compute", "micro_batch", nullptr},
    {"all-reduce wait", "comm", nullptr, nullptr},
    {"all-reduce", "comm", "bucket", "bytes"},
    {"optimizer", "compute", nullptr, nullptr},
    {"step sums", "comm", nullptr, nullptr},
    {"replica check", "comm", nullptr, nullptr},
    {"validation", "eval", nullptr, nullptr},
    {"test evaluation", "eval", nullptr, nullptr},
    {"checkpoint", "checkpoint", nullptr, nullptr},
};

constexpr int64_t kRecordFields = 6;
constexpr int64_t kHostFields = 8;  // 64 bytes of host name
constexpr int64_t kHeaderFields = 1 + kHostFields;

int64_t Nanos(StepTrace::Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

std::string Micros(int64_t ns) { return Format("%.3f", static_cast<double>(ns) / 1e3); }

// Events are written one per line, separated by commas.
class EventStream {
 public:
  explicit EventStream(std::ostream& out) : out_(out) {}
  void Emit(const std::string& event) {
    out_ << (first_ ? "\n" : ",\n") << event;
    first_ = false;
  }
  void Metadata(const char* name, int pid, int tid, const std::string& args) {
    Emit(Format("{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{%s}}", name, pid, tid, args.c_str()));
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

// The metadata events of one rank: its process name and its lanes.
void WriteRankMetadata(EventStream& out, int rank, const std::string& host, int comm_lanes) {
  out.Metadata("process_name", rank, 0, "\"name\":" + nlohmann::json(Format("rank %d (%s)", rank, host.c_str())).dump());
  out.Metadata("process_sort_index", rank, 0, Format("\"sort_index\":%d", rank));
  for (int lane = 0; lane <= comm_lanes; ++lane) {
    const std::string lane_name = lane == 0 ? "main" : lane == 1 ? "comm" : Format("comm %d", lane);
    out.Metadata("thread_name", rank, lane, "\"name\":\"" + lane_name + "\"");
    out.Metadata("thread_sort_index", rank, lane, Format("\"sort_index\":%d", lane));
  }
}

// Writes one rank's events. Buckets in flight together overlap, and a lane
// must hold properly nested slices, so each all-reduce takes the first comm
// lane free at its start. Returns the events written.
int64_t WriteRank(EventStream& out, int rank, const int64_t* buf) {
  const int64_t n = buf[0];
  char host_bytes[kHostFields * 8 + 1] = {0};
  std::memcpy(host_bytes, buf + 1, kHostFields * 8);
  const int64_t* rec = buf + kHeaderFields;
  std::vector<int64_t> lane_end;  // per comm lane, the end of its last event
  std::vector<int> lane_of(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t* r = rec + i * kRecordFields;
    if (r[0] != StepTrace::kAllReduce) continue;
    size_t lane = 0;
    while (lane < lane_end.size() && lane_end[lane] > r[2]) ++lane;
    if (lane == lane_end.size()) lane_end.push_back(0);
    lane_end[lane] = r[2] + r[3];
    lane_of[static_cast<size_t>(i)] = static_cast<int>(lane) + 1;
  }
  WriteRankMetadata(out, rank, host_bytes, static_cast<int>(lane_end.size()));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t* r = rec + i * kRecordFields;
    if (r[0] < 0 || r[0] >= StepTrace::kNumKinds) ThrowInternal("trace record of unknown kind %lld", static_cast<long long>(r[0]));
    const KindInfo& k = kKindInfo[r[0]];
    std::string args = Format("\"step\":%lld", static_cast<long long>(r[1]));
    if (r[0] == StepTrace::kStep) {
      args += Format(",\"comm\":\"%s\"", GradientSyncName(static_cast<GradientSync>(r[4])));
    } else if (k.a0) {
      args += Format(",\"%s\":%lld", k.a0, static_cast<long long>(r[4]));
    }
    if (k.a1) args += Format(",\"%s\":%lld", k.a1, static_cast<long long>(r[5]));
    out.Emit(Format("{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":%s,\"dur\":%s,"
                    "\"args\":{%s}}",
                    k.name, k.category, rank, lane_of[static_cast<size_t>(i)], Micros(r[2]).c_str(),
                    Micros(r[3]).c_str(), args.c_str()));
  }
  return n;
}

// Clock alignment. Every rank leaves a barrier within microseconds of the
// others, unless it is descheduled just then (common on an oversubscribed
// node), which makes that one reading late. So: kAlignRounds rounds of
// (barrier, read the clock), and the median over rounds of (this rank's
// reading - rank 0's) is the offset of this rank's origin from rank 0's.
constexpr int kAlignRounds = 15;

int64_t OffsetFromRoot(Communicator& comm, StepTrace::Clock::time_point origin) {
  Tensor mine = Tensor::Zeros({kAlignRounds}, DType::kI64);
  for (int k = 0; k < kAlignRounds; ++k) {
    comm.Barrier();
    mine.data<int64_t>()[k] = Nanos(StepTrace::Clock::now() - origin);
  }
  Tensor all = Tensor::Zeros({int64_t{kAlignRounds} * comm.size()}, DType::kI64);
  comm.AllGather(mine, all);
  const int64_t* t = all.data<int64_t>();
  std::vector<int64_t> d(kAlignRounds);
  for (int k = 0; k < kAlignRounds; ++k) d[k] = t[comm.rank() * kAlignRounds + k] - t[k];
  std::nth_element(d.begin(), d.begin() + kAlignRounds / 2, d.end());
  return d[kAlignRounds / 2];
}

}  // namespace

StepTrace::StepTrace(Communicator* comm, const std::string& path, int64_t first_step, int64_t max_steps)
    : comm_(comm), first_step_(first_step), max_steps_(max_steps), step_(first_step) {
  AIF_CHECK(comm_ != nullptr, "StepTrace needs a communicator");
  // A path that cannot be written fails now, not after training.
  if (comm_->rank() == 0) {
    output_.reset(new AtomicOutput(path));
    std::ofstream probe(output_->temp_path(), std::ios::binary | std::ios::trunc);
    if (!probe) ThrowErrno("--trace: cannot create '" + output_->temp_path() + "'");
  }
  records_.reserve(static_cast<size_t>(std::min<int64_t>(max_steps, 1000) * 16));
  comm_->Barrier();
  origin_ = Clock::now();
  origin_ += std::chrono::nanoseconds(OffsetFromRoot(*comm_, origin_));
}

void StepTrace::Push(Kind kind, Clock::time_point begin, Clock::time_point end, int64_t a0, int64_t a1) {
  if (kind >= kNumStepKinds && ++other_events_ > kMaxOtherEvents) return;
  records_.push_back({kind, step_ + 1, Nanos(begin - origin_), Nanos(end - begin), a0, a1});
}

void StepTrace::AddAllReduce(const GradientBuckets& buckets, Clock::time_point wait_begin, Clock::time_point wait_end) {
  if (!in_window_) return;
  Push(kAllReduceWait, wait_begin, wait_end, -1, -1);
  for (int k = 0; k < buckets.num_started(); ++k) {
    const GradientBuckets::Timing t = buckets.bucket_timing(k);
    const GradientBuckets::Range r = buckets.bucket_range(k);
    Push(kAllReduce, t.started, t.completed, k, (r.end - r.begin) * int64_t{sizeof(float)});
  }
}

StepTrace::~StepTrace() = default;
StepTrace::StepTrace(StepTrace&&) noexcept = default;
StepTrace& StepTrace::operator=(StepTrace&&) noexcept = default;

int64_t StepTrace::WriteMerged() {
  if (!enabled()) return 0;
  // Measured again at the end, the offsets show how far the clocks drifted.
  const int64_t end_offset_ns = OffsetFromRoot(*comm_, origin_);
  const int size = comm_->size(), rank = comm_->rank();
  const int64_t n = static_cast<int64_t>(records_.size());
  Tensor mine = Tensor::Zeros({2}, DType::kI64);
  mine.data<int64_t>()[0] = kHeaderFields + n * kRecordFields;
  mine.data<int64_t>()[1] = end_offset_ns;
  Tensor all = Tensor::Zeros({2 * int64_t{size}}, DType::kI64);
  comm_->AllGather(mine, all);
  const int64_t* sizes = all.data<int64_t>();
  int64_t drift_ns = 0;
  for (int r = 0; r < size; ++r) drift_ns = std::max(drift_ns, std::abs(sizes[2 * r + 1]));

  std::ofstream out;
  if (rank == 0) {
    out.open(output_->temp_path(), std::ios::binary | std::ios::trunc);
    if (!out) ThrowErrno("cannot create '" + output_->temp_path() + "' for the trace");
    nlohmann::json other = {{"format", "aif.trace"},
                            {"version", 1},
                            {"world_size", size},
                            {"trace_steps", max_steps_},
                            {"first_step", first_step_ + 1},
                            {"clock", "us since rank 0's origin; each rank's steady_clock offset from barriers"},
                            {"end_clock_offset_us", static_cast<double>(drift_ns) / 1e3}};
    out << "{\"displayTimeUnit\":\"ms\",\"otherData\":" << other.dump() << ",\"traceEvents\":[";
  }
  EventStream events(out);
  int64_t written = 0;
  for (int r = 0; r < size; ++r) {
    Tensor buf = Tensor::Zeros({sizes[2 * r]}, DType::kI64);
    if (r == rank) {
      int64_t* p = buf.data<int64_t>();
      p[0] = n;
      const std::string host = HostName().substr(0, kHostFields * 8 - 1);
      std::memcpy(p + 1, host.data(), host.size());
      static_assert(sizeof(Record) == sizeof(int64_t) * kRecordFields, "Record is packed as kRecordFields int64");
      if (n > 0) std::memcpy(p + kHeaderFields, records_.data(), sizeof(Record) * records_.size());
    }
    if (r != 0) comm_->Broadcast(buf, r);  // rank 0 already holds its own
    if (rank == 0) written += WriteRank(events, r, buf.data<int64_t>());
  }
  if (rank == 0) {
    out << "\n]}\n";
    out.close();
    if (!out) ThrowErrno("cannot write the trace '" + output_->temp_path() + "'");
    output_->Commit();
    LogInfo("trace %s: %lld events from %d rank(s) (open it in ui.perfetto.dev)", output_->final_path().c_str(),
            static_cast<long long>(written), size);
  }
  return written;
}

}  // namespace aif
