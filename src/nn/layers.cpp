#include "nn/layers.h"

#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace aif {
namespace {

Shape WithBatch(int64_t n, const Shape& per_sample) {
  Shape s = {n};
  s.insert(s.end(), per_sample.begin(), per_sample.end());
  return s;
}

Shape PerSample(const Tensor& t) { return Shape(t.shape().begin() + 1, t.shape().end()); }

// Whether a window of `k` fits an input of `in` with `padding` on both sides.
bool WindowFits(int64_t in, int64_t k, int64_t padding) { return in + 2 * padding >= k; }

const char* ActivationName(ops::Activation act) {
  return act == ops::Activation::kRelu ? "relu" : act == ops::Activation::kGelu ? "gelu" : "";
}

}  // namespace

Tensor& Layer::Ensure(Tensor& buffer, const Shape& shape, DType dtype, DeviceType device) {
  if (!buffer.defined() || buffer.shape() != shape || buffer.dtype() != dtype || buffer.device() != device) {
    buffer = Tensor::Empty(shape, dtype, device);
  }
  return buffer;
}

// ---- Linear -----------------------------------------------------------------

std::string LinearLayer::Describe() const {
  std::string s = Format("linear(%lld)", static_cast<long long>(out_));
  if (act_ != ops::Activation::kNone) s += std::string(" ") + ActivationName(act_);
  return s;
}

Shape LinearLayer::OutputShape(const Shape& in) const {
  if (in.size() != 1) {
    ThrowUsage("model spec: %s needs a flat input but gets %s; add 'flatten' before it", Describe().c_str(),
               ShapeString(in).c_str());
  }
  return {out_};
}

std::vector<ParamSpec> LinearLayer::Params(const Shape& in) const {
  // He initialisation where a ReLU/GELU follows, Xavier for the output layer.
  Init init = act_ == ops::Activation::kNone ? Init::kXavierUniform : Init::kHeNormal;
  return {ParamSpec{"weight", {out_, in[0]}, init, in[0], out_, true},
          ParamSpec{"bias", {out_}, Init::kZeros, in[0], out_, false}};
}

void WeightBiasLayer::Bind(const std::vector<Tensor>& params, const std::vector<Tensor>& grads) {
  w_ = params[0];
  b_ = params[1];
  dw_ = grads[0];
  db_ = grads[1];
}

// Rounds `src` to bf16 into `buffer` (allocated on first use) and returns it.
Tensor& LinearLayer::RoundedToBF16(const Tensor& src, Tensor& buffer) {
  Tensor& out = Ensure(buffer, src.shape(), DType::kBF16, src.device());
  ops::CastF32ToBF16(src, out);
  return out;
}

Tensor LinearLayer::Forward(const Tensor& x, const PassContext& ctx) {
  x_ = x;
  bf16_ = ctx.gemm_dtype == DType::kBF16;
  Tensor& y = Ensure(y_, {x.dim(0), out_}, DType::kF32, x.device());
  Tensor pre = act_ == ops::Activation::kGelu ? Ensure(pre_, y.shape(), DType::kF32, x.device()) : Tensor();
  if (bf16_) {
    ops::LinearForward(RoundedToBF16(x, x16_), RoundedToBF16(w_, w16_), b_, act_, y, pre);
  } else {
    ops::LinearForward(x, w_, b_, act_, y, pre);
  }
  return y;
}

Tensor LinearLayer::Backward(const Tensor& dy, const PassContext& ctx, bool need_input_grad) {
  Tensor saved = act_ == ops::Activation::kRelu ? y_ : act_ == ops::Activation::kGelu ? pre_ : Tensor();
  ops::BiasActivationBackward(dy, saved, act_, dy, db_, ctx.accumulate);  // dy becomes dz, in place
  const Tensor& dz = bf16_ ? RoundedToBF16(dy, dz16_) : dy;
  ops::Matmul(dz, true, bf16_ ? x16_ : x_, false, dw_, 1.0f, ctx.accumulate ? 1.0f : 0.0f);
  if (!need_input_grad) return Tensor();
  Tensor& dx = Ensure(dx_, x_.shape(), DType::kF32, x_.device());
  ops::Matmul(dz, false, bf16_ ? w16_ : w_, false, dx);
  return dx;
}

// ---- Activation ---------------------------------------------------------------

std::string ActivationLayer::Describe() const { return ActivationName(act_); }

Tensor ActivationLayer::Forward(const Tensor& x, const PassContext&) {
  x_ = x;
  Tensor& y = Ensure(y_, x.shape(), DType::kF32, x.device());
  ops::BiasActivationForward(x, Tensor(), act_, y, Tensor());
  return y;
}

Tensor ActivationLayer::Backward(const Tensor& dy, const PassContext&, bool) {
  ops::BiasActivationBackward(dy, act_ == ops::Activation::kRelu ? y_ : x_, act_, dy, Tensor(), false);
  return dy;
}

// ---- Dropout --------------------------------------------------------------------

std::string DropoutLayer::Describe() const { return Format("dropout(%g)", p_); }

Tensor DropoutLayer::Forward(const Tensor& x, const PassContext& ctx) {
  applied_ = ctx.training && p_ > 0;
  if (!applied_) return x;
  AIF_CHECK(ctx.sample_ids.defined() && ctx.sample_ids.numel() == x.dim(0), "dropout needs sample ids");
  Tensor& y = Ensure(y_, x.shape(), DType::kF32, x.device());
  Tensor& mask = Ensure(mask_, x.shape(), DType::kU8, x.device());
  // One stream per (step, layer): masks differ across steps and layers, and
  // are keyed within a stream by the global sample index.
  const uint64_t stream = (static_cast<uint64_t>(ctx.step) << 16) | static_cast<uint64_t>(index());
  ops::DropoutForward(x.Reshaped({x.dim(0), x.numel() / x.dim(0)}), p_, ctx.seed, stream, ctx.sample_ids,
                      y.Reshaped({x.dim(0), x.numel() / x.dim(0)}), mask.Reshaped({x.dim(0), x.numel() / x.dim(0)}));
  return y;
}

Tensor DropoutLayer::Backward(const Tensor& dy, const PassContext&, bool) {
  if (!applied_) return dy;
  ops::DropoutBackward(dy, mask_, p_, dy);
  return dy;
}

// ---- Conv2d -----------------------------------------------------------------------

std::string Conv2dLayer::Describe() const {
  std::string s = Format("conv(%lld,%lld", static_cast<long long>(filters_), static_cast<long long>(kernel_));
  if (params_.stride != 1) s += Format(",stride=%lld", static_cast<long long>(params_.stride));
  if (params_.padding != 0) s += Format(",pad=%lld", static_cast<long long>(params_.padding));
  return s + ")";
}

Shape Conv2dLayer::OutputShape(const Shape& in) const {
  if (in.size() != 3) {
    ThrowUsage("model spec: %s needs an image input [C, H, W] but gets %s", Describe().c_str(),
               ShapeString(in).c_str());
  }
  if (!WindowFits(in[1], kernel_, params_.padding) || !WindowFits(in[2], kernel_, params_.padding)) {
    ThrowUsage("model spec: %s does not fit an input of %s (the output would be empty)", Describe().c_str(),
               ShapeString(in).c_str());
  }
  return {filters_, ops::ConvOutputSize(in[1], kernel_, params_.stride, params_.padding),
          ops::ConvOutputSize(in[2], kernel_, params_.stride, params_.padding)};
}

std::vector<ParamSpec> Conv2dLayer::Params(const Shape& in) const {
  int64_t fan_in = in[0] * kernel_ * kernel_, fan_out = filters_ * kernel_ * kernel_;
  return {ParamSpec{"weight", {filters_, in[0], kernel_, kernel_}, Init::kHeNormal, fan_in, fan_out, true},
          ParamSpec{"bias", {filters_}, Init::kZeros, fan_in, fan_out, false}};
}

Tensor Conv2dLayer::Forward(const Tensor& x, const PassContext&) {
  x_ = x;
  Tensor& y = Ensure(y_, WithBatch(x.dim(0), OutputShape(PerSample(x))), DType::kF32, x.device());
  Tensor& ws = Ensure(workspace_, {ops::Conv2dWorkspaceElements(x.shape(), w_.shape(), params_, x.device())},
                      DType::kF32, x.device());
  ops::Conv2dForward(x, w_, b_, params_, y, ws);
  return y;
}

Tensor Conv2dLayer::Backward(const Tensor& dy, const PassContext& ctx, bool need_input_grad) {
  Tensor dx = need_input_grad ? Ensure(dx_, x_.shape(), DType::kF32, x_.device()) : Tensor();
  ops::Conv2dBackward(x_, w_, dy, params_, dx, dw_, db_, ctx.accumulate, workspace_);
  return dx;
}

// ---- MaxPool2d ----------------------------------------------------------------------

std::string MaxPool2dLayer::Describe() const {
  if (stride_ == kernel_) return Format("pool(%lld)", static_cast<long long>(kernel_));
  return Format("pool(%lld,%lld)", static_cast<long long>(kernel_), static_cast<long long>(stride_));
}

Shape MaxPool2dLayer::OutputShape(const Shape& in) const {
  if (in.size() != 3) {
    ThrowUsage("model spec: %s needs an image input [C, H, W] but gets %s", Describe().c_str(),
               ShapeString(in).c_str());
  }
  if (!WindowFits(in[1], kernel_, 0) || !WindowFits(in[2], kernel_, 0)) {
    ThrowUsage("model spec: %s does not fit an input of %s", Describe().c_str(), ShapeString(in).c_str());
  }
  return {in[0], ops::ConvOutputSize(in[1], kernel_, stride_, 0), ops::ConvOutputSize(in[2], kernel_, stride_, 0)};
}

Tensor MaxPool2dLayer::Forward(const Tensor& x, const PassContext&) {
  in_shape_ = x.shape();
  Shape out = WithBatch(x.dim(0), OutputShape(PerSample(x)));
  Tensor& y = Ensure(y_, out, DType::kF32, x.device());
  Tensor& argmax = Ensure(argmax_, out, DType::kI32, x.device());
  ops::MaxPool2dForward(x, kernel_, stride_, y, argmax);
  return y;
}

Tensor MaxPool2dLayer::Backward(const Tensor& dy, const PassContext&, bool need_input_grad) {
  if (!need_input_grad) return Tensor();
  Tensor& dx = Ensure(dx_, in_shape_, DType::kF32, dy.device());
  ops::MaxPool2dBackward(dy, argmax_, kernel_, stride_, dx);
  return dx;
}

// ---- Flatten --------------------------------------------------------------------------

Tensor FlattenLayer::Forward(const Tensor& x, const PassContext&) {
  in_shape_ = x.shape();
  return x.Reshaped({x.dim(0), x.numel() / std::max<int64_t>(x.dim(0), 1)});
}

Tensor FlattenLayer::Backward(const Tensor& dy, const PassContext&, bool) { return dy.Reshaped(in_shape_); }

}  // namespace aif
