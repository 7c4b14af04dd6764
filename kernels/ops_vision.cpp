// The public convolution and pooling ops (NCHW): operand checks, the
// geometry the CPU loops need, and dispatch (see ops.cpp): CPU only so far;
// CUDA operands are a usage error (RequireCpu) until the cuDNN version comes.
// The convolution workspace is the caller's: one image's im2col matrix, none
// for a 1x1, stride-1, unpadded convolution.
#include "core/strings.h"
#include "kernels/cpu/cpu_ops.h"
#include "kernels/op_check.h"
#include "kernels/ops.h"

namespace aif {
namespace ops {
namespace {

bool WindowFits(int64_t in, int64_t k, int64_t stride, int64_t padding) {
  return k >= 1 && stride >= 1 && padding >= 0 && in + 2 * padding >= k;
}

cpu::ConvGeometry ConvGeometryOf(const OpCheck& check, const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  check.Type(x, DType::kF32);
  check.Type(w, DType::kF32);
  check.Require(x.rank() == 4 && w.rank() == 4, "x and w must be 4-D (NCHW and KCRS)");
  check.Require(x.dim(1) == w.dim(1), "x and w differ in input channels");
  check.Require(
      WindowFits(x.dim(2), w.dim(2), p.stride, p.padding) && WindowFits(x.dim(3), w.dim(3), p.stride, p.padding),
      Format("the kernel does not fit the padded input with stride %lld, padding %lld",
             static_cast<long long>(p.stride), static_cast<long long>(p.padding))
          .c_str());
  cpu::ConvGeometry g{};
  g.n = x.dim(0), g.c = x.dim(1), g.h = x.dim(2), g.w = x.dim(3);
  g.k = w.dim(0), g.r = w.dim(2), g.s = w.dim(3);
  g.stride = p.stride, g.padding = p.padding;
  g.p = ConvOutputSize(g.h, g.r, g.stride, g.padding);
  g.q = ConvOutputSize(g.w, g.s, g.stride, g.padding);
  check.Require(FitsBlasInt({g.k, g.c * g.r * g.s, g.p * g.q}), "dimensions exceed BLAS's 32-bit int");
  return g;
}

// The workspace, or null when the geometry needs none.
float* ConvWorkspace(const OpCheck& check, const cpu::ConvGeometry& g, const Tensor& workspace) {
  if (cpu::ConvIsPointwise(g)) return DataOrNull<float>(workspace);
  check.Type(workspace, DType::kF32);
  if (workspace.numel() < g.c * g.r * g.s * g.p * g.q) {
    check.Fail("workspace is smaller than Conv2dWorkspaceElements()");
  }
  return workspace.data<float>();
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

int64_t Conv2dWorkspaceElements(const Shape& x, const Shape& w, const Conv2dParams& p) {
  if (x.size() != 4 || w.size() != 4) {
    ThrowInternal("Conv2dWorkspaceElements: x %s and w %s must be 4-D", ShapeString(x).c_str(), ShapeString(w).c_str());
  }
  cpu::ConvGeometry g{};
  g.r = w[2], g.s = w[3], g.stride = p.stride, g.padding = p.padding;
  if (cpu::ConvIsPointwise(g)) return 0;
  return x[1] * w[2] * w[3] * ConvOutputSize(x[2], w[2], p.stride, p.padding) *
         ConvOutputSize(x[3], w[3], p.stride, p.padding);
}

void Conv2dForward(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p, const Tensor& y,
                   const Tensor& workspace) {
  OpCheck check("Conv2dForward", {{"x", x}, {"w", w}, {"bias", bias}, {"y", y}, {"workspace", workspace}});
  const cpu::ConvGeometry g = ConvGeometryOf(check, x, w, p);
  check.HasIfDefined(bias, DType::kF32, {g.k});
  check.Has(y, DType::kF32, {g.n, g.k, g.p, g.q});
  check.Require(!Overlap(y, x) && !Overlap(y, workspace), "y overlaps x or the workspace");
  float* scratch = ConvWorkspace(check, g, workspace);
  RequireCpu(check);
  cpu::Conv2dForward(g, x.data<float>(), w.data<float>(), DataOrNull<float>(bias), y.data<float>(), scratch);
}

void Conv2dBackward(const Tensor& x, const Tensor& w, const Tensor& dy, const Conv2dParams& p, const Tensor& dx,
                    const Tensor& dw, const Tensor& dbias, bool accumulate, const Tensor& workspace) {
  OpCheck check("Conv2dBackward",
                {{"x", x}, {"w", w}, {"dy", dy}, {"dx", dx}, {"dw", dw}, {"dbias", dbias}, {"workspace", workspace}});
  const cpu::ConvGeometry g = ConvGeometryOf(check, x, w, p);
  check.Has(dy, DType::kF32, {g.n, g.k, g.p, g.q});
  check.HasShapeOfIfDefined(dx, DType::kF32, x);
  check.HasShapeOf(dw, DType::kF32, w);
  check.HasIfDefined(dbias, DType::kF32, {g.k});
  check.Require(!Overlap(dx, workspace) && !Overlap(dw, workspace), "a gradient overlaps the workspace");
  float* scratch = ConvWorkspace(check, g, workspace);
  RequireCpu(check);
  cpu::Conv2dBackward(g, x.data<float>(), w.data<float>(), dy.data<float>(), DataOrNull<float>(dx), dw.data<float>(),
                      DataOrNull<float>(dbias), accumulate, scratch);
}

void MaxPool2dForward(const Tensor& x, int64_t kernel, int64_t stride, const Tensor& y, const Tensor& argmax) {
  OpCheck check("MaxPool2dForward", {{"x", x}, {"y", y}, {"argmax", argmax}});
  check.Type(x, DType::kF32);
  check.Require(x.rank() == 4, "x must be 4-D (NCHW)");
  check.Require(WindowFits(x.dim(2), kernel, stride, 0) && WindowFits(x.dim(3), kernel, stride, 0),
                Format("window %lld with stride %lld does not fit the input", static_cast<long long>(kernel),
                       static_cast<long long>(stride))
                    .c_str());
  check.Require(x.dim(2) * x.dim(3) <= INT32_MAX, "planes too large for i32 argmax");
  cpu::PoolGeometry g{};
  g.planes = x.dim(0) * x.dim(1), g.h = x.dim(2), g.w = x.dim(3), g.kernel = kernel, g.stride = stride;
  g.p = ConvOutputSize(g.h, kernel, stride, 0);
  g.q = ConvOutputSize(g.w, kernel, stride, 0);
  check.Has(y, DType::kF32, {x.dim(0), x.dim(1), g.p, g.q});
  check.Has(argmax, DType::kI32, {x.dim(0), x.dim(1), g.p, g.q});
  RequireCpu(check);
  cpu::MaxPool2dForward(g, x.data<float>(), y.data<float>(), argmax.data<int32_t>());
}

void MaxPool2dBackward(const Tensor& dy, const Tensor& argmax, const Tensor& dx) {
  OpCheck check("MaxPool2dBackward", {{"dy", dy}, {"argmax", argmax}, {"dx", dx}});
  check.Type(dy, DType::kF32);
  check.Type(dx, DType::kF32);
  check.Require(dy.rank() == 4 && dx.rank() == 4 && dy.dim(0) == dx.dim(0) && dy.dim(1) == dx.dim(1),
                "dy and dx must be 4-D with the same N and C");
  check.HasShapeOf(argmax, DType::kI32, dy);
  check.Require(!Overlap(dx, dy), "dx overlaps dy");
  cpu::PoolGeometry g{};
  g.planes = dx.dim(0) * dx.dim(1), g.h = dx.dim(2), g.w = dx.dim(3), g.p = dy.dim(2), g.q = dy.dim(3);
  g.kernel = 0, g.stride = 0;  // unused: argmax says where each gradient goes
  RequireCpu(check);
  cpu::MaxPool2dBackward(g, dy.data<float>(), argmax.data<int32_t>(), dx.data<float>());
}

}  // namespace ops
}  // namespace aif
