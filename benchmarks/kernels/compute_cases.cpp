// The GEMM-bound ops as aif_kernel_bench cases, on the shapes training runs:
// - ops::Matmul, f32 and bf16 operands (f32 output), on every GEMM of a
//   training step of the MLP 784-512-256-10 at batch 256 and the wide MLP
//   784-4096-4096-10 at batch 4096: per layer the forward x W^T, the weight
//   gradient dz^T x and the input gradient dz W (training skips the first
//   layer's, listed anyway). FLOPs = 2 m n k. Hidden layers also as
//   ops::LinearForward (bias and ReLU fused into the GEMM by cuBLASLt)
//   against Matmul + BiasActivationForward, to show what the fusion saves.
// - Conv2dForward/Backward on the Fashion-MNIST CNN's convolutions at batch
//   128 (jobs/configs/fmnist_cnn.ini): conv(32,3,pad=1) on 1x28x28 and
//   conv(64,3,pad=1) on 32x14x14. FLOPs = 2 N K P Q C R S per product; the
//   backward computes dw, and dx except for the first layer (as training).
//   aif's convolutions are f32 (cuDNN, no TF32), so they compare with the
//   f32 GEMM peak.
#include <cmath>
#include <memory>

#include "core/strings.h"  // Format
#include "kernel_case.h"
#include "kernels/ops.h"  // Matmul, LinearForward, Conv2dForward/Backward, casts

namespace aif {
namespace kernel_bench {
namespace {

using Tensors = std::vector<Tensor>;

Tensor ToBF16(const Tensor& f) {
  Tensor h = Tensor::Empty(f.shape(), DType::kBF16);
  ops::CastF32ToBF16(f, h);
  return h;
}

std::string Op(const Shape& s, bool t) {
  return Format("[%lld,%lld]%s", static_cast<long long>(s[0]), static_cast<long long>(s[1]), t ? "^T" : "");
}

// c = op(a) op(b), a [ar, ac], b [br, bc], on both devices, f32 or bf16 operands.
KernelCase Gemm(const std::string& variant, const Shape& as, bool ta, const Shape& bs, bool tb, DType dtype,
                uint64_t seed) {
  const int64_t m = ta ? as[1] : as[0], k = ta ? as[0] : as[1], n = tb ? bs[0] : bs[1];
  const bool bf16 = dtype == DType::kBF16;
  KernelCase c{"Matmul", Format("%s %s", bf16 ? "bf16" : "f32", variant.c_str()), Op(as, ta) + "x" + Op(bs, tb),
               bf16 ? Peak::kGemmBF16 : Peak::kGemmF32, 0, 2.0 * m * n * k, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor a = Uniform(as, seed), b = Uniform(bs, seed + 1), out = Tensor::Empty({m, n});
    if (bf16) {
      a = ToBF16(a);
      b = ToBF16(b);
    }
    *g = {Gpu(a), Gpu(b), GpuEmpty({m, n})};
    ops::Matmul(a, ta, b, tb, out);  // bf16: exact products summed in f32, as on the GPU
    ops::Matmul((*g)[0], ta, (*g)[1], tb, (*g)[2]);
    return Compare("c", (*g)[2], out, 1e-6 * static_cast<double>(k) + 1e-6, 1e-5);
  };
  c.run = [=] { ops::Matmul((*g)[0], ta, (*g)[1], tb, (*g)[2]); };
  return c;
}

// A hidden layer's forward pass, y = relu(x W^T + b): ops::LinearForward
// (cuBLASLt with the bias and ReLU in the GEMM's epilogue), or, `fused`
// false, the same as Matmul then BiasActivationForward (the extra pass over
// y the fusion saves). FLOPs: the GEMM's.
KernelCase Linear(const std::string& variant, int64_t batch, int64_t in, int64_t out, DType dtype, bool fused,
                  uint64_t seed) {
  const bool bf16 = dtype == DType::kBF16;
  KernelCase c{fused ? "LinearForward" : "Matmul+BiasRelu",
               Format("%s %s", bf16 ? "bf16" : "f32", variant.c_str()),
               Op({batch, in}, false) + "x" + Op({out, in}, true) + "+b,relu",
               bf16 ? Peak::kGemmBF16 : Peak::kGemmF32,
               0,
               2.0 * batch * out * in,
               nullptr,
               nullptr};
  auto g = std::make_shared<Tensors>();
  auto run = [=](const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y) {
    if (fused) {
      ops::LinearForward(x, w, b, ops::Activation::kRelu, y, Tensor());
    } else {
      ops::Matmul(x, false, w, true, y);
      ops::BiasActivationForward(y, b, ops::Activation::kRelu, y, Tensor());
    }
  };
  c.check = [=] {
    Tensor x = Uniform({batch, in}, seed), w = Uniform({out, in}, seed + 1), b = Uniform({out}, seed + 2);
    if (bf16) {
      x = ToBF16(x);
      w = ToBF16(w);
    }
    Tensor y = Tensor::Empty({batch, out});
    *g = {Gpu(x), Gpu(w), Gpu(b), GpuEmpty({batch, out})};
    run(x, w, b, y);
    run((*g)[0], (*g)[1], (*g)[2], (*g)[3]);
    return Compare("y", (*g)[3], y, 1e-6 * static_cast<double>(in) + 1e-6, 1e-5);
  };
  c.run = [=] { run((*g)[0], (*g)[1], (*g)[2], (*g)[3]); };
  return c;
}

void AddMlp(std::vector<CaseMaker>* cases, const char* name, const std::vector<int64_t>& widths, int64_t batch) {
  for (DType dtype : {DType::kF32, DType::kBF16}) {
    for (size_t l = 0; l + 1 < widths.size(); ++l) {
      const int64_t in = widths[l], out = widths[l + 1];
      const uint64_t seed = 100 + 10 * l;
      const std::string layer = Format("%s L%zu", name, l + 1);
      cases->push_back([=] { return Gemm(layer + " fwd", {batch, in}, false, {out, in}, true, dtype, seed); });
      cases->push_back([=] { return Gemm(layer + " dW", {batch, out}, true, {batch, in}, false, dtype, seed); });
      cases->push_back([=] { return Gemm(layer + " dX", {batch, out}, false, {out, in}, false, dtype, seed); });
      if (l + 2 < widths.size()) {  // hidden layers: bias and ReLU, fused or not
        for (bool fused : {true, false}) {
          cases->push_back([=] { return Linear(layer + " fwd", batch, in, out, dtype, fused, seed); });
        }
      }
    }
  }
}

struct ConvGeometry {
  const char* name;
  Shape x, w;
  bool first;  // first layer: no dx
};

Shape ConvOut(const ConvGeometry& c, const ops::Conv2dParams& p) {
  return {c.x[0], c.w[0], ops::ConvOutputSize(c.x[2], c.w[2], p.stride, p.padding),
          ops::ConvOutputSize(c.x[3], c.w[3], p.stride, p.padding)};
}

Tensor CpuWorkspace(const Shape& x, const Shape& w, const ops::Conv2dParams& p) {
  const int64_t n = ops::Conv2dWorkspaceElements(x, w, p);
  return n > 0 ? Tensor::Empty({n}) : Tensor();
}

KernelCase Conv(const ConvGeometry& geo, bool backward) {
  ops::Conv2dParams p;
  p.padding = 1;
  const Shape ys = ConvOut(geo, p);
  const double products = static_cast<double>(geo.w[1] * geo.w[2] * geo.w[3]);  // C R S per output
  const double fwd = 2.0 * static_cast<double>(NumElements(ys)) * products;
  KernelCase c{backward ? "Conv2dBackward" : "Conv2dForward",
               Format("f32 %s%s", geo.name, backward ? (geo.first ? " dw,db" : " dx,dw,db") : " +bias"),
               Format("x%s w%s p1", Dims(geo.x).c_str(), Dims(geo.w).c_str()), Peak::kGemmF32, 0,
               backward && !geo.first ? 2 * fwd : fwd, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor x = Uniform(geo.x, 200), w = Uniform(geo.w, 201), b = Uniform({geo.w[0]}, 202);
    const Tensor ws = CpuWorkspace(geo.x, geo.w, p);
    if (!backward) {
      Tensor y = Tensor::Empty(ys);
      *g = {Gpu(x), Gpu(w), Gpu(b), GpuEmpty(ys)};
      ops::Conv2dForward(x, w, b, p, y, ws);
      ops::Conv2dForward((*g)[0], (*g)[1], (*g)[2], p, (*g)[3], Tensor());
      return Compare("y", (*g)[3], y, 1e-6 * products + 1e-6, 1e-5);
    }
    Tensor dy = Uniform(ys, 203), dw = Tensor::Empty(geo.w), db = Tensor::Empty({geo.w[0]});
    Tensor dx = geo.first ? Tensor() : Tensor::Empty(geo.x);
    *g = {Gpu(x), Gpu(w), Gpu(dy), geo.first ? Tensor() : GpuEmpty(geo.x), GpuEmpty(geo.w), GpuEmpty({geo.w[0]})};
    ops::Conv2dBackward(x, w, dy, p, dx, dw, db, false, ws);
    ops::Conv2dBackward((*g)[0], (*g)[1], (*g)[2], p, (*g)[3], (*g)[4], (*g)[5], false, Tensor());
    const double per_weight = static_cast<double>(ys[0] * ys[2] * ys[3]);  // N P Q products per dw element
    CheckResult r = Compare("dw", (*g)[4], dw, 1e-6 * per_weight + 1e-6, 1e-5);
    r.Merge(Compare("dbias", (*g)[5], db, 1e-6 * per_weight + 1e-6, 1e-5));
    if (!geo.first) {
      r.Merge(Compare("dx", (*g)[3], dx, 1e-6 * static_cast<double>(geo.w[0] * geo.w[2] * geo.w[3]) + 1e-6, 1e-5));
    }
    return r;
  };
  c.run = [=] {
    const Tensors& t = *g;
    if (backward) ops::Conv2dBackward(t[0], t[1], t[2], p, t[3], t[4], t[5], false, Tensor());
    else ops::Conv2dForward(t[0], t[1], t[2], p, t[3], Tensor());
  };
  return c;
}

}  // namespace

std::vector<CaseMaker> GemmBoundCases() {
  std::vector<CaseMaker> cases;
  AddMlp(&cases, "mlp b256", {784, 512, 256, 10}, 256);
  AddMlp(&cases, "wide b4096", {784, 4096, 4096, 10}, 4096);
  const ConvGeometry convs[] = {{"conv1 b128", {128, 1, 28, 28}, {32, 1, 3, 3}, true},
                                {"conv2 b128", {128, 32, 14, 14}, {64, 32, 3, 3}, false}};
  for (const ConvGeometry& geo : convs) {
    cases.push_back([=] { return Conv(geo, false); });
    cases.push_back([=] { return Conv(geo, true); });
  }
  return cases;
}

}  // namespace kernel_bench
}  // namespace aif
