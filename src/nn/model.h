// A model: layers built from a spec for a given input shape, with all
// parameters in one flat f32 buffer and all gradients in another (layer
// order, first layer first). One buffer makes the optimizer one pass, the
// gradient all-reduce a few large messages (buckets from the end of the
// buffer, since backward finishes the last layer first), and checkpoints one
// dataset. Initialisation is a pure function of the seed (Philox), so every
// rank builds the same model without communicating (rank 0 still broadcasts).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/layer.h"

namespace aif {

struct ParamInfo {
  std::string name;  // "layer2.weight"
  int layer = 0;
  int64_t offset = 0;  // in elements, into params()/grads()
  Shape shape;
  bool decay = true;
  int64_t numel() const { return NumElements(shape); }
};

// For regression the network learns standardised targets z = (y - offset) /
// scale, and Forward returns z * scale + offset, in the targets' own units.
// Training the standardised target keeps one learning rate good for targets
// of any magnitude (prices, counts); the loss's gradient is divided by
// scale^2 to match. Identity by default (classification, older models).
struct OutputTransform {
  float scale = 1.0f;
  float offset = 0.0f;
  bool identity() const { return scale == 1.0f && offset == 0.0f; }
};

class Model {
 public:
  // Throws kUsage when the spec is malformed or does not fit the input shape
  // or the number of outputs.
  static std::unique_ptr<Model> Build(const std::string& spec, const Shape& input_shape, int64_t outputs,
                                      DeviceType device = DeviceType::kCpu);
  ~Model();

  const std::string& spec() const { return spec_; }
  const Shape& input_shape() const { return input_shape_; }
  int64_t outputs() const { return outputs_; }
  DeviceType device() const { return device_; }
  int64_t num_params() const { return params_.numel(); }
  const Tensor& params() const { return params_; }
  const Tensor& grads() const { return grads_; }
  const std::vector<ParamInfo>& param_infos() const { return infos_; }
  // One line per layer: "  2 linear(128) relu      [784] -> [128]   100480 params".
  std::string Summary() const;
  // Multiply-adds per sample of the GEMM-like layers, times 2: forward, and
  // backward without the input gradient of the first layer (what training does).
  int64_t ForwardFlopsPerSample() const { return forward_flops_; }
  int64_t BackwardFlopsPerSample() const { return backward_flops_; }

  void Initialize(uint64_t seed);
  // Throws kUsage for a scale that is not finite and positive or an offset
  // that is not finite.
  void set_output_transform(const OutputTransform& transform);
  const OutputTransform& output_transform() const { return output_transform_; }

  // x: [N, input_shape...] normalised features. Returns [N, outputs].
  Tensor Forward(const Tensor& x, const PassContext& ctx);
  // For scoring: x on any device is copied to the model's, and the output
  // comes back on the host (the jobs' metrics and writers read it there).
  Tensor ForwardToHost(const Tensor& x, const PassContext& ctx);
  // The same model (spec, shapes, parameters) on `device`.
  std::unique_ptr<Model> CopyTo(DeviceType device) const;
  // Called with each layer's parameter range as soon as its gradients are final.
  using GradientsReady = std::function<void(int64_t offset, int64_t count)>;
  void Backward(const Tensor& doutput, const PassContext& ctx, const GradientsReady& ready);

 private:
  Model() = default;
  std::string spec_;
  Shape input_shape_;
  int64_t outputs_ = 0;
  DeviceType device_ = DeviceType::kCpu;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Shape> shapes_;                    // per-sample shape before each layer, and the output
  std::vector<std::pair<int64_t, int64_t>> ranges_;  // per layer: param offset, count
  std::vector<ParamInfo> infos_;
  std::vector<ParamSpec> specs_;
  Tensor params_, grads_;
  OutputTransform output_transform_;
  Tensor output_offset_;            // [outputs] = offset, on device_ (non-identity transform only)
  Tensor output_, doutput_scaled_;  // the transformed output and the gradient behind it
  int64_t forward_flops_ = 0, backward_flops_ = 0;
};

}  // namespace aif
