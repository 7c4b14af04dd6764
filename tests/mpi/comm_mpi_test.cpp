// The Mpi communicator under mpirun with any number of ranks, checked against
// plain MPI calls on MPI_COMM_WORLD as the reference, on inputs whose sums are
// exact (small integers), so results must match bit for bit: every collective,
// GradientBuckets against one plain all-reduce, and the replica check. A
// watchdog turns a hung collective into a failure naming the phase.
// Usage: comm_mpi_test WORKDIR
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "comm/collective_checks.h"  // ReduceOpName
#include "comm/communicator.h"
#include "comm/gradient_buckets.h"
#include "comm/replica_check.h"

namespace {

using aif::DType;
using aif::ReduceOp;
using aif::Tensor;

int g_rank = 0;
int g_size = 1;
int g_checks = 0;
int g_failures = 0;
char g_phase[200] = "start-up";

// One write per failure, so lines of different ranks do not interleave.
void Fail(const char* file, int line, const char* cond, const char* fmt, ...) __attribute__((format(printf, 4, 5)));
void Fail(const char* file, int line, const char* cond, const char* fmt, ...) {
  char detail[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(detail, sizeof(detail), fmt, args);
  va_end(args);
  std::fprintf(stderr, "[rank %d] FAILED %s:%d (%s): %s: %s\n", g_rank, file, line, g_phase, cond, detail);
  ++g_failures;
}

#define EXPECT_MPI(cond, ...)                                  \
  do {                                                         \
    ++g_checks;                                                \
    if (!(cond)) Fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
  } while (0)

void Watchdog(int) {
  const char head[] = "comm_mpi_test: watchdog: no progress in 120 s, a collective is hung in: ";
  (void)!write(2, head, sizeof(head) - 1);
  (void)!write(2, g_phase, strlen(g_phase));
  (void)!write(2, "\n", 1);
  _exit(124);
}

// Names what runs next (for failures and the watchdog) and re-arms the watchdog.
void Phase(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void Phase(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(g_phase, sizeof(g_phase), fmt, args);
  va_end(args);
  alarm(120);
}

template <typename T> MPI_Datatype MpiType();
template <> MPI_Datatype MpiType<float>() { return MPI_FLOAT; }
template <> MPI_Datatype MpiType<int32_t>() { return MPI_INT32_T; }
template <> MPI_Datatype MpiType<int64_t>() { return MPI_INT64_T; }

MPI_Op MpiOp(ReduceOp op) {
  if (op == ReduceOp::kMax) return MPI_MAX;
  if (op == ReduceOp::kMin) return MPI_MIN;
  return MPI_SUM;
}

// Small integers, different on every rank; i64 values also use the high bits
// so a 32-bit path would show.
template <typename T>
T InputValue(int64_t i, int rank, int salt) {
  int64_t v = (i * 7 + rank * 13 + salt * 5) % 23 - 11;
  if (std::is_same<T, int64_t>::value) v += static_cast<int64_t>(rank + 1) << 40;
  return static_cast<T>(v);
}

template <typename T>
Tensor Input(int64_t n, int rank, int salt = 0) {
  Tensor t = Tensor::Empty({n}, aif::DTypeOf<T>());
  for (int64_t i = 0; i < n; ++i) t.data<T>()[i] = InputValue<T>(i, rank, salt);
  return t;
}

template <typename T>
std::vector<T> Copy(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// What MPI_Allreduce on MPI_COMM_WORLD makes of `t` (the average divides the
// sum by the size, as the backend promises).
template <typename T>
std::vector<T> Reference(const Tensor& t, ReduceOp op) {
  std::vector<T> ref = Copy<T>(t);
  MPI_Allreduce(MPI_IN_PLACE, ref.data(), static_cast<int>(ref.size()), MpiType<T>(), MpiOp(op), MPI_COMM_WORLD);
  if (op == ReduceOp::kAverage) {
    for (T& v : ref) v /= static_cast<T>(g_size);
  }
  return ref;
}

template <typename T>
void ExpectEqual(const Tensor& got, const std::vector<T>& want) {
  int64_t wrong = 0, first = -1;
  for (int64_t i = 0; i < got.numel(); ++i) {
    if (got.data<T>()[i] != want[i] && wrong++ == 0) first = i;
  }
  EXPECT_MPI(wrong == 0, "%lld of %lld elements wrong, first at %lld: got %g, want %g", static_cast<long long>(wrong),
             static_cast<long long>(got.numel()), static_cast<long long>(first),
             first < 0 ? 0.0 : static_cast<double>(got.data<T>()[first]),
             first < 0 ? 0.0 : static_cast<double>(want[first]));
}

template <typename T>
void CheckAllReduce(aif::Communicator& comm, int64_t n, ReduceOp op) {
  Phase("AllReduce %s %s n=%lld", aif::DTypeName(aif::DTypeOf<T>()), aif::ReduceOpName(op), static_cast<long long>(n));
  Tensor t = Input<T>(n, g_rank);
  std::vector<T> want = Reference<T>(t, op);
  comm.AllReduce(t, op);
  ExpectEqual(t, want);
}

void CheckAllReduceAsync(aif::Communicator& comm) {
  Phase("AllReduceAsync: two in flight, one polled, one waited");
  Tensor a = Input<float>(1000003, g_rank, 1);
  Tensor b = Input<int64_t>(7, g_rank, 2);
  std::vector<float> want_a = Reference<float>(a, ReduceOp::kAverage);
  std::vector<int64_t> want_b = Reference<int64_t>(b, ReduceOp::kMax);
  auto pa = comm.AllReduceAsync(a, ReduceOp::kAverage);
  auto pb = comm.AllReduceAsync(b, ReduceOp::kMax);
  while (!pa->Test()) {
  }
  pb->Wait();
  EXPECT_MPI(pa->Test() && pb->Test(), "a completed collective must keep testing true");
  pa->Wait();  // waiting again is harmless and must not scale twice
  ExpectEqual(a, want_a);
  ExpectEqual(b, want_b);
}

template <typename T>
void CheckBroadcast(aif::Communicator& comm, int64_t n, int root) {
  Phase("Broadcast %s n=%lld from rank %d", aif::DTypeName(aif::DTypeOf<T>()), static_cast<long long>(n), root);
  Tensor t = Input<T>(n, g_rank);
  if (g_rank != root) std::fill(t.data<T>(), t.data<T>() + n, static_cast<T>(-777));
  comm.Broadcast(t, root);
  ExpectEqual(t, Copy<T>(Input<T>(n, root)));
}

template <typename T>
void CheckAllGather(aif::Communicator& comm, int64_t n) {
  Phase("AllGather %s n=%lld", aif::DTypeName(aif::DTypeOf<T>()), static_cast<long long>(n));
  Tensor out = Tensor::Zeros({g_size * n}, aif::DTypeOf<T>());
  comm.AllGather(Input<T>(n, g_rank), out);
  std::vector<T> want;
  for (int r = 0; r < g_size; ++r) {
    std::vector<T> part = Copy<T>(Input<T>(n, r));
    want.insert(want.end(), part.begin(), part.end());
  }
  ExpectEqual(out, want);
}

// Rank 0 arrives 300 ms late; a barrier that does not wait lets the others out early.
void CheckBarrier(aif::Communicator& comm) {
  if (g_size == 1) return;
  Phase("Barrier with rank 0 late by 300 ms");
  MPI_Barrier(MPI_COMM_WORLD);
  auto begin = std::chrono::steady_clock::now();
  if (g_rank == 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  comm.Barrier();
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  EXPECT_MPI(waited > 0.2, "left the barrier after %.3f s, before rank 0 arrived", waited);
}

// Errors found before any rank enters a collective: all ranks throw alike.
template <typename Call>
void ExpectInternalError(const char* what, Call call) {
  Phase("argument check: %s", what);
  bool threw = false;
  try {
    call();
  } catch (const aif::Error& e) {
    threw = e.kind() == aif::ErrorKind::kInternal;
  }
  EXPECT_MPI(threw, "%s should be an internal error", what);
}

// Backward of a model whose layers have odd sizes: layers from the last to the
// first, each marked in odd-sized pieces, polling between layers. After every
// mark the buckets in flight must be exactly the leading buckets that are
// complete (bucket 0 starts as soon as its last piece is marked; none starts
// early or out of order). `fraction` < 1 leaves the first layers unmarked, for
// Finish to start.
void RunBackward(aif::GradientBuckets& buckets, int64_t n, double fraction) {
  std::vector<int64_t> layer_sizes;
  const int64_t pattern[] = {13, 4097, 1, 30011, 7, 250, 999};
  for (int64_t total = 0, i = 0; total < n; ++i) {
    layer_sizes.push_back(std::min(pattern[i % 7], n - total));
    total += layer_sizes.back();
  }
  std::vector<char> ready(n, 0);
  int complete = 0;  // leading buckets fully marked; only grows
  int64_t layer_end = n;
  for (auto it = layer_sizes.rbegin(); it != layer_sizes.rend(); ++it) {
    const int64_t layer_begin = layer_end - *it;
    if (layer_begin < n * (1 - fraction)) break;
    const int64_t piece = *it / 3 + 1;
    for (int64_t p = layer_begin; p < layer_end; p += piece) {
      const int64_t count = std::min(piece, layer_end - p);
      buckets.MarkReady(p, count);
      std::fill(ready.begin() + p, ready.begin() + p + count, 1);
      while (complete < buckets.num_buckets()) {
        aif::GradientBuckets::Range r = buckets.bucket_range(complete);
        if (!std::all_of(ready.begin() + r.begin, ready.begin() + r.end, [](char c) { return c != 0; })) break;
        ++complete;
      }
      EXPECT_MPI(buckets.num_started() == complete, "after marking [%lld, %lld): %d buckets started, want %d",
                 static_cast<long long>(p), static_cast<long long>(p + count), buckets.num_started(), complete);
    }
    buckets.Progress();
    layer_end = layer_begin;
  }
}

void CheckGradientBuckets(aif::Communicator& comm, int64_t n, int64_t bucket_bytes, int64_t want_buckets,
                          double fraction) {
  Tensor grads = Tensor::Empty({n});
  aif::GradientBuckets buckets(&comm, grads, bucket_bytes);
  EXPECT_MPI(buckets.num_buckets() == want_buckets, "n=%lld, bucket_bytes=%lld: %d buckets, want %lld",
             static_cast<long long>(n), static_cast<long long>(bucket_bytes), buckets.num_buckets(),
             static_cast<long long>(want_buckets));
  for (int step = 0; step < 2; ++step) {
    Phase("GradientBuckets n=%lld bucket_bytes=%lld (%d buckets) marked %.0f%% step %d", static_cast<long long>(n),
          static_cast<long long>(bucket_bytes), buckets.num_buckets(), fraction * 100, step);
    grads.CopyFrom(Input<float>(n, g_rank, step));
    std::vector<float> want = Reference<float>(grads, ReduceOp::kSum);
    buckets.BeginStep();
    RunBackward(buckets, n, fraction);
    auto begin = std::chrono::steady_clock::now();
    buckets.Finish();
    double finish = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    EXPECT_MPI(buckets.num_started() == buckets.num_buckets(), "Finish left %d of %d buckets unstarted",
               buckets.num_buckets() - buckets.num_started(), buckets.num_buckets());
    ExpectEqual(grads, want);
    EXPECT_MPI(buckets.last_exposed_seconds() >= 0 && buckets.last_exposed_seconds() <= finish,
               "exposed %.6f s, but Finish took %.6f s", buckets.last_exposed_seconds(), finish);
    EXPECT_MPI(buckets.last_comm_seconds() >= 0, "communication time %.6f s", buckets.last_comm_seconds());
  }
}

void CheckReplicas(aif::Communicator& comm) {
  Phase("CheckReplicasAgree on equal parameters");
  Tensor params = Input<float>(1003, 0);
  bool threw = false;
  try {
    aif::CheckReplicasAgree(comm, params, 41);
  } catch (const aif::Error& e) {
    threw = true;
    std::fprintf(stderr, "[rank %d] %s\n", g_rank, e.what());
  }
  EXPECT_MPI(!threw, "equal parameters reported as diverged");
  if (g_size == 1) return;

  Phase("CheckReplicasAgree with rank %d perturbed", g_size - 1);
  if (g_rank == g_size - 1) params.data<float>()[500] += 1;
  const std::string want = "parameters of rank " + std::to_string(g_size - 1) + " differ from rank 0 at step 42";
  int mine = 0;
  try {
    aif::CheckReplicasAgree(comm, params, 42);
  } catch (const aif::Error& e) {
    mine = e.kind() == aif::ErrorKind::kComm && e.collective() && std::string(e.what()).find(want) != std::string::npos;
    EXPECT_MPI(mine, "unexpected error: %s", e.what());
  }
  int throwers = 0;
  MPI_Allreduce(&mine, &throwers, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  EXPECT_MPI(throwers == g_size, "%d of %d ranks stopped on diverged replicas", throwers, g_size);
}

void RunAll(aif::Communicator& comm) {
  EXPECT_MPI(comm.rank() == g_rank && comm.size() == g_size && comm.backend() == "mpi",
             "rank %d of %d, backend %s", comm.rank(), comm.size(), comm.backend().c_str());
  for (int64_t n : {1, 7, 1000003}) {
    for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kAverage, ReduceOp::kMax, ReduceOp::kMin}) {
      CheckAllReduce<float>(comm, n, op);
      if (op != ReduceOp::kAverage) CheckAllReduce<int64_t>(comm, n, op);
    }
  }
  CheckAllReduce<int32_t>(comm, 1001, ReduceOp::kSum);
  Phase("AllReduceScalar and AllReduceInt");
  EXPECT_MPI(comm.AllReduceScalar(g_rank + 0.5, ReduceOp::kSum) == g_size * g_size / 2.0, "AllReduceScalar sum");
  EXPECT_MPI(comm.AllReduceInt((int64_t{1} << 40) * g_rank, ReduceOp::kMax) == (int64_t{1} << 40) * (g_size - 1),
             "AllReduceInt max");
  CheckAllReduceAsync(comm);
  for (int root : {g_size - 1, g_size / 2}) {
    CheckBroadcast<float>(comm, 1000003, root);
    CheckBroadcast<int64_t>(comm, 7, root);
  }
  CheckAllGather<int64_t>(comm, 5);
  CheckAllGather<float>(comm, 1000003);
  CheckAllGather<int32_t>(comm, 1);
  CheckBarrier(comm);
  Tensor bf16 = Tensor::Zeros({3}, DType::kBF16);
  ExpectInternalError("bf16 all-reduce", [&] { comm.AllReduce(bf16, ReduceOp::kSum); });
  ExpectInternalError("i64 average", [&] { comm.AllReduce(Input<int64_t>(3, g_rank), ReduceOp::kAverage); });
  ExpectInternalError("broadcast root out of range", [&] { comm.Broadcast(Input<float>(3, 0), g_size); });

  const int64_t n = 100003;
  CheckGradientBuckets(comm, n, 1000, (n + 249) / 250, 1.0);  // 250-element buckets
  CheckGradientBuckets(comm, n, 4 * 4099 + 3, (n + 4098) / 4099, 1.0);
  CheckGradientBuckets(comm, n, 4 * 4099, (n + 4098) / 4099, 0.5);  // Finish starts the rest
  CheckGradientBuckets(comm, n, 0, 1, 1.0);
  CheckGradientBuckets(comm, n, aif::GradientBuckets::kDefaultBucketBytes, 1, 1.0);
  CheckGradientBuckets(comm, 37, 4, 37, 1.0);  // one element per bucket
  CheckReplicas(comm);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);  // as aif's job start-up does
  signal(SIGALRM, Watchdog);
  alarm(120);
  if (argc != 2) {
    if (g_rank == 0) std::fprintf(stderr, "usage: comm_mpi_test WORKDIR\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  // Outlives MPI_Finalize: its destructor must then leave MPI alone.
  std::unique_ptr<aif::Communicator> outliving;
  try {
    auto comm = aif::MakeMpiCommunicator();
    RunAll(*comm);
    outliving = aif::MakeMpiCommunicator();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[rank %d] exception in %s: %s\n", g_rank, g_phase, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  Phase("summary");
  int totals[2] = {0, 0}, mine[2] = {g_checks, g_failures};
  MPI_Allreduce(mine, totals, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (g_rank == 0) {
    if (totals[1]) std::printf("comm_mpi_test on %d ranks: %d of %d checks FAILED\n", g_size, totals[1], totals[0]);
    else std::printf("comm_mpi_test on %d ranks: %d checks passed\n", g_size, totals[0]);
  }
  MPI_Finalize();
  outliving.reset();
  return totals[1] ? 1 : 0;
}
