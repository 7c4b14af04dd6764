// Backend dispatch for kernels/ops*.cpp. AIF_DISPATCH(check, Fn, args...)
// calls cuda::Fn(args...) when the checked operands live on the CUDA device
// and cpu::Fn(args...) otherwise; both backends declare every op of
// kernels/backend_ops.inc with one signature, so the arguments are written
// once. In a build without the CUDA backend OnCuda() throws the usage error
// for CUDA operands, so the first branch is never taken there; it names the
// CPU function only to keep both branches well-formed.
#pragma once

#include "kernels/cpu/cpu_ops.h"
#include "kernels/op_check.h"

#if defined(AIF_WITH_CUDA)
#include "kernels/cuda/cuda_ops.h"
#define AIF_CUDA_BACKEND ::aif::ops::cuda
#else
#define AIF_CUDA_BACKEND ::aif::ops::cpu
#endif

#define AIF_DISPATCH(check, fn, ...) \
  (::aif::ops::OnCuda(check) ? AIF_CUDA_BACKEND::fn(__VA_ARGS__) : ::aif::ops::cpu::fn(__VA_ARGS__))
