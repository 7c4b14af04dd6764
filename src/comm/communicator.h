// The Communicator: the collectives data-parallel training needs, behind one
// interface with interchangeable backends (Aluminum's idea): Local (one rank,
// no MPI), Mpi (MPI_COMM_WORLD duplicated), and Nccl (nccl_communicator.h,
// CUDA builds only: CUDA tensors over NCCL, host tensors over a host
// communicator). Tensors are f32, i32 or i64 (an average only of f32) and,
// for Local and Mpi, on the CPU. All calls are collective: every rank calls
// them in the same order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tensor/tensor.h"

namespace aif {

enum class ReduceOp { kSum, kAverage, kMax, kMin };

// A non-blocking collective in flight. Test() lets it progress and says
// whether it completed; Wait() blocks until it has. Destroying an unfinished
// one waits for it.
class PendingCollective {
 public:
  virtual ~PendingCollective() = default;
  virtual bool Test() = 0;
  virtual void Wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "local", "mpi", "nccl"

  // In place on `t`.
  virtual void AllReduce(const Tensor& t, ReduceOp op) = 0;
  virtual std::unique_ptr<PendingCollective> AllReduceAsync(const Tensor& t, ReduceOp op) = 0;
  virtual void Broadcast(const Tensor& t, int root) = 0;
  // out holds size() * in.numel() elements, rank r's contribution at r * in.numel().
  virtual void AllGather(const Tensor& in, const Tensor& out) = 0;
  virtual void Barrier() = 0;

  // Scalar conveniences built on AllReduce. Tensors have no f64, so a scalar
  // travels as f32 (about 7 digits); counts belong in AllReduceInt.
  double AllReduceScalar(double value, ReduceOp op);
  int64_t AllReduceInt(int64_t value, ReduceOp op);
};

std::unique_ptr<Communicator> MakeLocalCommunicator();
// Requires MPI to be initialised (aif's job start-up does it under a launcher).
std::unique_ptr<Communicator> MakeMpiCommunicator();

}  // namespace aif
