// The all-reduces that the sweep compares, as a table (nccl-tests' idea):
// each entry sums a float tensor in place over all ranks of MPI_COMM_WORLD
// and returns when the result is in the tensor. Adding a backend (aif's Nccl
// communicator, issue 6) is adding an entry in allreduce_contenders.cpp; an
// entry that cannot run in this build says why and the sweep skips it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace aif {
namespace bench {

struct Contender {
  std::string name;         // "aif-mpi", "raw-mpi", ...
  std::string what;         // one line: the call it times
  std::string peer;         // the entry its speed is compared with; empty for the references
  std::string unavailable;  // why it cannot run in this build; empty when it can
  DeviceType device = DeviceType::kCpu;           // where its buffer must live
  std::function<void(const Tensor&)> all_reduce;  // in place, sum, complete on return
};

// Requires MPI to be initialised.
std::vector<Contender> MakeContenders();

}  // namespace bench
}  // namespace aif
