// The Nccl backend (see the header for ordering, the watchdog and errors).
// A device collective is a DeviceOp: a completion event, shared by the
// PendingCollective (or nobody, for the blocking calls) and the watchdog,
// which polls it until the event completes. Events are created per
// collective (cheap next to a collective; a pool can come with CUDA graphs).
#include "comm/nccl_communicator.h"

#include <cuda_runtime.h>
#include <nccl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "comm/collective_checks.h"
#include "comm/collective_watchdog.h"
#include "comm/gpu_assignment.h"
#include "comm/nccl_check.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "tensor/compute_stream.h"
#include "tensor/cuda_check.h"

namespace aif {
namespace {

// How long the watchdog gives ncclCommAbort before the process exits anyway,
// and how long teardown waits for queued collectives before aborting them.
constexpr double kAbortGraceSeconds = 10;
constexpr double kTeardownWaitSeconds = 30;

ncclDataType_t NcclTypeOf(const Tensor& t) {
  switch (t.dtype()) {
    case DType::kF32: return ncclFloat32;
    case DType::kI32: return ncclInt32;
    case DType::kI64: return ncclInt64;
    case DType::kF64: return ncclFloat64;
    default: ThrowInternal("no NCCL type for %s tensors", DTypeName(t.dtype()));
  }
}

ncclRedOp_t NcclOpOf(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return ncclSum;
    case ReduceOp::kAverage: return ncclAvg;  // f32 only (CheckReducible)
    case ReduceOp::kMax: return ncclMax;
    case ReduceOp::kMin: return ncclMin;
  }
  ThrowInternal("unknown reduce op %d", static_cast<int>(op));
}

// "AllReduce(sum) of f32[1000] on cuda (3.9 KiB)": what the watchdog names.
std::string Describe(const char* call, const Tensor& t, const char* detail = nullptr) {
  return Format("%s%s%s%s of %s (%s)", call, detail ? "(" : "", detail ? detail : "", detail ? ")" : "",
                t.Describe().c_str(), HumanBytes(static_cast<double>(t.nbytes())).c_str());
}

// A device collective: its completion event, recorded once NCCL accepted it.
struct DeviceOp {
  cudaEvent_t done = nullptr;
  std::atomic<bool> recorded{false};
  ~DeviceOp() {
    // Legal while pending (released once it completes). A failure must not
    // linger as the runtime's last error, to be blamed on a later kernel.
    if (done && cudaEventDestroy(done) != cudaSuccess) cudaGetLastError();
  }
  // For the watchdog: an error other than "not ready" counts as finished
  // (the caller's next check reports it).
  bool Finished() const { return recorded.load(std::memory_order_acquire) && cudaEventQuery(done) != cudaErrorNotReady; }
};

// Forgets a watched operation on scope exit unless Keep() was called.
class WatchScope {
 public:
  WatchScope(CollectiveWatchdog* dog, const std::string& what, CollectiveWatchdog::DoneFn done)
      : dog_(dog), id_(dog->Watch(what, std::move(done))) {}
  ~WatchScope() {
    if (!kept_) dog_->Forget(id_);
  }
  void Keep() { kept_ = true; }

 private:
  CollectiveWatchdog* dog_;
  CollectiveWatchdog::Id id_;
  bool kept_ = false;
};

class NcclCommunicator;

class NcclPending final : public PendingCollective {
 public:
  NcclPending(NcclCommunicator* owner, std::shared_ptr<DeviceOp> op, Tensor t, std::string what)
      : owner_(owner), op_(std::move(op)), tensor_(std::move(t)), what_(std::move(what)) {}
  ~NcclPending() override {
    // Must not throw; a failure must not linger as the runtime's last error.
    if (!ordered_ && cudaStreamWaitEvent(ComputeStream(), op_->done, 0) != cudaSuccess) cudaGetLastError();
  }
  bool Test() override;
  void Wait() override;

 private:
  NcclCommunicator* owner_;
  std::shared_ptr<DeviceOp> op_;
  Tensor tensor_;         // keeps the buffer alive while NCCL uses it
  std::string what_;
  bool ordered_ = false;  // the compute stream is ordered after the collective
};

class CompletedCollective final : public PendingCollective {
 public:
  bool Test() override { return true; }
  void Wait() override {}
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(std::unique_ptr<Communicator> host, const NcclOptions& options)
      : host_(std::move(host)), rank_(host_->rank()), size_(host_->size()), host_name_(HostName()) {
    AIF_CUDA_CHECK(cudaGetDevice(&device_));
    CollectiveWatchdog::Options wo;
    wo.timeout_s = options.timeout_s >= 0
                       ? options.timeout_s
                       : CommTimeoutFromEnv(std::getenv("AIF_COMM_TIMEOUT"), CollectiveWatchdog::kDefaultTimeoutSeconds);
    // Without it the thread's first CUDA call would create a context on device 0.
    wo.on_thread_start = [device = device_] { cudaSetDevice(device); };
    watchdog_ = std::make_unique<CollectiveWatchdog>(
        wo, [this](const std::string& what, double waited) { AbortJob(what, waited); });
    try {
      Watched("the one-GPU-per-rank check (AllGather)", [&] { CheckOneGpuPerRank(*host_, CurrentGpuIdentity()); });
      const ncclUniqueId id = ExchangeUniqueId();
      int least = 0, greatest = 0;
      AIF_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
      // Non-blocking: the legacy default (compute) stream must not serialise with it.
      AIF_CUDA_CHECK(cudaStreamCreateWithPriority(&stream_, cudaStreamNonBlocking, greatest));
      AIF_CUDA_CHECK(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming));
      Init(id);
    } catch (...) {
      Teardown(/*graceful=*/false);
      throw;
    }
  }

  ~NcclCommunicator() override { Teardown(/*graceful=*/true); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }

  void AllReduce(const Tensor& t, ReduceOp op) override {
    CheckReducible(t, op, "AllReduce");
    if (t.device() == DeviceType::kCpu) {
      return Watched(Describe("AllReduce", t, ReduceOpName(op)), [&] { host_->AllReduce(t, op); });
    }
    if (t.numel() == 0) return;
    auto done = Launch(Describe("AllReduce", t, ReduceOpName(op)), "ncclAllReduce", [&] {
      return ncclAllReduce(t.raw(), t.raw(), static_cast<size_t>(t.numel()), NcclTypeOf(t), NcclOpOf(op), Comm(),
                           stream_);
    });
    OrderCompute(*done);
  }

  std::unique_ptr<PendingCollective> AllReduceAsync(const Tensor& t, ReduceOp op) override {
    CheckReducible(t, op, "AllReduceAsync");
    if (t.device() == DeviceType::kCpu) return host_->AllReduceAsync(t, op);  // progresses in Test/Wait
    if (t.numel() == 0) return std::make_unique<CompletedCollective>();
    std::string what = Describe("AllReduceAsync", t, ReduceOpName(op));
    auto done = Launch(what, "ncclAllReduce", [&] {
      return ncclAllReduce(t.raw(), t.raw(), static_cast<size_t>(t.numel()), NcclTypeOf(t), NcclOpOf(op), Comm(),
                           stream_);
    });
    return std::make_unique<NcclPending>(this, std::move(done), t, std::move(what));
  }

  void Broadcast(const Tensor& t, int root) override {
    CheckCollectiveTensor(t, "Broadcast");
    CheckRoot(root, size_, "Broadcast");
    const std::string detail = Format("from rank %d", root);
    if (t.device() == DeviceType::kCpu) {
      return Watched(Describe("Broadcast", t, detail.c_str()), [&] { host_->Broadcast(t, root); });
    }
    if (t.numel() == 0) return;
    auto done = Launch(Describe("Broadcast", t, detail.c_str()), "ncclBroadcast", [&] {
      return ncclBroadcast(t.raw(), t.raw(), static_cast<size_t>(t.numel()), NcclTypeOf(t), root, Comm(), stream_);
    });
    OrderCompute(*done);
  }

  void AllGather(const Tensor& in, const Tensor& out) override {
    CheckAllGatherArgs(in, out, size_, "AllGather");
    if (in.device() != out.device()) {
      ThrowInternal("AllGather: %s and %s are on different devices; the nccl backend gathers host tensors over its "
                    "host communicator and CUDA tensors over NCCL",
                    in.Describe().c_str(), out.Describe().c_str());
    }
    if (in.device() == DeviceType::kCpu) {
      return Watched(Describe("AllGather", in), [&] { host_->AllGather(in, out); });
    }
    if (in.numel() == 0) return;
    auto done = Launch(Describe("AllGather", in), "ncclAllGather", [&] {
      return ncclAllGather(in.raw(), out.raw(), static_cast<size_t>(in.numel()), NcclTypeOf(in), Comm(), stream_);
    });
    OrderCompute(*done);
  }

  void Barrier() override {
    Watched(Format("Barrier of %d ranks", size_), [&] { host_->Barrier(); });
  }

  // For NcclPending: throws when NCCL reported an asynchronous error.
  void CheckAsyncError(const std::string& what) const {
    ncclResult_t state = ncclSuccess;
    ncclResult_t rc = ncclCommGetAsyncError(Comm(), &state);
    if (rc != ncclSuccess) ThrowNccl(rc, Comm(), "ncclCommGetAsyncError", what);
    if (state != ncclSuccess && state != ncclInProgress) ThrowNccl(state, Comm(), "NCCL (asynchronously)", what);
  }

 private:
  ncclComm_t Comm() const { return comm_.load(std::memory_order_acquire); }

  // Rank 0 makes the id; a status word first, so that the other ranks fail
  // with a clear message (and do not hang in NCCL's set-up) when it could not.
  ncclUniqueId ExchangeUniqueId() {
    static_assert(sizeof(ncclUniqueId) % sizeof(int64_t) == 0, "ncclUniqueId is whole 64-bit words");
    constexpr int64_t kWords = sizeof(ncclUniqueId) / sizeof(int64_t);
    ncclUniqueId id;
    std::memset(&id, 0, sizeof(id));
    Tensor t = Tensor::Zeros({1 + kWords}, DType::kI64);
    ncclResult_t rc = ncclSuccess;
    if (rank_ == 0) {
      rc = ncclGetUniqueId(&id);
      t.data<int64_t>()[0] = rc == ncclSuccess ? 1 : 0;
      std::memcpy(t.data<int64_t>() + 1, &id, sizeof(id));
    }
    Watched("the broadcast of NCCL's unique id", [&] { host_->Broadcast(t, 0); });
    if (rc != ncclSuccess) ThrowNccl(rc, nullptr, "ncclGetUniqueId", "rank 0");
    if (t.data<int64_t>()[0] != 1) {
      throw Error(ErrorKind::kComm, "rank 0 could not create NCCL's unique id (ncclGetUniqueId); see rank 0's log");
    }
    std::memcpy(&id, t.data<int64_t>() + 1, sizeof(id));
    return id;
  }

  void Init(const ncclUniqueId& id) {
    const std::string what = Format("ncclCommInitRank of %d ranks", size_);
    WatchScope watch(watchdog_.get(), what, [] { return false; });
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    ncclComm_t comm = nullptr;
    ncclResult_t rc = ncclCommInitRankConfig(&comm, size_, id, rank_, &config);
    comm_.store(comm, std::memory_order_release);
    Settle(rc, "ncclCommInitRankConfig", what);
  }

  // A non-blocking communicator answers ncclInProgress while it works;
  // polls until it is done. The watchdog ends a wait that never ends.
  void Settle(ncclResult_t rc, const char* call, const std::string& what) {
    while (rc == ncclInProgress) {
      while (aborting_.load()) std::this_thread::sleep_for(std::chrono::seconds(1));  // the watchdog ends the process
      std::this_thread::yield();
      ncclResult_t state = ncclSuccess;
      const ncclResult_t q = ncclCommGetAsyncError(Comm(), &state);
      if (q != ncclSuccess) {
        rc = q;
        call = "ncclCommGetAsyncError";
        break;
      }
      rc = state;
    }
    if (rc != ncclSuccess) ThrowNccl(rc, Comm(), call, what);
  }

  // Orders the comm stream after the compute stream's work so far, enqueues
  // the collective, records its completion event; the watchdog polls the event.
  std::shared_ptr<DeviceOp> Launch(const std::string& what, const char* call,
                                   const std::function<ncclResult_t()>& enqueue) {
    auto op = std::make_shared<DeviceOp>();
    AIF_CUDA_CHECK(cudaEventCreateWithFlags(&op->done, cudaEventDisableTiming));
    AIF_CUDA_CHECK(cudaEventRecord(ready_, ComputeStream()));
    AIF_CUDA_CHECK(cudaStreamWaitEvent(stream_, ready_, 0));
    WatchScope watch(watchdog_.get(), what, [op] { return op->Finished(); });
    Settle(enqueue(), call, what);
    AIF_CUDA_CHECK(cudaEventRecord(op->done, stream_));
    op->recorded.store(true, std::memory_order_release);
    watch.Keep();  // watched until the event completes
    return op;
  }

  // Compute-stream work queued from now on sees the collective's result.
  void OrderCompute(const DeviceOp& op) { AIF_CUDA_CHECK(cudaStreamWaitEvent(ComputeStream(), op.done, 0)); }

  template <typename F>
  void Watched(const std::string& what, F&& f) {
    WatchScope watch(watchdog_.get(), what, [] { return false; });
    f();
  }

  // On the watchdog's thread. The line first: ncclCommAbort may itself hang
  // on a wedged device or network, so it gets kAbortGraceSeconds.
  [[noreturn]] void AbortJob(const std::string& what, double waited_s) {
    aborting_.store(true);
    LogErrorLine(Format("aif: [rank %d on %s] communication error: %s has not completed after %.0f s (timeout %.0f s, "
                        "AIF_COMM_TIMEOUT); a rank died or hangs, or the interconnect failed. Aborting the NCCL "
                        "communicator and the job (exit 6); resume from the last checkpoint.",
                        rank_, host_name_.c_str(), what.c_str(), waited_s, watchdog_->timeout_s()));
    if (ncclComm_t comm = Comm()) {
      auto aborted = std::make_shared<std::promise<void>>();
      std::future<void> finished = aborted->get_future();
      std::thread([comm, aborted] {
        ncclCommAbort(comm);
        aborted->set_value();
      }).detach();
      finished.wait_for(std::chrono::duration<double>(kAbortGraceSeconds));
    }
    _exit(ExitCodeFor(ErrorKind::kComm));
  }

  // Never throws. Graceful: waits (bounded) for queued collectives, then
  // finalises; anything left hanging, or an error, aborts the communicator.
  void Teardown(bool graceful) {
    ncclComm_t comm = Comm();
    if (comm) {
      bool clean = graceful;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(kTeardownWaitSeconds);
      auto wait = [&](const std::function<bool()>& done) {
        while (clean && !done()) {
          if (std::chrono::steady_clock::now() > deadline) clean = false;
          std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
      };
      if (clean && stream_) wait([&] { return cudaStreamQuery(stream_) != cudaErrorNotReady; });
      if (clean) {
        const ncclResult_t rc = ncclCommFinalize(comm);
        clean = rc == ncclSuccess || rc == ncclInProgress;
      }
      ncclResult_t state = ncclSuccess;
      wait([&] {
        if (ncclCommGetAsyncError(comm, &state) != ncclSuccess) state = ncclInternalError;
        return state != ncclInProgress;
      });
      if (clean && state == ncclSuccess) {
        ncclCommDestroy(comm);
      } else {
        if (graceful) LogWarn("NCCL communicator of rank %d did not finish its collectives; aborting it", rank_);
        ncclCommAbort(comm);
      }
      comm_.store(nullptr);
    }
    if (ready_) cudaEventDestroy(ready_);
    if (stream_) cudaStreamDestroy(stream_);
    ready_ = nullptr;
    stream_ = nullptr;
    watchdog_.reset();  // joins its thread; nothing is left to watch
  }

  std::unique_ptr<Communicator> host_;
  int rank_, size_;
  std::string host_name_;
  int device_ = 0;
  std::atomic<ncclComm_t> comm_{nullptr};
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ready_ = nullptr;  // re-recorded on the compute stream by each collective
  std::atomic<bool> aborting_{false};
  std::unique_ptr<CollectiveWatchdog> watchdog_;
};

bool NcclPending::Test() {
  if (ordered_) return true;
  const cudaError_t err = cudaEventQuery(op_->done);
  if (err == cudaErrorNotReady) {
    owner_->CheckAsyncError(what_);
    return false;
  }
  CudaCheck(err, "cudaEventQuery (completion of a collective)", __FILE__, __LINE__);
  owner_->CheckAsyncError(what_);
  ordered_ = true;  // complete on the device: every later-queued op sees it
  return true;
}

void NcclPending::Wait() {
  if (ordered_) return;
  owner_->CheckAsyncError(what_);
  AIF_CUDA_CHECK(cudaStreamWaitEvent(ComputeStream(), op_->done, 0));
  ordered_ = true;
}

}  // namespace

std::unique_ptr<Communicator> MakeNcclCommunicator(std::unique_ptr<Communicator> host, const NcclOptions& options) {
  AIF_CHECK(host != nullptr, "MakeNcclCommunicator needs a host communicator");
  return std::make_unique<NcclCommunicator>(std::move(host), options);
}

}  // namespace aif
