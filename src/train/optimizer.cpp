#include "train/optimizer.h"

#include "core/error.h"
#include "kernels/ops.h"

namespace aif {
namespace {

// Which parameters take weight decay (weights, not biases): the rate the
// update uses (0 when none does) and ops' bit mask (undefined when every
// element is treated alike). Fixed by the model's layout, so built once.
struct WeightDecay {
  float rate = 0.0f;
  Tensor mask;
};

WeightDecay WeightDecayOf(const OptimizerConfig& c, const Model& model) {
  std::vector<std::pair<int64_t, int64_t>> decayed;
  bool all = true;
  for (const ParamInfo& p : model.param_infos()) {
    if (p.decay) decayed.emplace_back(p.offset, p.numel());
    all = all && p.decay;
  }
  WeightDecay d;
  if (c.weight_decay == 0 || decayed.empty()) return d;
  d.rate = static_cast<float>(c.weight_decay);
  if (!all) d.mask = ops::MakeDecayMask(model.num_params(), decayed, model.device());
  return d;
}

// Both optimizers update every parameter in one fused call over the flat
// buffers (one kernel launch on a GPU).
class Sgd : public Optimizer {
 public:
  Sgd(const OptimizerConfig& c, const Model& model) : c_(c), decay_(WeightDecayOf(c, model)) {
    if (c.momentum > 0) momentum_ = Tensor::Zeros({model.num_params()}, DType::kF32, model.device());
  }
  void Step(Model& model, double lr) override {
    ops::SgdParams hp;
    hp.lr = static_cast<float>(lr);
    hp.momentum = static_cast<float>(c_.momentum);
    hp.nesterov = c_.nesterov;
    hp.weight_decay = decay_.rate;
    ops::SgdUpdate(model.params(), model.grads(), momentum_, hp, decay_.mask);
    ++steps_;
  }
  std::vector<std::pair<std::string, Tensor>> State() override {
    if (!momentum_.defined()) return {};
    return {{"momentum", momentum_}};
  }

 private:
  OptimizerConfig c_;
  Tensor momentum_;
  WeightDecay decay_;
};

class AdamW : public Optimizer {
 public:
  AdamW(const OptimizerConfig& c, const Model& model)
      : c_(c),
        m_(Tensor::Zeros({model.num_params()}, DType::kF32, model.device())),
        v_(Tensor::Zeros({model.num_params()}, DType::kF32, model.device())),
        decay_(WeightDecayOf(c, model)) {}
  void Step(Model& model, double lr) override {
    ++steps_;
    ops::AdamWParams hp;
    hp.lr = static_cast<float>(lr);
    hp.beta1 = static_cast<float>(c_.beta1);
    hp.beta2 = static_cast<float>(c_.beta2);
    hp.eps = static_cast<float>(c_.eps);
    hp.weight_decay = decay_.rate;
    hp.step = steps_;
    ops::AdamWUpdate(model.params(), model.grads(), m_, v_, hp, decay_.mask);
  }
  std::vector<std::pair<std::string, Tensor>> State() override { return {{"adam_m", m_}, {"adam_v", v_}}; }

 private:
  OptimizerConfig c_;
  Tensor m_, v_;
  WeightDecay decay_;
};

}  // namespace

void ValidateOptimizerConfig(const OptimizerConfig& c) {
  if (c.weight_decay < 0) ThrowUsage("--weight-decay must be >= 0, got %g", c.weight_decay);
  if (c.name == "sgd") {
    if (c.momentum < 0 || c.momentum >= 1) ThrowUsage("--momentum must be in [0, 1), got %g", c.momentum);
    if (c.nesterov && c.momentum == 0) ThrowUsage("--nesterov needs --momentum > 0");
  } else if (c.name == "adamw") {
    if (c.beta1 < 0 || c.beta1 >= 1 || c.beta2 < 0 || c.beta2 >= 1) ThrowUsage("--beta1/--beta2 must be in [0, 1)");
    if (c.eps <= 0) ThrowUsage("--eps must be > 0");
  } else {
    ThrowUsage("--optimizer must be sgd or adamw, got '%s'", c.name.c_str());
  }
}

std::unique_ptr<Optimizer> Optimizer::Create(const OptimizerConfig& c, const Model& model) {
  ValidateOptimizerConfig(c);
  if (c.name == "sgd") return std::unique_ptr<Optimizer>(new Sgd(c, model));
  return std::unique_ptr<Optimizer>(new AdamW(c, model));
}

}  // namespace aif
