// The public convolution and pooling ops (NCHW): operand checks, the
// geometry both backends take (kernels/vision_geometry.h), and dispatch
// (AIF_DISPATCH, as in ops.cpp): CPU operands to cpu/conv.cpp and
// cpu/pool.cpp, CUDA operands to cuda/conv.cu (cuDNN) and cuda/pool.cu.
// The convolution workspace is the caller's scratch for the CPU: one image's
// im2col matrix, none for a 1x1, stride-1, unpadded convolution. CUDA ignores
// it (cuDNN's workspace is the backend's own): any size, or undefined.
#include <climits>

#include "core/strings.h"
#include "kernels/dispatch.h"
#include "kernels/op_check.h"
#include "kernels/ops.h"
#include "kernels/vision_geometry.h"

namespace aif {
namespace ops {
namespace {

bool WindowFits(int64_t in, int64_t k, int64_t stride, int64_t padding) {
  return k >= 1 && stride >= 1 && padding >= 0 && in + 2 * padding >= k;
}

ConvGeometry ConvGeometryOf(const OpCheck& check, const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  check.Type(x, DType::kF32);
  check.Type(w, DType::kF32);
  check.Require(x.rank() == 4 && w.rank() == 4, "x and w must be 4-D (NCHW and KCRS)");
  check.Require(x.dim(1) == w.dim(1), "x and w differ in input channels");
  check.Require(
      WindowFits(x.dim(2), w.dim(2), p.stride, p.padding) && WindowFits(x.dim(3), w.dim(3), p.stride, p.padding),
      Format("the kernel does not fit the padded input with stride %lld, padding %lld",
             static_cast<long long>(p.stride), static_cast<long long>(p.padding))
          .c_str());
  ConvGeometry g{};
  g.n = x.dim(0), g.c = x.dim(1), g.h = x.dim(2), g.w = x.dim(3);
  g.k = w.dim(0), g.r = w.dim(2), g.s = w.dim(3);
  g.stride = p.stride, g.padding = p.padding;
  g.p = ConvOutputSize(g.h, g.r, g.stride, g.padding);
  g.q = ConvOutputSize(g.w, g.s, g.stride, g.padding);
  check.Require(FitsBlasInt({g.k, g.c * g.r * g.s, g.p * g.q}), "dimensions exceed BLAS's 32-bit int");
  return g;
}

// The CPU's workspace, or null when the geometry needs none. For CUDA
// operands null (ignored), after checking that cuDNN's int sizes and strides
// can describe one image of x and of y (larger batches run in chunks).
float* ConvWorkspace(const OpCheck& check, const ConvGeometry& g, const Tensor& workspace) {
  if (OnCuda(check)) {
    check.Require(g.c * g.h * g.w <= INT_MAX && g.k * g.p * g.q <= INT_MAX && g.stride <= INT_MAX &&
                      g.padding <= INT_MAX,
                  "an image or the convolution's parameters exceed cuDNN's 32-bit int");
    return nullptr;
  }
  if (cpu::ConvIsPointwise(g)) return DataOrNull<float>(workspace);
  check.Type(workspace, DType::kF32);
  if (workspace.numel() < g.c * g.r * g.s * g.p * g.q) {
    check.Fail("workspace is smaller than Conv2dWorkspaceElements()");
  }
  return workspace.data<float>();
}

// The pooling geometry of an input x [N, C, H, W] (x or dx), checked.
PoolGeometry PoolGeometryOf(const OpCheck& check, const Tensor& x, int64_t kernel, int64_t stride) {
  check.Type(x, DType::kF32);
  check.Require(x.rank() == 4, "the input must be 4-D (NCHW)");
  check.Require(WindowFits(x.dim(2), kernel, stride, 0) && WindowFits(x.dim(3), kernel, stride, 0),
                Format("window %lld with stride %lld does not fit the input", static_cast<long long>(kernel),
                       static_cast<long long>(stride))
                    .c_str());
  check.Require(x.dim(2) * x.dim(3) <= INT32_MAX, "planes too large for i32 argmax");
  PoolGeometry g{};
  g.planes = x.dim(0) * x.dim(1), g.h = x.dim(2), g.w = x.dim(3), g.kernel = kernel, g.stride = stride;
  g.p = ConvOutputSize(g.h, kernel, stride, 0);
  g.q = ConvOutputSize(g.w, kernel, stride, 0);
  return g;
}

}  // namespace

int64_t ConvOutputSize(int64_t in, int64_t k, int64_t stride, int64_t padding) {
  if (!WindowFits(in, k, stride, padding)) {
    ThrowInternal("convolution window %lld with stride %lld and padding %lld does not fit input size %lld",
                  static_cast<long long>(k), static_cast<long long>(stride), static_cast<long long>(padding),
                  static_cast<long long>(in));
  }
  return (in + 2 * padding - k) / stride + 1;
}

int64_t Conv2dWorkspaceElements(const Shape& x, const Shape& w, const Conv2dParams& p, DeviceType device) {
  if (x.size() != 4 || w.size() != 4) {
    ThrowInternal("Conv2dWorkspaceElements: x %s and w %s must be 4-D", ShapeString(x).c_str(), ShapeString(w).c_str());
  }
  ConvGeometry g{};
  g.r = w[2], g.s = w[3], g.stride = p.stride, g.padding = p.padding;
  if (device == DeviceType::kCuda || cpu::ConvIsPointwise(g)) return 0;
  return x[1] * w[2] * w[3] * ConvOutputSize(x[2], w[2], p.stride, p.padding) *
         ConvOutputSize(x[3], w[3], p.stride, p.padding);
}

void Conv2dForward(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p, const Tensor& y,
                   const Tensor& workspace) {
  OpCheck check("Conv2dForward", {{"x", x}, {"w", w}, {"bias", bias}, {"y", y}, {"workspace", workspace}});
  const ConvGeometry g = ConvGeometryOf(check, x, w, p);
  check.HasIfDefined(bias, DType::kF32, {g.k});
  check.Has(y, DType::kF32, {g.n, g.k, g.p, g.q});
  check.Require(!Overlap(y, x) && !Overlap(y, workspace), "y overlaps x or the workspace");
  float* scratch = ConvWorkspace(check, g, workspace);
  AIF_DISPATCH(check, Conv2dForward, g, x.data<float>(), w.data<float>(), DataOrNull<float>(bias), y.data<float>(),
               scratch);
}

void Conv2dBackward(const Tensor& x, const Tensor& w, const Tensor& dy, const Conv2dParams& p, const Tensor& dx,
                    const Tensor& dw, const Tensor& dbias, bool accumulate, const Tensor& workspace) {
  OpCheck check("Conv2dBackward",
                {{"x", x}, {"w", w}, {"dy", dy}, {"dx", dx}, {"dw", dw}, {"dbias", dbias}, {"workspace", workspace}});
  const ConvGeometry g = ConvGeometryOf(check, x, w, p);
  check.Has(dy, DType::kF32, {g.n, g.k, g.p, g.q});
  check.HasShapeOfIfDefined(dx, DType::kF32, x);
  check.HasShapeOf(dw, DType::kF32, w);
  check.HasIfDefined(dbias, DType::kF32, {g.k});
  check.Require(!Overlap(dx, workspace) && !Overlap(dw, workspace), "a gradient overlaps the workspace");
  float* scratch = ConvWorkspace(check, g, workspace);
  AIF_DISPATCH(check, Conv2dBackward, g, x.data<float>(), w.data<float>(), dy.data<float>(), DataOrNull<float>(dx),
               dw.data<float>(), DataOrNull<float>(dbias), accumulate, scratch);
}

void MaxPool2dForward(const Tensor& x, int64_t kernel, int64_t stride, const Tensor& y, const Tensor& argmax) {
  OpCheck check("MaxPool2dForward", {{"x", x}, {"y", y}, {"argmax", argmax}});
  const PoolGeometry g = PoolGeometryOf(check, x, kernel, stride);
  check.Has(y, DType::kF32, {x.dim(0), x.dim(1), g.p, g.q});
  check.Has(argmax, DType::kI32, {x.dim(0), x.dim(1), g.p, g.q});
  AIF_DISPATCH(check, MaxPool2dForward, g, x.data<float>(), y.data<float>(), argmax.data<int32_t>());
}

void MaxPool2dBackward(const Tensor& dy, const Tensor& argmax, int64_t kernel, int64_t stride, const Tensor& dx) {
  OpCheck check("MaxPool2dBackward", {{"dy", dy}, {"argmax", argmax}, {"dx", dx}});
  const PoolGeometry g = PoolGeometryOf(check, dx, kernel, stride);
  check.Has(dy, DType::kF32, {dx.dim(0), dx.dim(1), g.p, g.q});
  check.HasShapeOf(argmax, DType::kI32, dy);
  check.Require(!Overlap(dx, dy), "dx overlaps dy");
  AIF_DISPATCH(check, MaxPool2dBackward, g, dy.data<float>(), argmax.data<int32_t>(), dx.data<float>());
}

}  // namespace ops
}  // namespace aif
