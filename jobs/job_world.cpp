// MPI start-up and the collective error agreement of job.h.
#include <mpi.h>

#include <cstdlib>

#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "jobs/job.h"

namespace aif {
namespace {

bool LaunchedByMpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(var)) return true;
  }
  return false;
}

}  // namespace

void StartJobWorld(JobContext* ctx) {
  if (!LaunchedByMpi()) return;
  int provided = 0;
  // The reader's prefetch thread never calls MPI, so FUNNELED is enough.
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    throw Error(ErrorKind::kComm, "MPI_Init failed; check the launcher (mpirun, srun --mpi=pmix)");
  }
  // Errors in MPI calls come back as codes, so aif can report them.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  ctx->mpi = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &ctx->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ctx->world_size);
  SetLogRank(ctx->rank, ctx->world_size);
}

void FinishJobWorld(const JobContext& ctx) {
  if (ctx.mpi) MPI_Finalize();
}

void AbortJobWorld(const JobContext& ctx, int exit_code) {
  if (ctx.mpi && ctx.world_size > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);
}

void RunCollectively(const JobContext& ctx, const std::function<void()>& fn) {
  int kind = 0;
  std::string message;
  try {
    fn();
  } catch (const Error& e) {
    kind = static_cast<int>(e.kind());
    message = e.what();
  } catch (const std::bad_alloc&) {
    kind = static_cast<int>(ErrorKind::kInternal);
    message = "out of memory";
  } catch (const std::exception& e) {
    kind = static_cast<int>(ErrorKind::kInternal);
    message = e.what();
  }
  if (!ctx.mpi || ctx.world_size == 1) {
    if (kind) throw Error(static_cast<ErrorKind>(kind), message, /*collective=*/true);
    return;
  }
  // The lowest failing rank (MINLOC over (ok, rank)) tells everyone.
  struct {
    int ok;
    int rank;
  } in{kind == 0 ? 1 : 0, ctx.rank}, out{1, 0};
  if (MPI_Allreduce(&in, &out, 1, MPI_2INT, MPI_MINLOC, MPI_COMM_WORLD) != MPI_SUCCESS) {
    throw Error(ErrorKind::kComm, "MPI_Allreduce failed while agreeing on a job's status");
  }
  if (out.ok) return;
  int header[2] = {kind, static_cast<int>(message.size())};
  MPI_Bcast(header, 2, MPI_INT, out.rank, MPI_COMM_WORLD);
  message.resize(static_cast<size_t>(header[1]));
  MPI_Bcast(message.data(), header[1], MPI_CHAR, out.rank, MPI_COMM_WORLD);
  throw Error(static_cast<ErrorKind>(header[0]), message, /*collective=*/true);
}

void RunOnRoot(const JobContext& ctx, const std::function<void()>& fn) {
  RunCollectively(ctx, [&] {
    if (ctx.is_root()) fn();
  });
}

bool ParseJobOptions(const JobContext& ctx, JobOptions* options, int argc, char** argv) {
  bool proceed = true;
  RunCollectively(ctx, [&] {
    // Only rank 0 prints --help.
    if (!ctx.is_root()) {
      for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
          proceed = false;
          return;
        }
      }
    }
    proceed = options->Parse(argc, argv);
  });
  return proceed;
}

}  // namespace aif
