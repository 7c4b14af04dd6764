// The Nccl backend (built only with the CUDA backend): collectives on CUDA
// tensors through NCCL, on a dedicated communication stream ordered against
// the compute stream (tensor/compute_stream.h) by events, so that gradient
// all-reduces overlap backward. Hybrid, as Aluminum does it: host tensors
// (scalars, metrics, set-up data) go through the host communicator it holds
// (Mpi in a job, Local in a one-rank test), whose rank and size it takes.
//
// Ordering of device collectives. Each one makes the comm stream wait for
// the work queued so far on the compute stream (the tensor's producers),
// enqueues the NCCL call and records a completion event.
//  - AllReduce, Broadcast and AllGather then make the compute stream wait for
//    that event and return: every later op and copy sees the result, and the
//    host never waits. Reading the result on the host (a copy to a CPU
//    tensor) waits, as every device-to-host copy does.
//  - AllReduceAsync returns a PendingCollective holding the tensor. Test()
//    asks the event (cudaEventQuery) and never blocks; once it says true the
//    result is final for any work queued later. Wait() makes the compute
//    stream wait for the event, so compute-stream work queued after it sees
//    the result; it does not block the host either. Destroying an unfinished
//    one does what Wait() does.
//  - Barrier is a host barrier over the host communicator; it does not wait
//    for device work.
//
// Watchdog. Every device collective (until its event completes), the NCCL
// set-up and every host collective is watched (collective_watchdog.h). One
// that has not finished after the timeout (NcclOptions::timeout_s, else
// AIF_COMM_TIMEOUT, else 300 s) makes this rank print one line naming
// itself, its host, the collective and its size, abort the NCCL communicator
// (ncclCommAbort) and exit with code 6; the launcher ends the other ranks.
// The communicator is non-blocking (ncclConfig_t.blocking = 0): NCCL calls
// return at once and this rank polls their state, so a peer that never
// joins cannot wedge the host inside NCCL where the watchdog could not act.
//
// Errors. Every NCCL call is checked; a failure, or an asynchronous error
// found by Test or Wait, throws aif::Error (kComm) naming the call, NCCL's
// error string and its last-error text. CUDA tensors must live on the
// current device (one GPU per rank). Call from one thread; pending
// collectives must not outlive their communicator.
#pragma once

#include <memory>

#include "comm/communicator.h"
#include "comm/gpu_assignment.h"

namespace aif {

struct NcclOptions {
  // Seconds a collective may take; < 0: AIF_COMM_TIMEOUT or 300; 0: no watchdog.
  double timeout_s = -1;
};

// Chooses this rank's GPU from the launcher's environment (ChooseGpu) among
// the devices the CUDA probe found, makes it current (cudaSetDevice) and
// returns the choice and its explanation (for the log). Usage error when no
// GPU is usable or none is left for this rank.
GpuChoice BindRankToGpu();

// This rank's identity for CheckOneGpuPerRank: the host name, and the current
// device's PCI bus id and UUID ("0000:3B:00.0 GPU-8c2f1a2b-...").
GpuIdentity CurrentGpuIdentity();

// Collective over `host`: checks one GPU per rank (CheckOneGpuPerRank), makes
// NCCL's unique id on rank 0 and broadcasts it over `host`, and creates the
// NCCL communicator on the current device.
std::unique_ptr<Communicator> MakeNcclCommunicator(std::unique_ptr<Communicator> host,
                                                   const NcclOptions& options = {});

}  // namespace aif
