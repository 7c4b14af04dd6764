// The numeric operations of aif: one interface for every op, dispatched on
// the device of its tensors (all operands of one call live on one device).
// The CPU implementation (kernels/cpu/) is the reference: plain loops the
// compiler vectorises, and OpenBLAS for GEMM. The CUDA implementation
// (kernels/cuda/, docs/cuda.md: custom kernels, cuBLAS for GEMM, cuDNN for
// convolution) covers every op and is tested against it (tests/gpu/). Ops
// that return a value wait for the device; the CUDA backend keeps scratch of
// its own (reduction slots, cuDNN's workspace).
//
// Conventions: tensors are dense row-major f32 unless stated; outputs are
// passed as pre-allocated tensors (ops never allocate behind the caller's
// back, except scratch noted per op); "accumulate" means add into the output
// instead of overwriting it. Shapes are checked and a mismatch is an
// internal error naming the op and the shapes.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace aif {
namespace ops {

// ---- GEMM ------------------------------------------------------------------
// c = alpha * op(a) @ op(b) + beta * c, with op(x) = x or x^T. All 2-D.
// a and b are both f32, or both bf16 (mixed precision: exact products,
// f32 sums); c is f32. The CPU widens bf16 operands into per-thread scratch
// that grows to the largest operand seen.
void Matmul(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b, const Tensor& c,
            float alpha = 1.0f, float beta = 0.0f);

// ---- Bias and activations --------------------------------------------------
enum class Activation { kNone, kRelu, kGelu };

// y = act(x + bias), bias broadcast over rows of x [N, F] (bias [F]; x may
// have any rank whose last dimension is F); bias may be undefined (then x is
// treated as flat). y may alias x. If `pre` is defined it receives x + bias
// (what GELU's backward needs).
void BiasActivationForward(const Tensor& x, const Tensor& bias, Activation act, const Tensor& y, const Tensor& pre);
// dz = dy * act'(.) where `saved` is the forward output y for ReLU and the
// pre-activation for GELU (undefined for kNone); dz may alias dy. If dbias
// is defined: dbias (+)= sum over rows of dz.
void BiasActivationBackward(const Tensor& dy, const Tensor& saved, Activation act, const Tensor& dz,
                            const Tensor& dbias, bool accumulate_dbias);
// GELU uses the tanh approximation (as PyTorch's approximate='tanh').

// ---- A linear layer's forward pass ----------------------------------------
// y = act(x @ w^T + bias): x [N, K], w [F, K] (both f32, or both bf16: mixed
// precision as in Matmul), bias f32 [F], y f32 [N, F]; pre (f32 [N, F], may
// be undefined) receives x @ w^T + bias, which GELU's backward needs. Exactly
// Matmul then BiasActivationForward on the CPU (the same bits). CUDA fuses
// the bias and ReLU (or no activation) into the GEMM's epilogue through
// cuBLASLt when pre is undefined, which saves a pass over y; it falls back
// to the two ops where cuBLASLt offers no algorithm, and for GELU. The
// environment variable AIF_CUBLASLT_EPILOGUE=0 turns the fusion off (to
// measure it).
void LinearForward(const Tensor& x, const Tensor& w, const Tensor& bias, Activation act, const Tensor& y,
                   const Tensor& pre);

// ---- Dropout ---------------------------------------------------------------
// Element (r, j) of x [N, F] is kept iff UniformFloat(RandomBits(seed,
// kDropout, stream, sample_ids[r] * F + j).v[0]) >= p, and scaled by 1/(1-p).
// sample_ids: i64 [N], the global index of each row's sample, so masks do not
// depend on how samples are spread over ranks. mask: u8 [N, F] (1 = kept).
// p in [0, 1); y may alias x. A negative id (with p > 0) is an internal error
// on the CPU; CUDA does not wait to check, and writes NaN into that row of y
// (mask 0), which a training step's loss check then catches.
void DropoutForward(const Tensor& x, float p, uint64_t seed, uint64_t stream, const Tensor& sample_ids,
                    const Tensor& y, const Tensor& mask);
void DropoutBackward(const Tensor& dy, const Tensor& mask, float p, const Tensor& dx);

// ---- Convolution and pooling (NCHW) ----------------------------------------
struct Conv2dParams {
  int64_t stride = 1;
  int64_t padding = 0;
};
// Output spatial size for input size `in`, kernel `k`.
int64_t ConvOutputSize(int64_t in, int64_t k, int64_t stride, int64_t padding);
// Scratch the CPU implementation needs (im2col of one image), in f32
// elements; 0 for a 1x1, stride-1, unpadded convolution (the workspace may
// then be undefined), and 0 for kCuda: cuDNN's workspace is the CUDA
// backend's own, and CUDA calls ignore the workspace operand (any size, or
// undefined).
int64_t Conv2dWorkspaceElements(const Shape& x, const Shape& w, const Conv2dParams& p,
                                DeviceType device = DeviceType::kCpu);
// Cross-correlation (no kernel flip, as PyTorch's Conv2d).
// x [N, C, H, W], w [K, C, R, S], bias [K] (may be undefined), y [N, K, P, Q].
void Conv2dForward(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p, const Tensor& y,
                   const Tensor& workspace);
// dx may be undefined (first layer) and is overwritten. dw, dbias (+)=
// gradients (dbias may be undefined).
void Conv2dBackward(const Tensor& x, const Tensor& w, const Tensor& dy, const Conv2dParams& p, const Tensor& dx,
                    const Tensor& dw, const Tensor& dbias, bool accumulate, const Tensor& workspace);
// Max pooling with window `kernel` and `stride`; argmax i32 [N, C, P, Q]
// holds the index of the winner within its input plane (h * W + w); the
// first maximum wins and NaN wins over numbers. No padding.
void MaxPool2dForward(const Tensor& x, int64_t kernel, int64_t stride, const Tensor& y, const Tensor& argmax);
// dx = the sum of dy over the windows each input won (zero elsewhere), with
// the forward's kernel and stride (dy [N, C, P, Q], dx [N, C, H, W]). An
// argmax outside its plane is an internal error on the CPU; CUDA reads only
// the windows covering each input, so an index outside its window is ignored.
void MaxPool2dBackward(const Tensor& dy, const Tensor& argmax, int64_t kernel, int64_t stride, const Tensor& dx);

// ---- Losses and metrics ----------------------------------------------------
// Rows with valid[r] == 0 (u8 [N]; undefined = all valid) contribute nothing.
// Fused softmax + cross-entropy on logits [N, C], labels i32 [N]. Returns the
// loss summed over valid rows; writes dlogits = (softmax - onehot) * scale
// (zero rows for invalid ones). dlogits may alias logits, or be undefined
// (loss only). A valid row's label outside [0, C) is an internal error.
double SoftmaxCrossEntropy(const Tensor& logits, const Tensor& labels, const Tensor& valid, float grad_scale,
                           const Tensor& dlogits);
// pred [N, 1] or [N], target f32 [N]: returns sum (pred - target)^2 over
// valid rows; dpred = 2 (pred - target) * scale (undefined: loss only).
double MeanSquaredError(const Tensor& pred, const Tensor& target, const Tensor& valid, float grad_scale,
                        const Tensor& dpred);
// Number of valid rows whose argmax equals the label (first max wins).
int64_t CountCorrect(const Tensor& logits, const Tensor& labels, const Tensor& valid);
// Number of valid rows whose label is among the k largest logits (ties go
// to the lower class index, so k = 1 agrees with CountCorrect).
int64_t CountTopK(const Tensor& logits, const Tensor& labels, const Tensor& valid, int64_t k);
void Argmax(const Tensor& logits, const Tensor& out_i32);
void Softmax(const Tensor& logits, const Tensor& probs);

// ---- Optimizers and reductions (flat f32 tensors of equal size) -------------
struct SgdParams {
  float lr = 0.1f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
};
// PyTorch semantics: g = grad + wd * p; buf = momentum * buf + g;
// g = nesterov ? g + momentum * buf : buf; p -= lr * g. buf unused when
// momentum == 0.
//
// decay_mask (both optimizers): which elements take weight decay, so that one
// launch updates a whole flat parameter buffer whose weights decay and whose
// biases do not. Bit (i % 32) of i32 word i / 32 is set where element i
// decays (ceil(n / 32) words; MakeDecayMask builds it). Undefined: every
// element decays. A masked update gives the bits of separate updates of the
// runs with weight_decay and with 0.
void SgdUpdate(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdParams& hp,
               const Tensor& decay_mask = Tensor());
struct AdamWParams {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.01f;
  int64_t step = 1;  // 1-based, for bias correction
};
// Decoupled weight decay (Loshchilov & Hutter): p -= lr * wd * p, then Adam.
void AdamWUpdate(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamWParams& hp,
                 const Tensor& decay_mask = Tensor());
// The decay mask of n elements where [offset, offset + count) of every
// (offset, count) in `decayed` decay: i32 words on `device`.
Tensor MakeDecayMask(int64_t n, const std::vector<std::pair<int64_t, int64_t>>& decayed, DeviceType device);
// Sum of squares, accumulated in double.
double SquaredNorm(const Tensor& x);
// x *= alpha, in place.
void Scale(const Tensor& x, float alpha);
// y += alpha * x.
void Axpy(float alpha, const Tensor& x, const Tensor& y);

// ---- Results kept on the device -------------------------------------------
// The same losses, count and norm written into an f64 scalar (a 1-element
// f64 tensor, e.g. a View of a small accumulator) on the operands' device
// instead of returned, so they do not wait: a training step reads its loss,
// correct count and gradient norm together, once, after it has queued all
// its work. `accumulate` adds to the scalar instead of overwriting it. The
// values are the bits the returning ops give. Invalid input the returning
// ops throw for (a label outside [0, C)) still throws on the CPU; CUDA, which
// would have to wait to throw, writes NaN into the scalar instead (callers
// check their loss for NaN anyway).
void SoftmaxCrossEntropyInto(const Tensor& logits, const Tensor& labels, const Tensor& valid, float grad_scale,
                             const Tensor& dlogits, const Tensor& loss_sum, bool accumulate);
void MeanSquaredErrorInto(const Tensor& pred, const Tensor& target, const Tensor& valid, float grad_scale,
                          const Tensor& dpred, const Tensor& loss_sum, bool accumulate);
void CountCorrectInto(const Tensor& logits, const Tensor& labels, const Tensor& valid, const Tensor& count,
                      bool accumulate);
// squared_norm = sum of squares of x (as SquaredNorm).
void SquaredNormInto(const Tensor& x, const Tensor& squared_norm);
// Gradient clipping by global norm without reading the norm on the host:
// with norm = sqrt(squared_norm) (f64 scalar on x's device, from
// SquaredNormInto), x *= float(max_norm / norm) when norm > max_norm, in
// double as the host would (so the same bits); x is left alone otherwise,
// and when the norm is NaN.
void ClipToNorm(const Tensor& x, const Tensor& squared_norm, double max_norm);

// ---- Casts -----------------------------------------------------------------
void CastF32ToBF16(const Tensor& src, const Tensor& dst);
void CastBF16ToF32(const Tensor& src, const Tensor& dst);

}  // namespace ops
}  // namespace aif
