#include "nn/model.h"

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "core/strings.h"
#include "kernels/ops.h"
#include "nn/layers.h"
#include "nn/model_spec.h"

namespace aif {

Model::~Model() = default;

std::unique_ptr<Model> Model::Build(const std::string& spec, const Shape& input_shape, int64_t outputs,
                                    DeviceType device) {
  int64_t mlp_inputs = 0;
  std::vector<LayerToken> tokens = ParseModelSpec(spec, &mlp_inputs);
  if (mlp_inputs && mlp_inputs != NumElements(input_shape)) {
    ThrowUsage("model spec '%s': the mlp's input width is %lld but the data has %lld features per sample %s",
               spec.c_str(), static_cast<long long>(mlp_inputs), static_cast<long long>(NumElements(input_shape)),
               ShapeString(input_shape).c_str());
  }
  std::unique_ptr<Model> m(new Model);
  m->spec_ = spec;
  m->input_shape_ = input_shape;
  m->outputs_ = outputs;
  m->device_ = device;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const LayerToken& t = tokens[i];
    std::unique_ptr<Layer> layer;
    if (t.kind == "linear") {
      // Fold a following activation into the layer's epilogue.
      ops::Activation act = ops::Activation::kNone;
      if (i + 1 < tokens.size() && (tokens[i + 1].kind == "relu" || tokens[i + 1].kind == "gelu")) {
        act = tokens[i + 1].kind == "relu" ? ops::Activation::kRelu : ops::Activation::kGelu;
        ++i;
      }
      layer.reset(new LinearLayer(t.ints[0], act));
    } else if (t.kind == "conv") {
      layer.reset(new Conv2dLayer(t.ints[0], t.ints[1], t.ints[2], t.ints[3]));
    } else if (t.kind == "pool") {
      layer.reset(new MaxPool2dLayer(t.ints[0], t.ints[1]));
    } else if (t.kind == "flatten") {
      layer.reset(new FlattenLayer);
    } else if (t.kind == "relu" || t.kind == "gelu") {
      layer.reset(new ActivationLayer(t.kind == "relu" ? ops::Activation::kRelu : ops::Activation::kGelu));
    } else if (t.kind == "dropout") {
      layer.reset(new DropoutLayer(static_cast<float>(t.value)));
    } else {
      ThrowInternal("unhandled layer kind '%s'", t.kind.c_str());
    }
    layer->set_index(static_cast<int>(m->layers_.size()));
    m->layers_.push_back(std::move(layer));
  }

  // Shapes, parameters and FLOPs, layer by layer.
  Shape shape = input_shape;
  int64_t offset = 0;
  bool params_below = false;
  for (size_t i = 0; i < m->layers_.size(); ++i) {
    Layer& layer = *m->layers_[i];
    m->shapes_.push_back(shape);
    Shape out = layer.OutputShape(shape);
    int64_t count = 0;
    for (const ParamSpec& p : layer.Params(shape)) {
      ParamInfo info;
      info.name = Format("layer%zu.%s", i, p.name.c_str());
      info.layer = static_cast<int>(i);
      info.offset = offset + count;
      info.shape = p.shape;
      info.decay = p.decay;
      m->infos_.push_back(info);
      m->specs_.push_back(p);
      count += NumElements(p.shape);
    }
    m->ranges_.emplace_back(offset, count);
    offset += count;
    // Backward repeats the forward GEMM for the weight gradient, and once
    // more for the input gradient unless nothing below needs it.
    const int64_t flops = layer.ForwardFlops(shape);
    m->forward_flops_ += flops;
    m->backward_flops_ += flops * (params_below ? 2 : 1);
    if (count > 0) params_below = true;
    shape = out;
  }
  m->shapes_.push_back(shape);
  if (shape != Shape{outputs}) {
    ThrowUsage("model spec '%s' ends with %s outputs per sample, but the data needs [%lld] (%s)", spec.c_str(),
               ShapeString(shape).c_str(), static_cast<long long>(outputs),
               outputs == 1 ? "one regression target" : "one logit per class");
  }
  if (offset == 0) ThrowUsage("model spec '%s' has no trainable layer", spec.c_str());

  m->params_ = Tensor::Zeros({offset}, DType::kF32, device);
  m->grads_ = Tensor::Zeros({offset}, DType::kF32, device);
  size_t k = 0;
  for (size_t i = 0; i < m->layers_.size(); ++i) {
    std::vector<Tensor> params, grads;
    for (; k < m->infos_.size() && m->infos_[k].layer == static_cast<int>(i); ++k) {
      params.push_back(m->params_.View(m->infos_[k].offset, m->infos_[k].shape));
      grads.push_back(m->grads_.View(m->infos_[k].offset, m->infos_[k].shape));
    }
    if (!params.empty()) m->layers_[i]->Bind(params, grads);
  }
  return m;
}

void Model::Initialize(uint64_t seed) {
  Tensor host = Tensor::Zeros({params_.numel()});
  float* p = host.data<float>();
  for (size_t k = 0; k < infos_.size(); ++k) {
    const ParamSpec& s = specs_[k];
    float* dst = p + infos_[k].offset;
    const int64_t n = infos_[k].numel();
    for (int64_t i = 0; i < n; ++i) {
      U32x4 r = RandomBits(seed, RngPurpose::kInit, k, static_cast<uint64_t>(i));
      double u1 = (r.v[0] + 0.5) / 4294967296.0, u2 = (r.v[1] + 0.5) / 4294967296.0;
      if (s.init == Init::kHeNormal) {
        double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
        dst[i] = static_cast<float>(z * std::sqrt(2.0 / s.fan_in));
      } else if (s.init == Init::kXavierUniform) {
        double limit = std::sqrt(6.0 / (s.fan_in + s.fan_out));
        dst[i] = static_cast<float>((2 * u1 - 1) * limit);
      }
    }
  }
  params_.CopyFrom(host);
  grads_.SetZero();
}

std::string Model::Summary() const {
  std::string out;
  for (size_t i = 0; i < layers_.size(); ++i) {
    out += Format("  %2zu %-24s %-14s -> %-14s %10lld params\n", i, layers_[i]->Describe().c_str(),
                  ShapeString(shapes_[i]).c_str(), ShapeString(shapes_[i + 1]).c_str(),
                  static_cast<long long>(ranges_[i].second));
  }
  out += Format("  total %lld parameters (%s)", static_cast<long long>(num_params()),
                HumanBytes(static_cast<double>(num_params()) * 4).c_str());
  return out;
}

std::unique_ptr<Model> Model::CopyTo(DeviceType device) const {
  std::unique_ptr<Model> m = Build(spec_, input_shape_, outputs_, device);
  m->params_.CopyFrom(params_);
  m->set_output_transform(output_transform_);
  return m;
}

void Model::set_output_transform(const OutputTransform& transform) {
  if (!(std::isfinite(transform.scale) && transform.scale > 0) || !std::isfinite(transform.offset)) {
    ThrowUsage("model output transform: scale %g must be finite and positive, offset %g finite",
               static_cast<double>(transform.scale), static_cast<double>(transform.offset));
  }
  output_transform_ = transform;
  output_offset_ = Tensor();
  if (transform.identity()) return;
  Tensor offset = Tensor::Empty({outputs_});
  for (int64_t i = 0; i < outputs_; ++i) offset.data<float>()[i] = transform.offset;
  output_offset_ = offset.To(device_);
}

Tensor Model::ForwardToHost(const Tensor& x, const PassContext& ctx) {
  Tensor y = Forward(x.device() == device_ ? x : x.To(device_), ctx);
  return y.device() == DeviceType::kCpu ? y : y.To(DeviceType::kCpu);
}

Tensor Model::Forward(const Tensor& x, const PassContext& ctx) {
  Shape want = {x.dim(0)};
  want.insert(want.end(), input_shape_.begin(), input_shape_.end());
  Tensor h = x.numel() == NumElements(want) ? x.Reshaped(want) : x;
  AIF_CHECK(h.shape() == want, Format("model input %s, expected %s", ShapeString(x.shape()).c_str(),
                                      ShapeString(want).c_str()));
  for (auto& layer : layers_) h = layer->Forward(h, ctx);
  if (output_transform_.identity()) return h;
  if (!output_.defined() || output_.shape() != h.shape()) output_ = Tensor::Empty(h.shape(), h.dtype(), device_);
  output_.CopyFrom(h);
  ops::Scale(output_, output_transform_.scale);
  ops::BiasActivationForward(output_, output_offset_, ops::Activation::kNone, output_, Tensor());
  return output_;
}

void Model::Backward(const Tensor& doutput, const PassContext& ctx, const GradientsReady& ready) {
  Tensor d = doutput;
  if (!output_transform_.identity()) {  // d/dz of y = z * scale + offset
    if (!doutput_scaled_.defined() || doutput_scaled_.shape() != d.shape()) {
      doutput_scaled_ = Tensor::Empty(d.shape(), d.dtype(), device_);
    }
    doutput_scaled_.CopyFrom(d);
    ops::Scale(doutput_scaled_, output_transform_.scale);
    d = doutput_scaled_;
  }
  // The first layer with parameters needs no input gradient, nor do those below it.
  size_t first_param_layer = 0;
  while (first_param_layer < ranges_.size() && ranges_[first_param_layer].second == 0) ++first_param_layer;
  for (size_t i = layers_.size(); i-- > 0;) {
    if (i < first_param_layer) break;
    d = layers_[i]->Backward(d, ctx, i > first_param_layer);
    if (ranges_[i].second > 0 && ready) ready(ranges_[i].first, ranges_[i].second);
  }
}

}  // namespace aif
