// Optimizers over a model's flat parameter buffer: SGD (momentum, Nesterov)
// and AdamW, with decoupled weight decay applied only to parameters marked
// `decay` (weights, not biases). State lives in flat buffers shaped like the
// parameters, so a checkpoint stores it as a few named tensors.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/model.h"

namespace aif {

struct OptimizerConfig {
  std::string name = "sgd";  // sgd or adamw
  double momentum = 0.9;     // sgd
  bool nesterov = false;     // sgd
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adamw
};

// Throws kUsage for an unknown name or out-of-range hyper-parameters.
void ValidateOptimizerConfig(const OptimizerConfig& config);

class Optimizer {
 public:
  // Validates the config (ValidateOptimizerConfig) first.
  static std::unique_ptr<Optimizer> Create(const OptimizerConfig& config, const Model& model);
  virtual ~Optimizer() = default;
  // One update of every parameter with learning rate `lr`, from model.grads().
  virtual void Step(Model& model, double lr) = 0;
  // Named state tensors (for checkpoints), and the number of steps taken.
  virtual std::vector<std::pair<std::string, Tensor>> State() = 0;
  int64_t steps_taken() const { return steps_; }
  void set_steps_taken(int64_t steps) { steps_ = steps; }

 protected:
  int64_t steps_ = 0;
};

}  // namespace aif
