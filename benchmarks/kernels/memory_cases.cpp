// The memory-bound ops of kernels/ops.h as aif_kernel_bench cases. Each
// case's `bytes` is the least traffic the op's contract allows: every input
// read once, every output written once, in the tensors' own types (f32 4 B,
// bf16 2 B, u8 mask 1 B, i32 labels and argmax 4 B, i64 sample ids 8 B).
// Re-reads a kernel does on top (softmax reads a row up to three times)
// count as its cost, not as bytes. Shapes: 2-D ops run on rows of 4096
// (the wide MLP's hidden width); pooling on [N, 64, 56, 56].
//
// Timed calls use outputs separate from their inputs, so every call sees the
// same data; the in-place ops (optimizers, Scale, Axpy) drift slowly over
// the calls, which does not change their cost.
#include <algorithm>
#include <memory>

#include "core/strings.h"  // Format
#include "kernel_case.h"
#include "kernels/ops.h"  // the ops measured

namespace aif {
namespace kernel_bench {
namespace {

using ops::Activation;
using Tensors = std::vector<Tensor>;

constexpr int64_t kCols = 4096;
// Exact IEEE formulas (ReLU, dropout, optimizers, Scale, Axpy) give the CPU's
// bits by design (docs/cuda.md); a small tolerance keeps the benchmark about
// speed and leaves bit equality to the GPU tests.
constexpr double kTol = 1e-7, kEps = 1e-6;

const char* ActName(Activation act) { return act == Activation::kRelu ? "relu" : "gelu"; }

KernelCase BiasActForward(int64_t rows, Activation act) {
  const Shape shape{rows, kCols};
  const double n = static_cast<double>(rows * kCols);
  const bool gelu = act == Activation::kGelu;
  // x read, y written, and for GELU the pre-activation its backward needs (as the linear layer asks).
  KernelCase c{"BiasActivationForward", gelu ? "gelu +pre" : "relu", Dims(shape), Peak::kCopy,
               (gelu ? 12 : 8) * n + 4.0 * kCols, 0, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor x = Uniform(shape, 1, -3, 3), b = Uniform({kCols}, 2);  // |x + b| <= 4, as the GPU tests
    Tensor y = Tensor::Empty(shape), pre = gelu ? Tensor::Empty(shape) : Tensor();
    *g = {Gpu(x), Gpu(b), GpuEmpty(shape), gelu ? GpuEmpty(shape) : Tensor()};
    ops::BiasActivationForward(x, b, act, y, pre);
    ops::BiasActivationForward((*g)[0], (*g)[1], act, (*g)[2], (*g)[3]);
    CheckResult r = Compare("y", (*g)[2], y, gelu ? 1e-5 : kTol, gelu ? 1e-5 : kEps);
    if (gelu) r.Merge(Compare("pre", (*g)[3], pre, kTol, kEps));
    return r;
  };
  c.run = [=] { ops::BiasActivationForward((*g)[0], (*g)[1], act, (*g)[2], (*g)[3]); };
  return c;
}

KernelCase BiasActBackward(int64_t rows, Activation act) {
  const Shape shape{rows, kCols};
  const double n = static_cast<double>(rows * kCols);
  // dy and the saved tensor read, dz written, dbias [4096] written.
  KernelCase c{"BiasActivationBackward", Format("%s +dbias", ActName(act)), Dims(shape), Peak::kCopy,
               12 * n + 4.0 * kCols, 0, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor dy = Uniform(shape, 3), saved = Uniform(shape, 4, -4, 4);
    Tensor dz = Tensor::Empty(shape), db = Tensor::Empty({kCols});
    *g = {Gpu(dy), Gpu(saved), GpuEmpty(shape), GpuEmpty({kCols})};
    ops::BiasActivationBackward(dy, saved, act, dz, db, false);
    ops::BiasActivationBackward((*g)[0], (*g)[1], act, (*g)[2], (*g)[3], false);
    CheckResult r = Compare("dz", (*g)[2], dz, act == Activation::kGelu ? 1e-5 : kTol, 1e-5);
    // dbias sums `rows` values in another order.
    r.Merge(Compare("dbias", (*g)[3], db, 1e-6 * static_cast<double>(rows) + 1e-6, 1e-5));
    return r;
  };
  c.run = [=] { ops::BiasActivationBackward((*g)[0], (*g)[1], act, (*g)[2], (*g)[3], false); };
  return c;
}

KernelCase DropoutForward(int64_t rows) {
  const Shape shape{rows, kCols};
  const double n = static_cast<double>(rows * kCols);
  // x read, y written, the u8 mask written, one i64 sample id per row read.
  KernelCase c{"DropoutForward", "p 0.3", Dims(shape), Peak::kCopy, 9 * n + 8.0 * rows, 0, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor x = Uniform(shape, 5), ids = Tensor::Empty({rows}, DType::kI64);
    for (int64_t r = 0; r < rows; ++r) ids.data<int64_t>()[r] = 1000 + r;
    Tensor y = Tensor::Empty(shape), mask = Tensor::Empty(shape, DType::kU8);
    *g = {Gpu(x), Gpu(ids), GpuEmpty(shape), GpuEmpty(shape, DType::kU8)};
    ops::DropoutForward(x, 0.3f, 7, 9, ids, y, mask);
    ops::DropoutForward((*g)[0], 0.3f, 7, 9, (*g)[1], (*g)[2], (*g)[3]);
    CheckResult r = Compare("mask", (*g)[3], mask, 0, 0);
    r.Merge(Compare("y", (*g)[2], y, kTol, kEps));
    return r;
  };
  c.run = [=] { ops::DropoutForward((*g)[0], 0.3f, 7, 9, (*g)[1], (*g)[2], (*g)[3]); };
  return c;
}

KernelCase DropoutBackward(int64_t rows) {
  const Shape shape{rows, kCols};
  const double n = static_cast<double>(rows * kCols);
  KernelCase c{"DropoutBackward", "p 0.3", Dims(shape), Peak::kCopy, 9 * n, 0, nullptr, nullptr};  // dy, mask; dx
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor dy = Uniform(shape, 6), mask = Tensor::Empty(shape, DType::kU8), dx = Tensor::Empty(shape);
    const Tensor coin = Uniform(shape, 7, 0, 1);
    for (int64_t i = 0; i < mask.numel(); ++i) mask.data<uint8_t>()[i] = coin.data<float>()[i] >= 0.3f;
    *g = {Gpu(dy), Gpu(mask), GpuEmpty(shape)};
    ops::DropoutBackward(dy, mask, 0.3f, dx);
    ops::DropoutBackward((*g)[0], (*g)[1], 0.3f, (*g)[2]);
    return Compare("dx", (*g)[2], dx, kTol, kEps);
  };
  c.run = [=] { ops::DropoutBackward((*g)[0], (*g)[1], 0.3f, (*g)[2]); };
  return c;
}

KernelCase SoftmaxCrossEntropy(int64_t elements, int64_t classes) {
  const int64_t rows = elements / classes;
  const Shape shape{rows, classes};
  const double n = static_cast<double>(rows * classes);
  // logits read, dlogits written, one i32 label per row read; the loss is a scalar.
  KernelCase c{"SoftmaxCrossEntropy", Format("C=%lld", static_cast<long long>(classes)), Dims(shape), Peak::kCopy,
               8 * n + 4.0 * rows, 0, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  const float scale = 1.0f / 256;  // 1 / batch in training
  // Exponentials summed in another order: looser for many classes.
  const double eps = classes <= 32 ? 1e-5 : 1e-4;
  c.check = [=] {
    Tensor logits = Uniform(shape, 8, -5, 5), labels = Tensor::Empty({rows}, DType::kI32);
    const Tensor coin = Uniform({rows}, 9, 0, 1);
    for (int64_t r = 0; r < rows; ++r) {
      labels.data<int32_t>()[r] = std::min<int32_t>(static_cast<int32_t>(coin.data<float>()[r] * classes),
                                                    static_cast<int32_t>(classes - 1));
    }
    Tensor d = Tensor::Empty(shape);
    *g = {Gpu(logits), Gpu(labels), GpuEmpty(shape)};
    const double want = ops::SoftmaxCrossEntropy(logits, labels, Tensor(), scale, d);
    const double got = ops::SoftmaxCrossEntropy((*g)[0], (*g)[1], Tensor(), scale, (*g)[2]);
    CheckResult r = CompareValue("loss", got, want, 1e-6, 1e-6);
    r.Merge(Compare("dlogits", (*g)[2], d, 1e-6 * scale, eps));
    return r;
  };
  c.run = [=] { ops::SoftmaxCrossEntropy((*g)[0], (*g)[1], Tensor(), scale, (*g)[2]); };
  return c;
}

KernelCase SquaredNorm(int64_t n) {
  KernelCase c{"SquaredNorm", "", Dims({n}), Peak::kCopy, 4.0 * n, 0, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor x = Uniform({n}, 10);
    *g = {Gpu(x)};
    return CompareValue("sum of squares", ops::SquaredNorm((*g)[0]), ops::SquaredNorm(x), 0, 1e-9);
  };
  c.run = [=] { ops::SquaredNorm((*g)[0]); };
  return c;
}

KernelCase Sgd(int64_t n) {
  // param, grad, momentum read; param, momentum written.
  KernelCase c{"SgdUpdate", "momentum 0.9", Dims({n}), Peak::kCopy, 20.0 * n, 0, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  ops::SgdParams hp;
  hp.lr = 0.01f;
  hp.momentum = 0.9f;
  hp.weight_decay = 5e-4f;
  c.check = [=] {
    Tensor p = Uniform({n}, 11), grad = Uniform({n}, 12), buf = Uniform({n}, 13);
    *g = {Gpu(p), Gpu(grad), Gpu(buf)};
    ops::SgdUpdate(p, grad, buf, hp);
    ops::SgdUpdate((*g)[0], (*g)[1], (*g)[2], hp);
    CheckResult r = Compare("param", (*g)[0], p, kTol, kEps);
    r.Merge(Compare("momentum", (*g)[2], buf, kTol, kEps));
    return r;
  };
  c.run = [=] { ops::SgdUpdate((*g)[0], (*g)[1], (*g)[2], hp); };
  return c;
}

KernelCase AdamW(int64_t n) {
  // param, grad, m, v read; param, m, v written.
  KernelCase c{"AdamWUpdate", "", Dims({n}), Peak::kCopy, 28.0 * n, 0, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  ops::AdamWParams hp;
  hp.step = 10;
  c.check = [=] {
    Tensor p = Uniform({n}, 14), grad = Uniform({n}, 15), m = Uniform({n}, 16, -0.1f, 0.1f);
    Tensor v = Uniform({n}, 17, 0, 0.01f);
    *g = {Gpu(p), Gpu(grad), Gpu(m), Gpu(v)};
    ops::AdamWUpdate(p, grad, m, v, hp);
    ops::AdamWUpdate((*g)[0], (*g)[1], (*g)[2], (*g)[3], hp);
    CheckResult r = Compare("param", (*g)[0], p, kTol, kEps);
    r.Merge(Compare("m", (*g)[2], m, kTol, kEps));
    r.Merge(Compare("v", (*g)[3], v, kTol, kEps));
    return r;
  };
  c.run = [=] { ops::AdamWUpdate((*g)[0], (*g)[1], (*g)[2], (*g)[3], hp); };
  return c;
}

KernelCase Cast(int64_t n, bool to_bf16) {
  KernelCase c{to_bf16 ? "CastF32ToBF16" : "CastBF16ToF32", "", Dims({n}), Peak::kCopy, 6.0 * n, 0, nullptr,
               nullptr};  // 4 B read and 2 B written, or the reverse
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor f = Uniform({n}, 18, -100, 100), h = Tensor::Empty({n}, DType::kBF16);
    ops::CastF32ToBF16(f, h);
    Tensor out = to_bf16 ? Tensor::Empty({n}, DType::kBF16) : Tensor::Empty({n});
    const Tensor& in = to_bf16 ? f : h;
    *g = {Gpu(in), GpuEmpty({n}, out.dtype())};
    if (to_bf16) {
      ops::CastF32ToBF16((*g)[0], (*g)[1]);
      return Compare("bf16", (*g)[1], h, 0, 0);  // round to nearest even: the same bits
    }
    ops::CastBF16ToF32(h, out);
    ops::CastBF16ToF32((*g)[0], (*g)[1]);
    return Compare("f32", (*g)[1], out, 0, 0);
  };
  c.run = [=] {
    if (to_bf16) ops::CastF32ToBF16((*g)[0], (*g)[1]);
    else ops::CastBF16ToF32((*g)[0], (*g)[1]);
  };
  return c;
}

KernelCase Scale(int64_t n) {
  KernelCase c{"Scale", "x *= 0.999", Dims({n}), Peak::kCopy, 8.0 * n, 0, nullptr, nullptr};  // x read, x written
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor x = Uniform({n}, 19);
    *g = {Gpu(x)};
    ops::Scale(x, 0.999f);
    ops::Scale((*g)[0], 0.999f);
    return Compare("x", (*g)[0], x, kTol, kEps);
  };
  c.run = [=] { ops::Scale((*g)[0], 0.999f); };
  return c;
}

KernelCase Axpy(int64_t n) {
  KernelCase c{"Axpy", "y += 1e-3 x", Dims({n}), Peak::kCopy, 12.0 * n, 0, nullptr, nullptr};  // x, y read; y written
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor x = Uniform({n}, 20), y = Uniform({n}, 21);
    *g = {Gpu(x), Gpu(y)};
    ops::Axpy(1e-3f, x, y);
    ops::Axpy(1e-3f, (*g)[0], (*g)[1]);
    return Compare("y", (*g)[1], y, kTol, kEps);
  };
  c.run = [=] { ops::Axpy(1e-3f, (*g)[0], (*g)[1]); };
  return c;
}

// 2x2 windows, stride 2 on [N, 64, 56, 56]: n input elements, n/4 outputs.
Shape PoolShape(int64_t elements) { return {std::max<int64_t>(1, elements / (64 * 56 * 56)), 64, 56, 56}; }
Shape Pooled(const Shape& x) { return {x[0], x[1], x[2] / 2, x[3] / 2}; }

KernelCase PoolForward(int64_t elements) {
  const Shape xs = PoolShape(elements), ys = Pooled(xs);
  const double n = static_cast<double>(NumElements(xs));
  // x read; y and the i32 argmax written, a quarter of x each.
  KernelCase c{"MaxPool2dForward", "2x2/2", Dims(xs), Peak::kCopy, 4 * n + 2 * n, 0, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor x = Uniform(xs, 22), y = Tensor::Empty(ys), am = Tensor::Empty(ys, DType::kI32);
    *g = {Gpu(x), GpuEmpty(ys), GpuEmpty(ys, DType::kI32)};
    ops::MaxPool2dForward(x, 2, 2, y, am);
    ops::MaxPool2dForward((*g)[0], 2, 2, (*g)[1], (*g)[2]);
    CheckResult r = Compare("y", (*g)[1], y, 0, 0);
    r.Merge(Compare("argmax", (*g)[2], am, 0, 0));
    return r;
  };
  c.run = [=] { ops::MaxPool2dForward((*g)[0], 2, 2, (*g)[1], (*g)[2]); };
  return c;
}

KernelCase PoolBackward(int64_t elements) {
  const Shape xs = PoolShape(elements), ys = Pooled(xs);
  const double n = static_cast<double>(NumElements(xs));
  // dy and argmax read (a quarter of x each), dx written.
  KernelCase c{"MaxPool2dBackward", "2x2/2", Dims(xs), Peak::kCopy, 2 * n + 4 * n, 0, nullptr, nullptr};
  auto g = std::make_shared<Tensors>();
  c.check = [=] {
    Tensor x = Uniform(xs, 23), y = Tensor::Empty(ys), am = Tensor::Empty(ys, DType::kI32);
    ops::MaxPool2dForward(x, 2, 2, y, am);
    Tensor dy = Uniform(ys, 24), dx = Tensor::Empty(xs);
    *g = {Gpu(dy), Gpu(am), GpuEmpty(xs)};
    ops::MaxPool2dBackward(dy, am, 2, 2, dx);
    ops::MaxPool2dBackward((*g)[0], (*g)[1], 2, 2, (*g)[2]);
    return Compare("dx", (*g)[2], dx, 0, 0);  // the CPU's additions in the CPU's order
  };
  c.run = [=] { ops::MaxPool2dBackward((*g)[0], (*g)[1], 2, 2, (*g)[2]); };
  return c;
}

}  // namespace

std::vector<CaseMaker> MemoryBoundCases(int64_t n) {
  const int64_t rows = std::max<int64_t>(1, n / kCols);
  return {
      [=] { return BiasActForward(rows, Activation::kRelu); },
      [=] { return BiasActForward(rows, Activation::kGelu); },
      [=] { return BiasActBackward(rows, Activation::kRelu); },
      [=] { return BiasActBackward(rows, Activation::kGelu); },
      [=] { return DropoutForward(rows); },
      [=] { return DropoutBackward(rows); },
      [=] { return SoftmaxCrossEntropy(n, 10); },
      [=] { return SoftmaxCrossEntropy(n, 1000); },
      [=] { return SquaredNorm(n); },
      [=] { return Sgd(n); },
      [=] { return AdamW(n); },
      [=] { return Cast(n, true); },
      [=] { return Cast(n, false); },
      [=] { return Scale(n); },
      [=] { return Axpy(n); },
      [=] { return PoolForward(n); },
      [=] { return PoolBackward(n); },
  };
}

}  // namespace kernel_bench
}  // namespace aif
