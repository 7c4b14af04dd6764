// The layers of aif models. Linear may carry a fused activation (the model
// builder folds "linear(N) relu" into one layer: GEMM, then bias and
// activation in one pass over memory, on CUDA inside the GEMM's epilogue
// (ops::LinearForward), and the reverse in backward).
#pragma once

#include "kernels/ops.h"
#include "nn/layer.h"

namespace aif {

// A layer with a weight and a bias (Linear, Conv2d).
class WeightBiasLayer : public Layer {
 public:
  void Bind(const std::vector<Tensor>& params, const std::vector<Tensor>& grads) override;

 protected:
  Tensor w_, b_, dw_, db_;
};

class LinearLayer : public WeightBiasLayer {
 public:
  LinearLayer(int64_t out_features, ops::Activation act) : out_(out_features), act_(act) {}
  std::string Describe() const override;
  Shape OutputShape(const Shape& in) const override;
  std::vector<ParamSpec> Params(const Shape& in) const override;
  int64_t ForwardFlops(const Shape& in) const override { return 2 * in[0] * out_; }
  Tensor Forward(const Tensor& x, const PassContext& ctx) override;
  Tensor Backward(const Tensor& dy, const PassContext& ctx, bool need_input_grad) override;

 private:
  int64_t out_;
  ops::Activation act_;
  Tensor x_, y_, pre_, dx_;  // x_ is the caller's input, kept for backward
  // bf16 GEMM operands (PassContext::gemm_dtype): x and w rounded in forward
  // (kept for backward), dz rounded in backward.
  Tensor x16_, w16_, dz16_;
  bool bf16_ = false;
  Tensor& RoundedToBF16(const Tensor& src, Tensor& buffer);
};

// Standalone activation (after a convolution, or a second activation).
class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(ops::Activation act) : act_(act) {}
  std::string Describe() const override;
  Shape OutputShape(const Shape& in) const override { return in; }
  Tensor Forward(const Tensor& x, const PassContext& ctx) override;
  Tensor Backward(const Tensor& dy, const PassContext& ctx, bool need_input_grad) override;

 private:
  ops::Activation act_;
  Tensor x_, y_, dx_;
};

class DropoutLayer : public Layer {
 public:
  explicit DropoutLayer(float p) : p_(p) {}
  std::string Describe() const override;
  Shape OutputShape(const Shape& in) const override { return in; }
  Tensor Forward(const Tensor& x, const PassContext& ctx) override;
  Tensor Backward(const Tensor& dy, const PassContext& ctx, bool need_input_grad) override;

 private:
  float p_;
  bool applied_ = false;
  Tensor y_, mask_, dx_;
};

class Conv2dLayer : public WeightBiasLayer {
 public:
  Conv2dLayer(int64_t filters, int64_t kernel, int64_t stride, int64_t padding)
      : filters_(filters), kernel_(kernel), params_{stride, padding} {}
  std::string Describe() const override;
  Shape OutputShape(const Shape& in) const override;
  std::vector<ParamSpec> Params(const Shape& in) const override;
  int64_t ForwardFlops(const Shape& in) const override {
    return 2 * in[0] * kernel_ * kernel_ * NumElements(OutputShape(in));
  }
  Tensor Forward(const Tensor& x, const PassContext& ctx) override;
  Tensor Backward(const Tensor& dy, const PassContext& ctx, bool need_input_grad) override;

 private:
  int64_t filters_, kernel_;
  ops::Conv2dParams params_;
  Tensor x_, y_, dx_, workspace_;
};

class MaxPool2dLayer : public Layer {
 public:
  MaxPool2dLayer(int64_t kernel, int64_t stride) : kernel_(kernel), stride_(stride) {}
  std::string Describe() const override;
  Shape OutputShape(const Shape& in) const override;
  Tensor Forward(const Tensor& x, const PassContext& ctx) override;
  Tensor Backward(const Tensor& dy, const PassContext& ctx, bool need_input_grad) override;

 private:
  int64_t kernel_, stride_;
  Tensor y_, argmax_, dx_;
  Shape in_shape_;
};

class FlattenLayer : public Layer {
 public:
  std::string Describe() const override { return "flatten"; }
  Shape OutputShape(const Shape& in) const override { return {NumElements(in)}; }
  Tensor Forward(const Tensor& x, const PassContext& ctx) override;
  Tensor Backward(const Tensor& dy, const PassContext& ctx, bool need_input_grad) override;

 private:
  Shape in_shape_;
};

}  // namespace aif
