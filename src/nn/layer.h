// A layer of a model: per-sample shape in -> shape out, parameters as views
// into the model's flat parameter and gradient buffers, forward and backward
// over a batch. Layers own the buffers they return (allocated once per batch
// size and reused), so a training step allocates nothing after the first.
// Backward returns the gradient for the layer below, or an undefined tensor
// when `need_input_grad` is false (the first layer skips that GEMM).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace aif {

// How a parameter is initialised (deterministically from the seed).
enum class Init { kZeros, kHeNormal, kXavierUniform };

struct ParamSpec {
  std::string name;  // "weight", "bias"
  Shape shape;
  Init init = Init::kZeros;
  int64_t fan_in = 1, fan_out = 1;
  bool decay = true;  // weight decay applies (weights yes, biases no)
};

// What a forward/backward pass needs beyond the data.
struct PassContext {
  bool training = true;
  uint64_t seed = 0;
  int64_t step = 0;        // optimizer step (dropout stream)
  Tensor sample_ids;       // i64 [N]: global sample index of each row
  bool accumulate = false; // add into parameter gradients (micro-batches after the first)
  // Operand type of the linear layers' GEMMs: kF32, or kBF16 for mixed
  // precision (inputs and weights rounded to bf16, products summed in f32;
  // parameters, gradients, activations and optimizer state stay f32).
  DType gemm_dtype = DType::kF32;
};

class Layer {
 public:
  virtual ~Layer() = default;
  // Text as in a model spec, e.g. "linear(128) relu".
  virtual std::string Describe() const = 0;
  // Per-sample output shape for a per-sample input shape; throws kUsage when
  // the layer cannot take that input (the message names the layer).
  virtual Shape OutputShape(const Shape& in) const = 0;
  virtual std::vector<ParamSpec> Params(const Shape& /*in*/) const { return {}; }
  // Floating-point operations of the forward GEMM (or convolution) per
  // sample; 0 for layers whose cost is memory traffic only.
  virtual int64_t ForwardFlops(const Shape& /*in*/) const { return 0; }
  // Views of this layer's parameters and gradients, in Params() order.
  virtual void Bind(const std::vector<Tensor>& /*params*/, const std::vector<Tensor>& /*grads*/) {}

  virtual Tensor Forward(const Tensor& x, const PassContext& ctx) = 0;
  virtual Tensor Backward(const Tensor& dy, const PassContext& ctx, bool need_input_grad) = 0;

  // Set by the model: position in the model (dropout streams).
  void set_index(int index) { index_ = index; }
  int index() const { return index_; }

 protected:
  // Returns `buffer`, (re)allocated when its shape differs from `shape`.
  static Tensor& Ensure(Tensor& buffer, const Shape& shape, DType dtype = DType::kF32, DeviceType device = DeviceType::kCpu);

 private:
  int index_ = 0;
};

}  // namespace aif
