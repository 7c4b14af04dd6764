// Helpers shared by the kernel tests (tests/unit/kernels_*_test.cpp): seeded
// random tensors, and comparison of an op's output against a double-precision
// reference with the tolerance tol + |ref| * eps. A failed comparison names
// the largest absolute and relative errors and the worst element, so it says
// how far off an op is, not only that it is.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "tensor/tensor.h"

namespace aif {
namespace kernel_test {

// Uniform in [lo, hi), a pure function of (seed, index).
inline float UniformAt(uint64_t seed, uint64_t index, float lo = -1.0f, float hi = 1.0f) {
  return lo + (hi - lo) * UniformFloat(RandomBits(seed, RngPurpose::kSynthetic, 0, index).v[0]);
}

inline Tensor RandomTensor(const Shape& shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = Tensor::Empty(shape);
  float* data = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) data[i] = UniformAt(seed, static_cast<uint64_t>(i), lo, hi);
  return t;
}

// Random u8 validity mask with about `keep` of the rows valid.
inline Tensor RandomMask(int64_t rows, uint64_t seed, float keep = 0.7f) {
  Tensor t = Tensor::Empty({rows}, DType::kU8);
  for (int64_t r = 0; r < rows; ++r) t.data<uint8_t>()[r] = UniformAt(seed, r, 0.0f, 1.0f) < keep ? 1 : 0;
  return t;
}

inline Tensor FilledTensor(const Shape& shape, float value) {
  Tensor t = Tensor::Empty(shape);
  std::fill(t.data<float>(), t.data<float>() + t.numel(), value);
  return t;
}

inline std::vector<double> ToDoubles(const Tensor& t) {
  const float* data = t.data<float>();
  return std::vector<double>(data, data + t.numel());
}

// Same element count and identical bytes.
inline bool SameBits(const Tensor& a, const Tensor& b) {
  return a.numel() == b.numel() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw(), b.raw(), a.numel() * DTypeSize(a.dtype())) == 0;
}

// got[i] within tol + |want[i]| * eps of want[i] for every i.
inline ::testing::AssertionResult AllClose(const float* got, const std::vector<double>& want, double tol, double eps) {
  double max_abs = 0.0, max_rel = 0.0;
  int64_t worst = -1, failures = 0;
  double worst_excess = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double bound = tol + std::fabs(want[i]) * eps;
    const bool bad = !(err <= bound);  // NaN fails
    max_abs = std::max(max_abs, err);
    if (want[i] != 0.0) max_rel = std::max(max_rel, err / std::fabs(want[i]));
    if (bad) {
      ++failures;
      if (worst < 0 || !(err - bound <= worst_excess)) {
        worst = static_cast<int64_t>(i);
        worst_excess = err - bound;
      }
    }
  }
  if (failures == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << failures << " of " << want.size() << " elements off; largest abs error "
                                       << max_abs << ", largest rel error " << max_rel << "; worst at " << worst
                                       << ": got " << got[worst] << ", want " << want[worst] << " (tol " << tol
                                       << ", eps " << eps << ")";
}

inline ::testing::AssertionResult AllClose(const Tensor& got, const std::vector<double>& want, double tol, double eps) {
  if (got.numel() != static_cast<int64_t>(want.size())) {
    return ::testing::AssertionFailure() << "got " << got.numel() << " elements, want " << want.size();
  }
  return AllClose(got.data<float>(), want, tol, eps);
}

// Runs f and succeeds when it throws aif::Error of kind `kind` whose message
// contains every one of `needles`.
template <typename F>
::testing::AssertionResult ThrowsError(F&& f, ErrorKind kind, const std::vector<std::string>& needles) {
  try {
    f();
  } catch (const Error& e) {
    if (e.kind() != kind) return ::testing::AssertionFailure() << "wrong error kind: " << e.what();
    for (const std::string& needle : needles) {
      if (std::string(e.what()).find(needle) == std::string::npos) {
        return ::testing::AssertionFailure() << "message lacks '" << needle << "': " << e.what();
      }
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no aif::Error thrown";
}

// Central difference of a double function of one perturbed value.
template <typename F>
double CentralDifference(F&& loss, double* value, double h) {
  const double saved = *value;
  *value = saved + h;
  const double up = loss();
  *value = saved - h;
  const double down = loss();
  *value = saved;
  return (up - down) / (2.0 * h);
}

}  // namespace kernel_test
}  // namespace aif
