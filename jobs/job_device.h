// --device for every job that runs a model (train, evaluate, predict,
// drift): the option with its help text, and the set-up each job does once
// its host communicator exists. The decision (train/device_option.h) is
// made on every rank; all ranks must agree (--device auto on a mix of nodes
// with and without GPUs is a usage error, not a hang); on CUDA each rank
// binds the GPU of its local rank and rank 0 logs why. Errors are
// collective: every rank throws the same usage error.
#pragma once

#include <string>

#include "comm/communicator.h"
#include "core/options.h"
#include "jobs/job.h"
#include "tensor/device.h"

namespace aif {

void AddDeviceOption(JobOptions* options, std::string* request);

// Parses and resolves `request` on every rank, checks the ranks agree over
// `comm`, binds this rank's GPU when CUDA; returns the device to use.
DeviceType SetUpJobDevice(const JobContext& ctx, Communicator& comm, const std::string& request);

}  // namespace aif
