// The sharded reader under mpirun with any number of ranks: every sample read
// exactly once per epoch across the ranks, the same global batches as one
// rank, different orders in different epochs, and cursors that round-trip.
// A watchdog turns a hang into a failure. Usage: reader_mpi_test WORKDIR
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/fs.h"
#include "data/sharded_reader.h"
#include "support/test_util.h"

namespace {

int g_rank = 0;
int g_failures = 0;

#define EXPECT_MPI(cond, ...)                                                  \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "[rank %d] FAILED %s:%d: %s: ", g_rank, __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                       \
      std::fprintf(stderr, "\n");                                              \
      ++g_failures;                                                            \
    }                                                                          \
  } while (0)

void Watchdog(int) {
  const char msg[] = "reader_mpi_test: watchdog: no progress in 120 s, a collective is hung\n";
  (void)!write(2, msg, sizeof(msg) - 1);
  _exit(124);
}

using GlobalBatch = std::vector<std::pair<int64_t, int>>;

// Gathers every rank's (id, valid) rows of one step on rank 0, sorted.
GlobalBatch GatherBatch(const aif::Batch& b, int world) {
  std::vector<int64_t> mine;
  for (int64_t i = 0; i < b.rows; ++i) mine.push_back(b.sample_ids[i] * 2 + b.valid[i]);
  int n = static_cast<int>(mine.size());
  std::vector<int> counts(world), displs(world);
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < world; ++r) {
    displs[r] = total;
    total += counts[r];
  }
  std::vector<int64_t> all(g_rank == 0 ? total : 0);
  MPI_Gatherv(mine.data(), n, MPI_INT64_T, all.data(), counts.data(), displs.data(), MPI_INT64_T, 0, MPI_COMM_WORLD);
  GlobalBatch out;
  for (int64_t v : all) out.emplace_back(v / 2, static_cast<int>(v % 2));
  std::sort(out.begin(), out.end());
  return out;
}

void CheckOrderAndCoverage(const std::string& path, int64_t batch, int world) {
  aif::ReaderOptions o;
  o.global_batch = batch;
  o.seed = 11;
  o.window_chunks = 3;
  o.remainder = aif::Remainder::kPad;
  o.normalization = aif::Normalization::kNone;
  aif::ShardedReader reader(path, o, g_rank, world);
  const int64_t steps = reader.batches_per_epoch();
  std::unique_ptr<aif::ShardedReader> single;
  if (g_rank == 0) single.reset(new aif::ShardedReader(path, o, 0, 1));
  std::vector<GlobalBatch> epochs[2];
  for (int e = 0; e < 2; ++e) {
    std::map<int64_t, int> seen;
    for (int64_t s = 0; s < steps; ++s) {
      aif::Batch b = reader.Next();
      EXPECT_MPI(b.epoch == e, "batch of epoch %lld, expected %d", static_cast<long long>(b.epoch), e);
      for (int64_t i = 0; i < b.rows; ++i) {
        EXPECT_MPI(b.features[i * 3] == static_cast<float>(b.sample_ids[i]), "row content does not match its id");
      }
      GlobalBatch g = GatherBatch(b, world);
      if (g_rank != 0) continue;
      aif::Batch ref = single->Next();
      GlobalBatch want;
      for (int64_t i = 0; i < ref.rows; ++i) want.emplace_back(ref.sample_ids[i], ref.valid[i]);
      std::sort(want.begin(), want.end());
      EXPECT_MPI(g == want, "epoch %d step %lld: global batch differs from the 1-rank reader", e,
                 static_cast<long long>(s));
      for (auto [id, valid] : g) {
        if (valid) seen[id]++;
      }
      epochs[e].push_back(g);
    }
    if (g_rank == 0) {
      int64_t rows = reader.split().rows;
      EXPECT_MPI(static_cast<int64_t>(seen.size()) == rows, "epoch %d: %zu distinct samples of %lld", e, seen.size(),
                 static_cast<long long>(rows));
      for (auto [id, n] : seen) EXPECT_MPI(n == 1, "epoch %d: sample %lld read %d times", e, static_cast<long long>(id), n);
    }
  }
  if (g_rank == 0) EXPECT_MPI(epochs[0] != epochs[1], "epochs 0 and 1 have the same order");
}

void CheckCursorRoundTrip(const std::string& path, int world) {
  aif::ReaderOptions o;
  o.global_batch = 48;
  o.seed = 3;
  o.window_chunks = 2;
  aif::ShardedReader reader(path, o, g_rank, world);
  for (int s = 0; s < 25; ++s) reader.Next();
  aif::ReaderCursor c = reader.cursor();
  int64_t mine[2] = {c.epoch, c.position}, lo[2], hi[2];
  MPI_Allreduce(mine, lo, 2, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(mine, hi, 2, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_MPI(lo[0] == hi[0] && lo[1] == hi[1], "ranks disagree on the cursor");
  std::vector<std::vector<int64_t>> want;
  for (int s = 0; s < 6; ++s) want.push_back(reader.Next().sample_ids);
  aif::ReaderCursor parsed = aif::ReaderCursor::FromJson(nlohmann::json::parse(c.ToJson().dump()));
  aif::ShardedReader resumed(path, o, g_rank, world);
  resumed.Seek(parsed);
  for (int s = 0; s < 6; ++s) EXPECT_MPI(resumed.Next().sample_ids == want[s], "step %d after seek differs", s);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int world = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  signal(SIGALRM, Watchdog);
  alarm(120);
  if (argc != 2) {
    if (g_rank == 0) std::fprintf(stderr, "usage: reader_mpi_test WORKDIR\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const std::string path = std::string(argv[1]) + "/reader_mpi_" + std::to_string(world) + ".h5";
  if (g_rank == 0) {
    aif::MakeDirectories(argv[1]);
    aif::testing::SyntheticSpec spec;
    spec.train_rows = 2011;  // prime: no batch size divides it
    spec.chunk_rows = 41;
    aif::testing::WriteSyntheticDataset(path, spec);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  try {
    CheckOrderAndCoverage(path, 64, world);
    CheckOrderAndCoverage(path, 50 + world, world);  // uneven shares
    CheckCursorRoundTrip(path, world);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[rank %d] exception: %s\n", g_rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int failures = 0;
  MPI_Allreduce(&g_failures, &failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (g_rank == 0) {
    std::remove(path.c_str());
    std::printf("reader_mpi_test on %d ranks: %s\n", world, failures ? "FAILED" : "all checks passed");
  }
  MPI_Finalize();
  return failures ? 1 : 0;
}
