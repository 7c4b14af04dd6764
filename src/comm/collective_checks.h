// Argument checks shared by every Communicator backend, so that a misuse
// fails the same way on one rank (Local) as on many (Mpi, Nccl), and before
// any rank enters a collective (a check that fails on one rank only would
// leave the others waiting). Each throws kInternal naming the call and tensor.
#pragma once

#include "comm/communicator.h"
#include "tensor/tensor.h"

namespace aif {

const char* ReduceOpName(ReduceOp op);  // "sum", "average", "max", "min"

// A defined tensor of a type the collectives carry: f32, i32 or i64.
void CheckCollectiveTensor(const Tensor& t, const char* call);
// Also: `op` makes sense for the type (an average of integers does not).
void CheckReducible(const Tensor& t, ReduceOp op, const char* call);
// Local and Mpi move host memory only; device tensors go through Nccl.
void CheckOnCpu(const Tensor& t, const char* backend, const char* call);
void CheckRoot(int root, int size, const char* call);
// `out` has the type of `in` and size * in.numel() elements.
void CheckAllGatherArgs(const Tensor& in, const Tensor& out, int size, const char* call);

}  // namespace aif
