// The public ops of kernels/ops.h: each checks its operands (OpCheck: types,
// shapes, one device) and hands raw pointers and sizes to the backend of
// their device, kernels/cpu/ or kernels/cuda/ (AIF_DISPATCH). Convolution,
// pooling and the losses live in ops_vision.cpp and ops_loss.cpp; this file
// holds the dense ops, dropout, the optimizers and casts.
#include "kernels/ops.h"

#include "core/strings.h"
#include "kernels/dispatch.h"
#include "kernels/op_check.h"

namespace aif {
namespace ops {

// ---- GEMM ------------------------------------------------------------------

void Matmul(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b, const Tensor& c, float alpha,
            float beta) {
  OpCheck check("Matmul", {{"a", a}, {"b", b}, {"c", c}});
  const bool bf16 = a.dtype() == DType::kBF16;
  check.Type(a, bf16 ? DType::kBF16 : DType::kF32);
  check.Type(b, a.dtype());
  check.Require(a.rank() == 2 && b.rank() == 2, "a and b must be 2-D");
  const int64_t m = transpose_a ? a.dim(1) : a.dim(0), k = transpose_a ? a.dim(0) : a.dim(1);
  const int64_t k_of_b = transpose_b ? b.dim(1) : b.dim(0), n = transpose_b ? b.dim(0) : b.dim(1);
  if (k != k_of_b) {
    check.Fail(
        Format("inner dimensions of op(a) and op(b) differ (transpose_a %d, transpose_b %d)", transpose_a, transpose_b)
            .c_str());
  }
  check.Has(c, DType::kF32, {m, n});
  check.Require(!Overlap(c, a) && !Overlap(c, b), "c overlaps an input");
  check.Require(FitsBlasInt({a.dim(0), a.dim(1), b.dim(0), b.dim(1)}), "dimensions exceed BLAS's 32-bit int");
  // Empty products never reach a backend (BLAS libraries want leading
  // dimensions >= 1 even where they read nothing). k == 0 leaves
  // c = beta * c: zeros for beta == 0, never NaN from an uninitialised c.
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == 0.0f) {
      c.SetZero();
    } else {
      Scale(c, beta);
    }
    return;
  }
  if (bf16) {
    AIF_DISPATCH(check, GemmBF16, transpose_a, transpose_b, m, n, k, alpha, a.data<uint16_t>(), a.dim(1),
                 b.data<uint16_t>(), b.dim(1), beta, c.data<float>(), n);
  } else {
    AIF_DISPATCH(check, Gemm, transpose_a, transpose_b, m, n, k, alpha, a.data<float>(), a.dim(1), b.data<float>(),
                 b.dim(1), beta, c.data<float>(), n);
  }
}

// ---- A linear layer's forward pass ----------------------------------------

void LinearForward(const Tensor& x, const Tensor& w, const Tensor& bias, Activation act, const Tensor& y,
                   const Tensor& pre) {
  OpCheck check("LinearForward", {{"x", x}, {"w", w}, {"bias", bias}, {"y", y}, {"pre", pre}});
  const bool bf16 = x.dtype() == DType::kBF16;
  check.Type(x, bf16 ? DType::kBF16 : DType::kF32);
  check.Type(w, x.dtype());
  check.Require(x.rank() == 2 && w.rank() == 2 && x.dim(1) == w.dim(1), "x must be [N, K] and w [F, K]");
  const int64_t m = x.dim(0), n = w.dim(0), k = x.dim(1);
  check.Has(bias, DType::kF32, {n});
  check.Has(y, DType::kF32, {m, n});
  check.HasIfDefined(pre, DType::kF32, {m, n});
  check.Require(!Overlap(y, x) && !Overlap(y, w) && !Overlap(y, bias), "y overlaps an input");
  const bool fusable = !pre.defined() && m > 0 && n > 0 && k > 0 && FitsBlasInt({m, n, k});
  if (fusable && AIF_DISPATCH(check, GemmBiasActivation, m, n, k, bf16, x.raw(), w.raw(), bias.data<float>(), act,
                              y.data<float>())) {
    return;
  }
  Matmul(x, false, w, true, y);
  BiasActivationForward(y, bias, act, y, pre);
}

// ---- Bias and activations --------------------------------------------------

namespace {

// [rows, cols] view of x for a bias over its last dimension, or flat without one.
void BiasLayout(const OpCheck& check, const Tensor& x, const Tensor& bias, int64_t* rows, int64_t* cols) {
  *rows = 1;
  *cols = x.numel();
  if (!bias.defined()) return;
  check.Type(bias, DType::kF32);
  check.Require(bias.rank() == 1 && x.rank() >= 1 && x.dim(-1) == bias.numel(),
                "bias must be 1-D with the size of the last dimension");
  *cols = bias.numel();
  *rows = *cols == 0 ? 0 : x.numel() / *cols;
}

}  // namespace

void BiasActivationForward(const Tensor& x, const Tensor& bias, Activation act, const Tensor& y, const Tensor& pre) {
  OpCheck check("BiasActivationForward", {{"x", x}, {"bias", bias}, {"y", y}, {"pre", pre}});
  check.Type(x, DType::kF32);
  check.HasShapeOf(y, DType::kF32, x);
  check.HasShapeOfIfDefined(pre, DType::kF32, x);
  int64_t rows, cols;
  BiasLayout(check, x, bias, &rows, &cols);
  AIF_DISPATCH(check, BiasActivationForward, x.data<float>(), DataOrNull<float>(bias), rows, cols, act, y.data<float>(),
               DataOrNull<float>(pre));
}

void BiasActivationBackward(const Tensor& dy, const Tensor& saved, Activation act, const Tensor& dz,
                            const Tensor& dbias, bool accumulate_dbias) {
  OpCheck check("BiasActivationBackward", {{"dy", dy}, {"saved", saved}, {"dz", dz}, {"dbias", dbias}});
  check.Type(dy, DType::kF32);
  check.HasShapeOf(dz, DType::kF32, dy);
  if (act != Activation::kNone) check.HasShapeOf(saved, DType::kF32, dy);
  int64_t rows, cols;
  BiasLayout(check, dy, dbias, &rows, &cols);
  check.Require(!Overlap(dbias, dy) && !Overlap(dbias, dz), "dbias overlaps dy or dz");
  AIF_DISPATCH(check, BiasActivationBackward, dy.data<float>(),
               act == Activation::kNone ? nullptr : saved.data<float>(), rows, cols, act, dz.data<float>(),
               DataOrNull<float>(dbias), accumulate_dbias);
}

// ---- Dropout ---------------------------------------------------------------

void DropoutForward(const Tensor& x, float p, uint64_t seed, uint64_t stream, const Tensor& sample_ids, const Tensor& y,
                    const Tensor& mask) {
  OpCheck check("DropoutForward", {{"x", x}, {"sample_ids", sample_ids}, {"y", y}, {"mask", mask}});
  check.Type(x, DType::kF32);
  check.Require(x.rank() >= 1, "x must have a row dimension");
  check.Require(p >= 0.0f && p < 1.0f, "p must be in [0, 1)");
  const int64_t rows = x.dim(0), cols = rows == 0 ? 0 : x.numel() / rows;
  check.Has(sample_ids, DType::kI64, {rows});
  check.HasShapeOf(y, DType::kF32, x);
  check.HasShapeOf(mask, DType::kU8, x);
  AIF_DISPATCH(check, DropoutForward, x.data<float>(), rows, cols, p, seed, stream, sample_ids.data<int64_t>(),
               y.data<float>(), mask.data<uint8_t>());
}

void DropoutBackward(const Tensor& dy, const Tensor& mask, float p, const Tensor& dx) {
  OpCheck check("DropoutBackward", {{"dy", dy}, {"mask", mask}, {"dx", dx}});
  check.Type(dy, DType::kF32);
  check.Require(p >= 0.0f && p < 1.0f, "p must be in [0, 1)");
  check.HasShapeOf(mask, DType::kU8, dy);
  check.HasShapeOf(dx, DType::kF32, dy);
  AIF_DISPATCH(check, DropoutBackward, dy.data<float>(), mask.data<uint8_t>(), dy.numel(), p, dx.data<float>());
}

// ---- Optimizers and reductions ---------------------------------------------

namespace {
const uint32_t* DecayMaskData(const OpCheck& check, const Tensor& decay_mask, int64_t n) {
  if (!decay_mask.defined()) return nullptr;
  check.HasElements(decay_mask, DType::kI32, (n + 31) / 32);
  return reinterpret_cast<const uint32_t*>(decay_mask.data<int32_t>());
}
}  // namespace

void SgdUpdate(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdParams& hp,
               const Tensor& decay_mask) {
  OpCheck check("SgdUpdate", {{"param", param}, {"grad", grad}, {"momentum_buf", momentum_buf},
                              {"decay_mask", decay_mask}});
  check.Type(param, DType::kF32);
  check.HasElements(grad, DType::kF32, param.numel());
  if (hp.momentum != 0.0f) check.HasElements(momentum_buf, DType::kF32, param.numel());
  const uint32_t* mask = DecayMaskData(check, decay_mask, param.numel());
  AIF_DISPATCH(check, SgdUpdate, param.data<float>(), grad.data<float>(),
               hp.momentum != 0.0f ? momentum_buf.data<float>() : nullptr, mask, param.numel(), hp);
}

void AdamWUpdate(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamWParams& hp,
                 const Tensor& decay_mask) {
  OpCheck check("AdamWUpdate", {{"param", param}, {"grad", grad}, {"m", m}, {"v", v}, {"decay_mask", decay_mask}});
  check.Type(param, DType::kF32);
  check.HasElements(grad, DType::kF32, param.numel());
  check.HasElements(m, DType::kF32, param.numel());
  check.HasElements(v, DType::kF32, param.numel());
  check.Require(hp.step >= 1, "step must be 1-based (>= 1) for the bias correction");
  const uint32_t* mask = DecayMaskData(check, decay_mask, param.numel());
  AIF_DISPATCH(check, AdamWUpdate, param.data<float>(), grad.data<float>(), m.data<float>(), v.data<float>(), mask,
               param.numel(), hp);
}

Tensor MakeDecayMask(int64_t n, const std::vector<std::pair<int64_t, int64_t>>& decayed, DeviceType device) {
  Tensor host = Tensor::Zeros({(n + 31) / 32}, DType::kI32);
  uint32_t* words = reinterpret_cast<uint32_t*>(host.data<int32_t>());
  for (const auto& [offset, count] : decayed) {
    if (offset < 0 || count < 0 || offset + count > n) {
      ThrowInternal("MakeDecayMask: range [%lld, +%lld) outside %lld elements", static_cast<long long>(offset),
                    static_cast<long long>(count), static_cast<long long>(n));
    }
    for (int64_t i = offset; i < offset + count; ++i) words[i >> 5] |= 1u << (i & 31);
  }
  if (device == DeviceType::kCpu) return host;
  Tensor out = Tensor::Empty(host.shape(), DType::kI32, device);
  out.CopyFrom(host);
  return out;
}

double SquaredNorm(const Tensor& x) {
  OpCheck check("SquaredNorm", {{"x", x}});
  check.Type(x, DType::kF32);
  return AIF_DISPATCH(check, SquaredNorm, x.data<float>(), x.numel());
}

void SquaredNormInto(const Tensor& x, const Tensor& squared_norm) {
  OpCheck check("SquaredNormInto", {{"x", x}, {"squared_norm", squared_norm}});
  check.Type(x, DType::kF32);
  check.HasElements(squared_norm, DType::kF64, 1);
  AIF_DISPATCH(check, SquaredNormInto, x.data<float>(), x.numel(), squared_norm.data<double>());
}

void ClipToNorm(const Tensor& x, const Tensor& squared_norm, double max_norm) {
  OpCheck check("ClipToNorm", {{"x", x}, {"squared_norm", squared_norm}});
  check.Type(x, DType::kF32);
  check.HasElements(squared_norm, DType::kF64, 1);
  check.Require(max_norm > 0, "max_norm must be positive");
  AIF_DISPATCH(check, ClipToNorm, x.data<float>(), x.numel(), squared_norm.data<double>(), max_norm);
}

void Scale(const Tensor& x, float alpha) {
  OpCheck check("Scale", {{"x", x}});
  check.Type(x, DType::kF32);
  AIF_DISPATCH(check, Scale, x.data<float>(), x.numel(), alpha);
}

void Axpy(float alpha, const Tensor& x, const Tensor& y) {
  OpCheck check("Axpy", {{"x", x}, {"y", y}});
  check.Type(x, DType::kF32);
  check.HasElements(y, DType::kF32, x.numel());
  AIF_DISPATCH(check, Axpy, alpha, x.data<float>(), y.data<float>(), x.numel());
}

// ---- Casts -----------------------------------------------------------------

void CastF32ToBF16(const Tensor& src, const Tensor& dst) {
  OpCheck check("CastF32ToBF16", {{"src", src}, {"dst", dst}});
  check.Type(src, DType::kF32);
  check.HasElements(dst, DType::kBF16, src.numel());
  AIF_DISPATCH(check, CastF32ToBF16, src.data<float>(), dst.data<uint16_t>(), src.numel());
}

void CastBF16ToF32(const Tensor& src, const Tensor& dst) {
  OpCheck check("CastBF16ToF32", {{"src", src}, {"dst", dst}});
  check.Type(src, DType::kBF16);
  check.HasElements(dst, DType::kF32, src.numel());
  AIF_DISPATCH(check, CastBF16ToF32, src.data<uint16_t>(), dst.data<float>(), src.numel());
}

}  // namespace ops
}  // namespace aif
