// What train_mlp_bench times: the models it knows, synthetic in-memory
// batches, one training step exactly as src/train/trainer.cpp runs it (on
// the CPU or one GPU, in f32 or bf16 mixed precision), and the GEMM bound:
// the step's own GEMMs timed alone through ops::Matmul.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "comm/communicator.h"      // Local backend: the comm phase of a 1-rank CPU run
#include "comm/gradient_buckets.h"  // the same bucketed all-reduce as aif train
#include "nn/model.h"               // the model, built from its spec
#include "train/optimizer.h"        // SGD with momentum, as aif train

namespace aif {
namespace train_bench {

struct BenchModel {
  std::string name;        // mlp, wide, cnn (--model)
  std::string spec;        // as aif train takes it
  std::string check_spec;  // the same without dropout, for the check against PyTorch (whose masks differ)
  int64_t batch;           // default batch
  std::vector<int64_t> widths;  // an MLP's layer widths (its GEMM bound); empty for the CNN
};
// nullptr for an unknown name.
const BenchModel* FindBenchModel(const std::string& name);

// One batch of Fashion-MNIST-shaped synthetic data: x [N, 784], labels, ids.
struct Batch {
  Tensor x, y, ids;
};
// `count` batches made on the CPU and copied to `device`: the content does
// not change the speed of dense layers.
std::vector<Batch> MakeData(int64_t batch, int count, DeviceType device);

struct Phases {
  double data = 0, forward = 0, backward = 0, comm = 0, optimizer = 0;
};

// One training step exactly as src/train/trainer.cpp does it: on the CPU the
// copy out of the reader's batch and the bucketed all-reduce on the Local
// communicator; on a GPU the batch is already on the device and one rank has
// nothing to communicate. Parameters: seed 1, built on the CPU and copied to
// `device`, so every Stepper of one spec starts from the same weights.
class Stepper {
 public:
  Stepper(const std::string& spec, int64_t batch, DeviceType device, DType precision);
  // The step's mean loss. With `phases`, its time per phase is added there;
  // on a GPU the device is then synchronised before each clock read (which
  // costs a little: time whole runs without `phases`).
  double Step(const Batch& b, int64_t step, double lr, Phases* phases);
  // The mean loss in evaluation mode (no dropout), after a step: the check.
  double EvalLoss(const Batch& b);
  const Model& model() const { return *model_; }

 private:
  DeviceType device_;
  DType precision_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Optimizer> opt_;
  std::unique_ptr<Communicator> comm_;
  std::unique_ptr<GradientBuckets> buckets_;
  Tensor x_, dout_;
};

// Every GEMM of a training step of the MLP `widths` at batch `n` (forward;
// weight gradients; input gradients of all but the first layer, which
// training does not need), timed alone through ops::Matmul with operands of
// `dtype` on `device` (the CPU by the wall clock, a GPU with CUDA events).
// Sets the seconds of one pass over them and their FLOP/s; returns per-GEMM
// rows for the JSON.
nlohmann::json GemmBound(const std::vector<int64_t>& widths, int64_t n, DeviceType device, DType dtype,
                         double* bound_seconds, double* gemm_flops);

}  // namespace train_bench
}  // namespace aif
