// A check that data-parallel replicas still hold the same parameters: every
// rank hashes its parameter bytes and the ranks compare digests. Replicas
// drift apart silently (a nondeterministic kernel, a rank that skipped an
// update), so training calls this every so often and stops on a mismatch.
#pragma once

#include <cstdint>

#include "comm/communicator.h"
#include "tensor/tensor.h"

namespace aif {

// Collective. When any rank's parameters differ from rank 0's, throws on
// every rank a collective Error(kComm) naming the first such rank and the step.
void CheckReplicasAgree(Communicator& comm, const Tensor& flat_params, int64_t step);

// The 64-bit digest the ranks compare: the first 8 bytes of the SHA-256 of
// the tensor's type, element count and bytes (exposed for tests).
int64_t ParameterDigest(const Tensor& flat_params);

}  // namespace aif
