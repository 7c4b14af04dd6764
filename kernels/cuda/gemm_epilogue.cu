// A linear layer's forward GEMM with its bias and activation fused into the
// epilogue, through cuBLASLt: y = act(x @ w^T + bias) in one kernel, instead
// of a GEMM that writes y and an element-wise pass that reads and rewrites
// it. That pass is pure memory traffic (8 bytes per element of y), so the
// fusion pays most where y is large next to the GEMM's work: wide layers at
// large batches, and every layer of small, launch-bound models (one launch
// fewer per layer).
//
// Layout: as in gemm.cu, the row-major y[m, n] is the column-major
// y^T[n, m] = w[n, k] x^T: A = w (column-major [k, n], ld k, transposed),
// B = x (column-major [k, m], ld k), D = y (column-major [n, m], ld n); the
// bias runs along D's rows (one per output feature), as cuBLASLt's epilogue
// wants. Compute is CUBLAS_COMPUTE_32F (no TF32) with f32 or bf16 inputs and
// an f32 output, the precision of Gemm and GemmBF16.
//
// Fused: ReLU (CUBLASLT_EPILOGUE_RELU_BIAS) and no activation
// (CUBLASLT_EPILOGUE_BIAS). Not fused: GELU, whose backward needs the
// pre-activation (cuBLASLt's aux output has its own alignment rules) and
// whose cuBLASLt formula is not documented to be PyTorch's tanh form. Plans
// (descriptors, layouts and the heuristic's algorithm) are cached per thread
// and device, keyed by the shape, the types, the activation and each
// pointer's alignment (the heuristic excludes algorithms that need more); a
// shape for which cuBLASLt offers nothing is remembered, and the caller falls
// back to Gemm + BiasActivationForward.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>

#include "kernels/cuda/cuda_context.h"
#include "kernels/cuda/cuda_ops.h"

namespace aif {
namespace ops {
namespace cuda {
namespace {

bool EpilogueFusionEnabled() {
  static const bool enabled = [] {
    const char* value = std::getenv("AIF_CUBLASLT_EPILOGUE");
    return !(value && std::strcmp(value, "0") == 0);
  }();
  return enabled;
}

// The largest power of two, at most 256, that divides the address.
uint32_t AlignmentOf(const void* p) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  uint32_t alignment = 256;
  while (alignment > 1 && address % alignment != 0) alignment /= 2;
  return alignment;
}

struct Plan {
  bool usable = false;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t w = nullptr, x = nullptr, y = nullptr;
  cublasLtMatmulAlgo_t algo{};
};

template <typename T>
void SetDesc(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attribute, const T& value) {
  AIF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, attribute, &value, sizeof(value)));
}

template <typename T>
void SetPreference(cublasLtMatmulPreference_t pref, cublasLtMatmulPreferenceAttributes_t attribute, const T& value) {
  AIF_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, attribute, &value, sizeof(value)));
}

Plan MakePlan(int64_t m, int64_t n, int64_t k, bool bf16, Activation act, const void* x, const void* w,
              const float* bias, const float* y) {
  Plan plan;
  const cudaDataType_t input = bf16 ? CUDA_R_16BF : CUDA_R_32F;
  AIF_CUBLAS_CHECK(cublasLtMatmulDescCreate(&plan.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  SetDesc(plan.desc, CUBLASLT_MATMUL_DESC_TRANSA, int32_t{CUBLAS_OP_T});
  SetDesc(plan.desc, CUBLASLT_MATMUL_DESC_TRANSB, int32_t{CUBLAS_OP_N});
  const cublasLtEpilogue_t epilogue = act == Activation::kRelu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
  SetDesc(plan.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, static_cast<uint32_t>(epilogue));
  SetDesc(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, static_cast<const void*>(bias));  // the heuristic reads its alignment
  AIF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan.w, input, static_cast<uint64_t>(k), static_cast<uint64_t>(n), k));
  AIF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan.x, input, static_cast<uint64_t>(k), static_cast<uint64_t>(m), k));
  AIF_CUBLAS_CHECK(
      cublasLtMatrixLayoutCreate(&plan.y, CUDA_R_32F, static_cast<uint64_t>(n), static_cast<uint64_t>(m), n));

  cublasLtMatmulPreference_t pref = nullptr;
  AIF_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  SetPreference(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, uint64_t{kCublasLtWorkspaceBytes});
  SetPreference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, AlignmentOf(w));
  SetPreference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, AlignmentOf(x));
  SetPreference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, AlignmentOf(y));
  SetPreference(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, AlignmentOf(y));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(CublasLtHandle(), plan.desc, plan.w, plan.x, plan.y,
                                                               plan.y, pref, 1, &result, &found);
  AIF_CUBLAS_CHECK(cublasLtMatmulPreferenceDestroy(pref));
  // NOT_SUPPORTED (or no result) means no algorithm for this combination:
  // the caller falls back. Anything else is a real failure.
  if (status != CUBLAS_STATUS_NOT_SUPPORTED) AIF_CUBLAS_CHECK(status);
  plan.usable = status == CUBLAS_STATUS_SUCCESS && found > 0 && result.state == CUBLAS_STATUS_SUCCESS;
  plan.algo = result.algo;
  return plan;
}

// device, m, n, k, bf16, activation, and the alignments of x, w, bias and y.
using PlanKey = std::tuple<int, int64_t, int64_t, int64_t, bool, int, uint32_t, uint32_t, uint32_t, uint32_t>;

// Kept until the process ends, like the handles (cuda_context.h).
thread_local std::map<PlanKey, Plan> t_plans;

}  // namespace

bool GemmBiasActivation(int64_t m, int64_t n, int64_t k, bool bf16, const void* x, const void* w, const float* bias,
                        Activation act, float* y) {
  if (!EpilogueFusionEnabled() || act == Activation::kGelu) return false;
  int device = 0;
  AIF_CUDA_CHECK(cudaGetDevice(&device));
  const PlanKey key{device, m, n, k, bf16, static_cast<int>(act), AlignmentOf(x), AlignmentOf(w), AlignmentOf(bias),
                    AlignmentOf(y)};
  auto it = t_plans.find(key);
  if (it == t_plans.end()) it = t_plans.emplace(key, MakePlan(m, n, k, bf16, act, x, w, bias, y)).first;
  const Plan& plan = it->second;
  if (!plan.usable) return false;
  SetDesc(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, static_cast<const void*>(bias));
  const float one = 1.0f, zero = 0.0f;
  AIF_CUBLAS_CHECK(cublasLtMatmul(CublasLtHandle(), plan.desc, &one, w, plan.w, x, plan.x, &zero, y, plan.y, y, plan.y,
                                  &plan.algo, CublasLtWorkspace(), kCublasLtWorkspaceBytes, CurrentStream()));
  return true;
}

}  // namespace cuda
}  // namespace ops
}  // namespace aif
