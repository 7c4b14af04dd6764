// 2-D convolution on CUDA, the counterpart of cpu/conv.cpp: the three
// products through cuDNN (cudnnConvolutionForward, cudnnConvolutionBackward-
// Data and -Filter; the legacy API, deprecated since cuDNN 9.0 in favour of
// the graph API but supported through 9.x, and the smallest interface that
// has them), the bias and its gradient as two small kernels.
// - Numerics. FP32 data and compute, CUDNN_CROSS_CORRELATION (the CPU's
//   convolution, like PyTorch's, does not flip the kernel), and math type
//   CUDNN_FMA_MATH: CUDNN_DEFAULT_MATH lets Ampere and later GPUs round the
//   operands to TF32. Only algorithms that sum the products themselves are
//   used (implicit or explicit GEMM, direct), never FFT or Winograd, whose
//   transforms carry errors relative to whole tiles, not to each output: the
//   results are within float rounding of the CPU's (another summation order,
//   so not its bits). The bias is added after the product (y + b, as on the
//   CPU); dbias sums dy per channel in double, as the CPU does.
// - Plans. Per thread and device, a map from the geometry to its cuDNN
//   descriptors and to the algorithm of each direction, chosen on first use
//   by cuDNN's heuristics (cudnnGet*Algorithm_v7, ranked fastest first; no
//   timed search, so the choice depends only on the geometry and the GPU,
//   never on timing noise): the first candidate that cuDNN supports here,
//   with FMA math, among the algorithms above, needing at most
//   kMaxWorkspaceBytes; for the backward directions the first deterministic
//   one among those when there is one (cuDNN's data algorithm 0 and filter
//   algorithms 0 and 3 use atomics), so a rerun gives the same bits. A step
//   loop therefore looks algorithms up once per layer and batch size.
// - Workspace. cuDNN's scratch is the backend's own (CudnnWorkspace in
//   cuda_context.h: grown through the caching allocator, never in the steady
//   state); the caller's workspace tensor, the CPU's im2col scratch, is not
//   used (ops_vision.cpp passes null).
// - Sizes. cuDNN's descriptors take int sizes and strides: ops_vision.cpp
//   checks that one image of x and of y fits, and a batch larger than that
//   runs in chunks of whole images (dw adds the chunks: beta 1 after the
//   first). Degenerate geometries (no images, filters or input elements)
//   never reach cuDNN: their outputs are zeros, the bias, or left as they are.
#include <algorithm>
#include <array>
#include <climits>
#include <iterator>
#include <map>
#include <string>

#include "core/error.h"
#include "core/strings.h"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.h"

namespace aif {
namespace ops {
namespace cuda {
namespace {

// The largest workspace an algorithm may ask for; faster algorithms that
// need more are passed over (the implicit-GEMM ones need little or none).
constexpr size_t kMaxWorkspaceBytes = size_t{512} << 20;

// The algorithms of each direction that sum products directly (see above).
constexpr cudnnConvolutionFwdAlgo_t kForwardAlgos[] = {
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
    CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_DIRECT};
constexpr cudnnConvolutionBwdDataAlgo_t kBackwardDataAlgos[] = {CUDNN_CONVOLUTION_BWD_DATA_ALGO_0,
                                                                 CUDNN_CONVOLUTION_BWD_DATA_ALGO_1};
constexpr cudnnConvolutionBwdFilterAlgo_t kBackwardFilterAlgos[] = {
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3};

template <typename Algo>
struct Choice {
  bool chosen = false;
  Algo algo{};
  size_t bytes = 0;  // workspace
};

// One geometry's descriptors (never destroyed: see cuda_context.h) and algorithms.
struct Plan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  Choice<cudnnConvolutionFwdAlgo_t> forward;
  Choice<cudnnConvolutionBwdDataAlgo_t> backward_data;
  Choice<cudnnConvolutionBwdFilterAlgo_t> backward_filter;
};

// The device, then every size of the geometry but p and q (which follow).
using PlanKey = std::array<int64_t, 10>;
thread_local std::map<PlanKey, Plan> t_plans;

std::string Describe(const ConvGeometry& g) {
  return Format("x [%lld, %lld, %lld, %lld], w [%lld, %lld, %lld, %lld], stride %lld, padding %lld",
                static_cast<long long>(g.n), static_cast<long long>(g.c), static_cast<long long>(g.h),
                static_cast<long long>(g.w), static_cast<long long>(g.k), static_cast<long long>(g.c),
                static_cast<long long>(g.r), static_cast<long long>(g.s), static_cast<long long>(g.stride),
                static_cast<long long>(g.padding));
}

// Sizes below INT_MAX (ops_vision.cpp and ImagesPerChunk see to it).
int Int(int64_t v) { return static_cast<int>(v); }

Plan MakePlan(const ConvGeometry& g) {
  Plan plan;
  AIF_CUDNN_CHECK(cudnnCreateTensorDescriptor(&plan.x));
  AIF_CUDNN_CHECK(cudnnCreateTensorDescriptor(&plan.y));
  AIF_CUDNN_CHECK(cudnnCreateFilterDescriptor(&plan.w));
  AIF_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&plan.conv));
  AIF_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(plan.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, Int(g.n), Int(g.c), Int(g.h), Int(g.w)));
  AIF_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(plan.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, Int(g.n), Int(g.k), Int(g.p), Int(g.q)));
  AIF_CUDNN_CHECK(
      cudnnSetFilter4dDescriptor(plan.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, Int(g.k), Int(g.c), Int(g.r), Int(g.s)));
  AIF_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(plan.conv, Int(g.padding), Int(g.padding), Int(g.stride),
                                                  Int(g.stride), 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  AIF_CUDNN_CHECK(cudnnSetConvolutionMathType(plan.conv, CUDNN_FMA_MATH));
  int n = 0, k = 0, p = 0, q = 0;
  AIF_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(plan.conv, plan.x, plan.w, &n, &k, &p, &q));
  if (n != g.n || k != g.k || p != g.p || q != g.q) {
    ThrowInternal("cuDNN's output [%d, %d, %d, %d] differs from aif's [%lld, %lld, %lld, %lld] for the convolution %s",
                  n, k, p, q, static_cast<long long>(g.n), static_cast<long long>(g.k), static_cast<long long>(g.p),
                  static_cast<long long>(g.q), Describe(g).c_str());
  }
  return plan;
}

Plan& PlanFor(const ConvGeometry& g) {
  int device = 0;
  AIF_CUDA_CHECK(cudaGetDevice(&device));
  const PlanKey key = {device, g.n, g.c, g.h, g.w, g.k, g.r, g.s, g.stride, g.padding};
  auto it = t_plans.find(key);
  if (it == t_plans.end()) it = t_plans.emplace(key, MakePlan(g)).first;
  return it->second;
}

// The choice among cuDNN's ranked candidates perf[0, count), as the top of
// the file describes; throws, listing the candidates, when none qualifies.
template <typename Perf, typename Algo, size_t kAllowed>
Choice<Algo> Pick(const Perf* perf, int count, const Algo (&allowed)[kAllowed], bool prefer_deterministic,
                  const char* direction, const ConvGeometry& g) {
  const Perf* first = nullptr;
  const Perf* first_deterministic = nullptr;
  std::string seen;
  for (int i = 0; i < count; ++i) {
    const Perf& c = perf[i];
    seen += Format("%s algo %d (%s, math %d, %zu bytes, %s)", i ? ";" : "", static_cast<int>(c.algo),
                   cudnnGetErrorString(c.status), static_cast<int>(c.mathType), c.memory,
                   c.determinism == CUDNN_DETERMINISTIC ? "deterministic" : "non-deterministic");
    const bool allowed_algo = std::find(std::begin(allowed), std::end(allowed), c.algo) != std::end(allowed);
    if (c.status != CUDNN_STATUS_SUCCESS || c.mathType != CUDNN_FMA_MATH || c.memory > kMaxWorkspaceBytes ||
        !allowed_algo) {
      continue;
    }
    if (!first) first = &c;
    if (!first_deterministic && c.determinism == CUDNN_DETERMINISTIC) first_deterministic = &c;
  }
  const Perf* best = prefer_deterministic && first_deterministic ? first_deterministic : first;
  if (!best) {
    ThrowInternal("cuDNN offers no usable FP32 %s algorithm for the convolution %s; candidates:%s", direction,
                  Describe(g).c_str(), seen.c_str());
  }
  Choice<Algo> choice;
  choice.chosen = true;
  choice.algo = best->algo;
  choice.bytes = best->memory;
  return choice;
}

void ChooseForward(cudnnHandle_t handle, const ConvGeometry& g, Plan& plan) {
  if (plan.forward.chosen) return;
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int count = 0;
  AIF_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle, plan.x, plan.w, plan.conv, plan.y,
                                                         CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf));
  plan.forward = Pick(perf, count, kForwardAlgos, false, "forward", g);
}

void ChooseBackwardData(cudnnHandle_t handle, const ConvGeometry& g, Plan& plan) {
  if (plan.backward_data.chosen) return;
  cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  int count = 0;
  AIF_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, plan.w, plan.y, plan.conv, plan.x,
                                                              CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf));
  plan.backward_data = Pick(perf, count, kBackwardDataAlgos, true, "backward-data", g);
}

void ChooseBackwardFilter(cudnnHandle_t handle, const ConvGeometry& g, Plan& plan) {
  if (plan.backward_filter.chosen) return;
  cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  int count = 0;
  AIF_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
      handle, plan.x, plan.y, plan.conv, plan.w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perf));
  plan.backward_filter = Pick(perf, count, kBackwardFilterAlgos, true, "backward-filter", g);
}

// Calls f(plan, first_image, chunk) for consecutive chunks of whole images
// that cuDNN's int sizes can address; chunk is the chunk's geometry.
template <typename F>
void ForEachChunk(const ConvGeometry& g, F&& f) {
  const int64_t largest_image = std::max(g.c * g.h * g.w, g.k * g.p * g.q);
  const int64_t images = std::max<int64_t>(1, std::min<int64_t>(g.n, INT_MAX / largest_image));
  for (int64_t first = 0; first < g.n; first += images) {
    ConvGeometry chunk = g;
    chunk.n = std::min(images, g.n - first);
    f(PlanFor(chunk), first, chunk);
  }
}

// y [n, k, pq] += bias[k]: blockIdx.y walks the n * k planes, blockIdx.x and
// the threads each plane's elements (one read of bias per plane and thread).
__global__ void AddBiasKernel(float* y, const float* bias, int64_t planes, int64_t k, int64_t pq) {
  for (int64_t plane = blockIdx.y; plane < planes; plane += gridDim.y) {
    const float b = bias[plane % k];
    float* row = y + plane * pq;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < pq;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
      row[i] += b;
    }
  }
}

// dbias[k] (+)= the sum of dy's planes k [n, k, pq] over the images, in
// double: one block per channel (blocks walk the channels), each thread
// summing a strided share in order, the block adding its threads in a fixed
// order; then the CPU's float(accumulate ? dbias + total : total).
__global__ void BiasGradKernel(const float* dy, int64_t n, int64_t k, int64_t pq, float* dbias, bool accumulate) {
  for (int64_t channel = blockIdx.x; channel < k; channel += gridDim.x) {
    double sum = 0.0;
    for (RowColCursor c(pq, threadIdx.x, blockDim.x); c.i < n * pq; c.Next()) {
      sum += dy[(c.r * k + channel) * pq + c.j];  // image c.r, position c.j
    }
    const double total = BlockSum(sum);
    if (threadIdx.x == 0) dbias[channel] = static_cast<float>(accumulate ? dbias[channel] + total : total);
  }
}

constexpr int64_t kMaxGridY = 65535;

void AddBias(const ConvGeometry& g, const float* bias, float* y) {
  const int64_t planes = g.n * g.k, pq = g.p * g.q;
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>(CeilDiv(pq, kThreads), 64)),
                  static_cast<unsigned>(std::min(planes, kMaxGridY)));
  AIF_LAUNCH(AddBiasKernel, grid, kThreads, y, bias, planes, g.k, pq);
}

// data[0, count) = 0, in stream order.
void Zero(float* data, int64_t count) {
  if (count > 0) AIF_CUDA_CHECK(cudaMemsetAsync(data, 0, static_cast<size_t>(count) * sizeof(float), CurrentStream()));
}

}  // namespace

void Conv2dForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                   float* /*workspace*/) {
  const int64_t x_image = g.c * g.h * g.w, y_image = g.k * g.p * g.q;
  if (g.n == 0 || g.k == 0) return;  // y is empty
  if (x_image == 0) {
    Zero(y, g.n * y_image);  // sums of no products
  } else {
    const cudnnHandle_t handle = CudnnHandle();
    const float one = 1.0f, zero = 0.0f;
    ForEachChunk(g, [&](Plan& plan, int64_t first, const ConvGeometry& chunk) {
      ChooseForward(handle, chunk, plan);
      void* workspace = CudnnWorkspace(plan.forward.bytes);
      AIF_CUDNN_CHECK(cudnnConvolutionForward(handle, &one, plan.x, x + first * x_image, plan.w, w, plan.conv,
                                              plan.forward.algo, workspace, plan.forward.bytes, &zero, plan.y,
                                              y + first * y_image));
    });
  }
  if (bias) AddBias(g, bias, y);
}

void Conv2dBackward(const ConvGeometry& g, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* dbias, bool accumulate, float* /*workspace*/) {
  const int64_t x_image = g.c * g.h * g.w, y_image = g.k * g.p * g.q;
  if (dbias && g.k > 0) {
    AIF_LAUNCH(BiasGradKernel, static_cast<int>(std::min<int64_t>(g.k, kMaxElementBlocks)), kThreads, dy, g.n, g.k,
               g.p * g.q, dbias, accumulate);
  }
  if (g.n == 0 || x_image == 0 || g.k == 0) {  // sums of no products, into whichever of dx and dw is not empty
    if (dx) Zero(dx, g.n * x_image);
    if (!accumulate) Zero(dw, g.k * g.c * g.r * g.s);
    return;
  }
  const cudnnHandle_t handle = CudnnHandle();
  const float one = 1.0f, zero = 0.0f;
  ForEachChunk(g, [&](Plan& plan, int64_t first, const ConvGeometry& chunk) {
    const float dw_beta = accumulate || first > 0 ? 1.0f : 0.0f;
    ChooseBackwardFilter(handle, chunk, plan);
    void* workspace = CudnnWorkspace(plan.backward_filter.bytes);
    AIF_CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle, &one, plan.x, x + first * x_image, plan.y,
                                                   dy + first * y_image, plan.conv, plan.backward_filter.algo,
                                                   workspace, plan.backward_filter.bytes, &dw_beta, plan.w, dw));
    if (!dx) return;
    ChooseBackwardData(handle, chunk, plan);
    workspace = CudnnWorkspace(plan.backward_data.bytes);
    AIF_CUDNN_CHECK(cudnnConvolutionBackwardData(handle, &one, plan.w, w, plan.y, dy + first * y_image, plan.conv,
                                                 plan.backward_data.algo, workspace, plan.backward_data.bytes, &zero,
                                                 plan.x, dx + first * x_image));
  });
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
