// The `aif` command: git-style subcommands, one per job (jobs/<job>.cpp).
// main() owns the process-level contract: MPI start-up and shutdown, and
// turning every failure into one line on stderr and the exit code of its kind
// (README.md, "Exit codes").
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "jobs/job.h"
#include "kernels/library_versions.h"

namespace {

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "Usage: aif <command> [options]\n\n"
               "aif is an AI factory for GPU clusters: batch jobs that turn raw data into trained,\n"
               "evaluated, governed models. Run a command under mpirun or srun to use many ranks.\n\n"
               "Commands:\n");
  for (const auto& job : aif::AllJobs()) std::fprintf(out, "  %-10s %s\n", job.name, job.summary);
  std::fprintf(out,
               "\n'aif <command> --help' explains a command's options; every command also reads them\n"
               "from '--config FILE.ini'. 'aif --version' prints the versions of aif and its libraries.\n"
               "Exit codes: 0 success, 2 usage, 3 data, 4 I/O, 5 internal, 6 communication,\n"
               "10 rejected by the promotion gates (aif promote), 20 drift found (aif drift),\n"
               "75 stopped cleanly on a signal after a checkpoint (run again to resume).\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace aif;
  // Give OpenBLAS its proper kernels on CPUs it misdetects (see
  // kernels/library_versions.h): set OPENBLAS_CORETYPE and start again,
  // once, before MPI or any file is touched. AIF_BLAS_CORETYPE=keep opts out.
  const char* keep = std::getenv("AIF_BLAS_CORETYPE");
  if (!std::getenv("OPENBLAS_CORETYPE") && !(keep && std::string(keep) == "keep")) {
    std::string core = BlasCoreTypeOverride();
    if (!core.empty()) {
      setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
      execv("/proc/self/exe", argv);  // returns only on failure: carry on as we are
    }
  }
  if (argc < 2) {
    PrintUsage(stderr);
    return ExitCodeFor(ErrorKind::kUsage);
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (command == "--version" || command == "version") {
    std::printf("%s\n%s", VersionLine().c_str(), VersionDetails().c_str());
    return 0;
  }
  const JobEntry* job = nullptr;
  for (const auto& entry : AllJobs()) {
    if (command == entry.name) job = &entry;
  }
  if (!job) {
    LogErrorLine(Format("aif: usage error: unknown command '%s'; run 'aif --help' for the list", command.c_str()));
    return ExitCodeFor(ErrorKind::kUsage);
  }

  JobContext ctx;
  ctx.job = job->name;
  const std::string prefix = "aif " + ctx.job + ": ";
  int code = 0;
  try {
    StartJobWorld(&ctx);
    code = job->run(argc - 1, argv + 1, ctx);
  } catch (const Error& e) {
    if (e.collective() || ctx.world_size == 1) {
      if (ctx.is_root()) LogErrorLine(prefix + ErrorKindName(e.kind()) + ": " + e.what());
      code = ExitCodeFor(e.kind());
      FinishJobWorld(ctx);
      return code;
    }
    std::string who = ctx.world_size > 1 ? Format("[rank %d on %s] ", ctx.rank, HostName().c_str()) : "";
    LogErrorLine(prefix + who + ErrorKindName(e.kind()) + ": " + e.what());
    AbortJobWorld(ctx, ExitCodeFor(e.kind()));
  } catch (const std::bad_alloc&) {
    LogErrorLine(prefix + "internal error: out of memory; lower the batch size or the reader memory bound");
    AbortJobWorld(ctx, ExitCodeFor(ErrorKind::kInternal));
  } catch (const std::exception& e) {
    LogErrorLine(prefix + "internal error: " + e.what());
    AbortJobWorld(ctx, ExitCodeFor(ErrorKind::kInternal));
  }
  FinishJobWorld(ctx);
  return code;
}
