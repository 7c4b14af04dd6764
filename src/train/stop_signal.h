// Stop requests from the batch system. Slurm sends SIGTERM before a job is
// killed (preemption, time limit) and the signal of --signal=B:USR1@<lead>
// ahead of it; people press Ctrl-C (SIGINT). The handlers only record the
// request; the training loop turns it into an agreed stop: the flag travels
// in the per-step all-reduce, every rank stops after the same step, the state
// is checkpointed, and the job exits with kExitStoppedCleanly. Further
// signals during the save change nothing.
#pragma once

namespace aif {

// "Stopped cleanly at a checkpoint; run the same command again to resume"
// (EX_TEMPFAIL from sysexits.h; slurm/ scripts requeue on it).
inline constexpr int kExitStoppedCleanly = 75;

// Installs handlers for SIGTERM, SIGINT and SIGUSR1 (idempotent).
void InstallStopSignalHandlers();
// The signal that asked to stop, or 0.
int StopSignalReceived();
const char* SignalName(int signal);

}  // namespace aif
