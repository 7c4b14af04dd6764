// Models from specs: parsing, shape checks with errors that name the token,
// deterministic initialisation, and finite-difference gradient checks of
// every layer type through whole small models.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "kernels/ops.h"
#include "nn/model.h"
#include "nn/model_spec.h"

namespace aif {
namespace {

std::string UsageError(const std::string& spec, const Shape& in, int64_t outputs) {
  try {
    Model::Build(spec, in, outputs);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a usage error for '" << spec << "'";
  return "";
}

TEST(ModelSpec, ParsesBothForms) {
  int64_t inputs = 0;
  auto t = ParseModelSpec("mlp 784-256-128-10 gelu dropout=0.1", &inputs);
  EXPECT_EQ(inputs, 784);
  std::vector<std::string> kinds;
  for (const auto& tok : t) kinds.push_back(tok.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"flatten", "linear", "gelu", "dropout", "linear", "gelu", "dropout",
                                             "linear"}));
  t = ParseModelSpec("conv(32, 3, pad=1) relu pool(2) conv(8,5,stride=2) flatten linear(10)", &inputs);
  EXPECT_EQ(inputs, 0);
  EXPECT_EQ(t[0].ints, (std::vector<int64_t>{32, 3, 1, 1}));
  EXPECT_EQ(t[2].ints, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(t[3].ints, (std::vector<int64_t>{8, 5, 2, 0}));
}

TEST(ModelSpec, ErrorsNameTheToken) {
  const Shape image = {1, 28, 28};
  EXPECT_NE(UsageError("conv(32,3) relu pol(2) flatten linear(10)", image, 10).find("token 3 'pol(2)'"),
            std::string::npos);
  EXPECT_NE(UsageError("linear(x)", {4}, 10).find("'x' is not a positive integer"), std::string::npos);
  EXPECT_NE(UsageError("conv(8,3) linear(10)", image, 10).find("add 'flatten'"), std::string::npos);
  EXPECT_NE(UsageError("mlp 100-10", image, 10).find("784 features"), std::string::npos);
  EXPECT_NE(UsageError("mlp 784-64-12", image, 10).find("[12]"), std::string::npos);
  EXPECT_NE(UsageError("conv(8,3) flatten linear(10)", {20}, 10).find("image input"), std::string::npos);
  EXPECT_NE(UsageError("conv(8,30) flatten linear(10)", image, 10).find("does not fit"), std::string::npos);
  EXPECT_NE(UsageError("relu flatten", {10}, 10).find("no trainable layer"), std::string::npos);
  EXPECT_NE(UsageError("mlp 784-10 dropout=1.5", image, 10).find("dropout"), std::string::npos);
  EXPECT_NE(UsageError("", image, 10).find("empty"), std::string::npos);
}

TEST(Model, LayoutFlopsAndDeterministicInit) {
  auto m = Model::Build("mlp 784-512-256-10 relu", {1, 28, 28}, 10);
  EXPECT_EQ(m->num_params(), 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10);
  EXPECT_EQ(m->ForwardFlopsPerSample(), 2 * (784 * 512 + 512 * 256 + 256 * 10));
  // Backward: weight gradients everywhere, input gradients except for the first layer.
  EXPECT_EQ(m->BackwardFlopsPerSample(), 2 * (784 * 512 + 2 * 512 * 256 + 2 * 256 * 10));
  ASSERT_EQ(m->param_infos().size(), 6u);
  EXPECT_FALSE(m->param_infos()[1].decay);  // biases are not decayed
  m->Initialize(5);
  auto again = Model::Build("mlp 784-512-256-10 relu", {1, 28, 28}, 10);
  again->Initialize(5);
  EXPECT_EQ(0, std::memcmp(m->params().raw(), again->params().raw(), m->params().nbytes()));
  again->Initialize(6);
  EXPECT_NE(0, std::memcmp(m->params().raw(), again->params().raw(), m->params().nbytes()));
  // He initialisation: std of the first weight matrix close to sqrt(2 / 784).
  const ParamInfo& w = m->param_infos()[0];
  double sq = 0;
  for (int64_t i = 0; i < w.numel(); ++i) sq += std::pow(m->params().data<float>()[w.offset + i], 2);
  EXPECT_NEAR(std::sqrt(sq / w.numel()), std::sqrt(2.0 / 784), 0.002);
}

// Loss of a batch (summed cross-entropy) for the model's current parameters.
double Loss(Model& m, const Tensor& x, const Tensor& labels, const PassContext& ctx, Tensor* dout) {
  Tensor out = m.Forward(x, ctx);
  if (!dout->defined()) *dout = Tensor::Empty(out.shape());
  return ops::SoftmaxCrossEntropy(out, labels, Tensor(), 1.0f, *dout);
}

// Central differences on a sample of parameters against Backward.
void GradCheck(const std::string& spec, const Shape& in, int64_t outputs) {
  SCOPED_TRACE(spec);
  auto m = Model::Build(spec, in, outputs);
  m->Initialize(3);
  const int64_t N = 4;
  Shape xs = {N};
  xs.insert(xs.end(), in.begin(), in.end());
  Tensor x = Tensor::Empty(xs), labels = Tensor::Empty({N}, DType::kI32), ids = Tensor::Empty({N}, DType::kI64);
  for (int64_t i = 0; i < x.numel(); ++i) {
    x.data<float>()[i] = 2 * UniformFloat(RandomBits(9, RngPurpose::kSynthetic, 0, i).v[0]) - 1;
  }
  for (int64_t i = 0; i < N; ++i) {
    labels.data<int32_t>()[i] = static_cast<int32_t>(i % outputs);
    ids.data<int64_t>()[i] = 100 + i;
  }
  PassContext ctx;
  ctx.seed = 1;
  ctx.sample_ids = ids;
  Tensor dout;
  Loss(*m, x, labels, ctx, &dout);
  m->Backward(dout, ctx, nullptr);
  std::vector<float> analytic(m->grads().data<float>(), m->grads().data<float>() + m->num_params());
  float* p = m->params().data<float>();
  // Central differences at h and h/4. Where they disagree the loss is not
  // smooth within h of the point (a ReLU or max-pool switch): skip it there,
  // but never more than a few points.
  auto numeric = [&](int64_t k, float h) {
    const float saved = p[k];
    p[k] = saved + h;
    double up = Loss(*m, x, labels, ctx, &dout);
    p[k] = saved - h;
    double down = Loss(*m, x, labels, ctx, &dout);
    p[k] = saved;
    return (up - down) / (2.0 * h);
  };
  int checked = 0, skipped = 0;
  for (int64_t k = 0; k < m->num_params(); k += std::max<int64_t>(1, m->num_params() / 40)) {
    const double coarse = numeric(k, 4e-3f), fine = numeric(k, 1e-3f);
    const double tol = 2e-3 + 3e-2 * std::fabs(fine);
    if (std::fabs(coarse - fine) > tol) {
      ++skipped;
      continue;
    }
    EXPECT_NEAR(analytic[k], fine, tol) << "parameter " << k;
    ++checked;
  }
  EXPECT_GT(checked, 10);
  EXPECT_LE(skipped, checked / 5) << "too many non-smooth points to judge";
}

TEST(ModelGradients, MatchFiniteDifferences) {
  GradCheck("mlp 12-7-5 relu", {12}, 5);
  GradCheck("mlp 12-9-3 gelu", {12}, 3);
  GradCheck("mlp 12-9-3 relu dropout=0.3", {12}, 3);  // the mask is fixed by (seed, step, sample)
  GradCheck("linear(6) gelu linear(6) relu linear(4)", {5}, 4);
  GradCheck("conv(3,3,pad=1) relu pool(2) flatten linear(4)", {2, 6, 6}, 4);
  GradCheck("conv(3,3,pad=1) gelu pool(2) flatten linear(4)", {2, 6, 6}, 4);
  GradCheck("conv(4,3,stride=2) gelu conv(2,2) flatten linear(3)", {1, 9, 9}, 3);
}

}  // namespace
}  // namespace aif
