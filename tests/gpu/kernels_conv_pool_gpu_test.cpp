// Convolution (cuDNN) and max pooling (custom kernels) on the GPU against the
// CPU reference. Convolution: odd sizes, strides 1-3, padding 0-2, 1x1
// pointwise and 1x1 strided, non-square kernels, kernels as large as the
// input, C = 1 and 3 and many channels, K = 1 and more, empty batches,
// channels and filters, with and without bias, accumulate on and off, dx
// undefined, dbias undefined, and the workspace operand undefined or of any
// size (CUDA ignores it). cuDNN sums the products in another order than
// OpenBLAS, so outputs agree within tol + |cpu| * 1e-5 with tol growing with
// the number of products per output; dbias sums in double on both, so it is
// held to 1e-6. Backward is rerun for determinism (deterministic algorithms
// are preferred). Pooling must give the CPU's bits: values, argmax (ties and
// NaN included) and dx where windows overlap (the gather adds in the CPU's
// order).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "gpu_test_util.h"
#include "kernels/ops.h"

namespace aif {
namespace {

using gpu_test::CloseToCpu;
using gpu_test::GpuTest;
using gpu_test::OnGpu;
using gpu_test::SameBytes;
using kernel_test::FilledTensor;
using kernel_test::RandomTensor;

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// A GPU tensor of `shape` full of NaN: every element an op must write.
Tensor GpuNaN(const Shape& shape) { return OnGpu(FilledTensor(shape, kNaN)); }

// ---- Convolution ---------------------------------------------------------

struct ConvCase {
  int64_t n, c, h, w, k, r, s, stride, padding;
};

const ConvCase kConvCases[] = {
    {1, 1, 1, 1, 1, 1, 1, 1, 0},      // a single multiply
    {2, 3, 7, 5, 4, 3, 3, 1, 1},      // odd sizes, C = 3, padding
    {3, 2, 8, 9, 5, 3, 3, 2, 1},      // stride 2 and padding
    {1, 1, 17, 17, 3, 5, 5, 2, 2},    // C = 1, 5x5, padding 2
    {2, 4, 6, 6, 3, 1, 1, 1, 0},      // pointwise
    {2, 3, 5, 7, 2, 1, 1, 2, 0},      // 1x1 with stride 2
    {1, 2, 4, 4, 3, 4, 4, 1, 0},      // kernel as large as the input
    {2, 3, 7, 7, 3, 2, 3, 3, 2},      // non-square kernel, stride 3
    {1, 33, 3, 3, 7, 3, 3, 1, 1},     // many channels, tiny image
    {5, 16, 9, 9, 1, 3, 3, 1, 0},     // K = 1
    {2, 1, 28, 28, 8, 3, 3, 1, 1},    // an MNIST first layer
    {128, 1, 28, 28, 32, 3, 3, 1, 1}, // ... with a training batch
    {64, 32, 14, 14, 64, 3, 3, 1, 1}, // an MNIST second layer
    {8, 3, 33, 31, 16, 3, 3, 2, 1},   // odd, strided, K = 16
    {4, 64, 8, 8, 128, 1, 1, 1, 0},   // pointwise, wide
    {0, 3, 5, 5, 4, 3, 3, 1, 1},      // no images
    {2, 0, 3, 3, 4, 1, 1, 1, 0},      // no input channels: y = bias
    {2, 3, 4, 4, 0, 1, 1, 1, 0},      // no filters: dx = 0
};

std::string Describe(const ConvCase& g) {
  return "x [" + std::to_string(g.n) + "," + std::to_string(g.c) + "," + std::to_string(g.h) + "," +
         std::to_string(g.w) + "] w [" + std::to_string(g.k) + "," + std::to_string(g.c) + "," + std::to_string(g.r) +
         "," + std::to_string(g.s) + "] stride " + std::to_string(g.stride) + " padding " + std::to_string(g.padding);
}

struct Conv {
  ops::Conv2dParams params;
  Shape x_shape, w_shape, y_shape;
  Tensor x, w, bias;  // CPU
  Tensor workspace;   // CPU, Conv2dWorkspaceElements() floats (maybe none)
  double products;    // per output of y
};

Conv MakeConv(const ConvCase& g, uint64_t seed) {
  Conv c;
  c.params = {g.stride, g.padding};
  const int64_t p = ops::ConvOutputSize(g.h, g.r, g.stride, g.padding);
  const int64_t q = ops::ConvOutputSize(g.w, g.s, g.stride, g.padding);
  c.x_shape = {g.n, g.c, g.h, g.w};
  c.w_shape = {g.k, g.c, g.r, g.s};
  c.y_shape = {g.n, g.k, p, q};
  c.x = RandomTensor(c.x_shape, seed);
  c.w = RandomTensor(c.w_shape, seed + 1);
  c.bias = RandomTensor({g.k}, seed + 2);
  c.workspace = Tensor::Empty({ops::Conv2dWorkspaceElements(c.x_shape, c.w_shape, c.params)});
  c.products = static_cast<double>(g.c * g.r * g.s);
  return c;
}

// The workspace operand for a CUDA call: undefined, the size that
// Conv2dWorkspaceElements gives CUDA (0), or one float; all are ignored.
Tensor GpuWorkspace(const Conv& c, int variant) {
  if (variant % 3 == 0) return Tensor();
  if (variant % 3 == 1) {
    return Tensor::Empty({ops::Conv2dWorkspaceElements(c.x_shape, c.w_shape, c.params, DeviceType::kCuda)},
                         DType::kF32, DeviceType::kCuda);
  }
  return Tensor::Empty({1}, DType::kF32, DeviceType::kCuda);
}

// Inputs in [-1, 1): a sum of m products is within ~m float roundings of
// the truth on either backend.
double SumTol(double terms) { return 1e-6 * terms + 1e-6; }

using GpuConv = GpuTest;

TEST_F(GpuConv, ForwardMatchesCpu) {
  uint64_t seed = 1;
  int variant = 0;
  for (const ConvCase& g : kConvCases) {
    const Conv c = MakeConv(g, seed);
    seed += 10;
    for (bool with_bias : {false, true}) {
      SCOPED_TRACE(testing::Message() << Describe(g) << " bias " << with_bias);
      const Tensor bias = with_bias ? c.bias : Tensor();
      Tensor y = Tensor::Empty(c.y_shape);
      ops::Conv2dForward(c.x, c.w, bias, c.params, y, c.workspace);
      Tensor gy = GpuNaN(c.y_shape);
      ops::Conv2dForward(OnGpu(c.x), OnGpu(c.w), OnGpu(bias), c.params, gy, GpuWorkspace(c, variant++));
      EXPECT_TRUE(CloseToCpu(gy, y, SumTol(c.products), 1e-5));
    }
  }
}

TEST_F(GpuConv, BackwardMatchesCpu) {
  uint64_t seed = 1000;
  int variant = 0;
  for (const ConvCase& g : kConvCases) {
    const Conv c = MakeConv(g, seed);
    const Tensor dy = RandomTensor(c.y_shape, seed + 3);
    const Tensor dw_start = RandomTensor(c.w_shape, seed + 4), dbias_start = RandomTensor({g.k}, seed + 5);
    seed += 10;
    const int64_t p = c.y_shape[2], q = c.y_shape[3];
    for (bool accumulate : {false, true}) {
      for (bool with_dx : {true, false}) {
        for (bool with_dbias : {true, false}) {
          SCOPED_TRACE(testing::Message() << Describe(g) << " accumulate " << accumulate << " dx " << with_dx
                                          << " dbias " << with_dbias);
          Tensor dx = with_dx ? Tensor::Empty(c.x_shape) : Tensor();
          Tensor dw = Tensor::Empty(c.w_shape), dbias = with_dbias ? Tensor::Empty({g.k}) : Tensor();
          dw.CopyFrom(dw_start);
          if (with_dbias) dbias.CopyFrom(dbias_start);
          ops::Conv2dBackward(c.x, c.w, dy, c.params, dx, dw, dbias, accumulate, c.workspace);

          Tensor gdx = with_dx ? GpuNaN(c.x_shape) : Tensor();  // overwritten, never read
          Tensor gdw = OnGpu(dw_start), gdbias = with_dbias ? OnGpu(dbias_start) : Tensor();
          ops::Conv2dBackward(OnGpu(c.x), OnGpu(c.w), OnGpu(dy), c.params, gdx, gdw, gdbias, accumulate,
                              GpuWorkspace(c, variant++));
          // dx sums at most k*r*s products, dw n*p*q, dbias n*p*q terms in double.
          if (with_dx) {
            EXPECT_TRUE(CloseToCpu(gdx, dx, SumTol(static_cast<double>(g.k * g.r * g.s)), 1e-5));
          }
          EXPECT_TRUE(CloseToCpu(gdw, dw, SumTol(static_cast<double>(g.n * p * q)), 1e-5));
          if (with_dbias) {
            EXPECT_TRUE(CloseToCpu(gdbias, dbias, 1e-6, 1e-6));
          }
        }
      }
    }
  }
}

TEST_F(GpuConv, RerunsGiveTheSameBits) {
  const ConvCase g = {32, 16, 20, 20, 32, 3, 3, 1, 1};
  const Conv c = MakeConv(g, 77);
  const Tensor x = OnGpu(c.x), w = OnGpu(c.w), bias = OnGpu(c.bias), dy = OnGpu(RandomTensor(c.y_shape, 78));
  Tensor y[2], dx[2], dw[2], dbias[2];
  for (int run = 0; run < 2; ++run) {
    y[run] = GpuNaN(c.y_shape);
    dx[run] = GpuNaN(c.x_shape);
    dw[run] = GpuNaN(c.w_shape);
    dbias[run] = GpuNaN({g.k});
    ops::Conv2dForward(x, w, bias, c.params, y[run], Tensor());
    ops::Conv2dBackward(x, w, dy, c.params, dx[run], dw[run], dbias[run], false, Tensor());
  }
  EXPECT_TRUE(SameBytes(y[1], gpu_test::OnCpu(y[0])));
  EXPECT_TRUE(SameBytes(dx[1], gpu_test::OnCpu(dx[0])));
  EXPECT_TRUE(SameBytes(dw[1], gpu_test::OnCpu(dw[0])));
  EXPECT_TRUE(SameBytes(dbias[1], gpu_test::OnCpu(dbias[0])));
}

// ---- Max pooling ---------------------------------------------------------

struct PoolCase {
  int64_t n, c, h, w, kernel, stride;
};

const PoolCase kPoolCases[] = {
    {1, 1, 1, 1, 1, 1},     {2, 3, 7, 5, 2, 2},     {1, 2, 8, 8, 3, 2},  {3, 1, 17, 33, 3, 3},
    {2, 2, 6, 6, 2, 1},     {1, 3, 28, 28, 2, 2},   {64, 32, 28, 28, 2, 2},
    {4, 5, 13, 11, 3, 1},   // every input in up to 9 windows
    {2, 3, 9, 9, 4, 3},     // overlapping, and the last row and column in no window
    {1, 1, 5, 5, 5, 1},     // one window over the whole plane
    {3, 2, 10, 7, 1, 2},    // kernel 1, stride 2: gaps between windows
    {2, 4, 31, 17, 5, 2},   // odd sizes, overlapping
    {0, 3, 4, 4, 2, 2},     // no images
};

std::string Describe(const PoolCase& g) {
  return "x [" + std::to_string(g.n) + "," + std::to_string(g.c) + "," + std::to_string(g.h) + "," +
         std::to_string(g.w) + "] kernel " + std::to_string(g.kernel) + " stride " + std::to_string(g.stride);
}

enum class PoolInput { kRandom, kTies, kNaN };
const PoolInput kPoolInputs[] = {PoolInput::kRandom, PoolInput::kTies, PoolInput::kNaN};
const char* Name(PoolInput input) {
  return input == PoolInput::kRandom ? "random" : input == PoolInput::kTies ? "ties" : "NaN";
}

// Random values; or four levels (-1, -0.5, 0, 0.5, with -0 among the
// zeros), so most windows tie and inputs win several windows; or random
// with every seventh value NaN.
Tensor MakePoolInput(const Shape& shape, uint64_t seed, PoolInput input) {
  Tensor x = RandomTensor(shape, seed);
  float* v = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (input == PoolInput::kTies) {
      v[i] = std::floor(v[i] * 2.0f) / 2.0f;
      if (v[i] == 0.0f && i % 2 == 1) v[i] = -0.0f;
    } else if (input == PoolInput::kNaN && i % 7 == 3) {
      v[i] = kNaN;
    }
  }
  return x;
}

Tensor FilledI32(const Shape& shape, int32_t value) {
  Tensor t = Tensor::Empty(shape, DType::kI32);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int32_t>()[i] = value;
  return t;
}

// A case's input of one kind, and the CPU's forward of it.
struct CpuPool {
  Shape x_shape, y_shape;
  Tensor x, y, argmax;
};

CpuPool RunCpuPool(const PoolCase& g, PoolInput input, uint64_t seed) {
  CpuPool run;
  run.x_shape = {g.n, g.c, g.h, g.w};
  run.y_shape = {g.n, g.c, ops::ConvOutputSize(g.h, g.kernel, g.stride, 0),
                 ops::ConvOutputSize(g.w, g.kernel, g.stride, 0)};
  run.x = MakePoolInput(run.x_shape, seed, input);
  run.y = Tensor::Empty(run.y_shape);
  run.argmax = Tensor::Empty(run.y_shape, DType::kI32);
  ops::MaxPool2dForward(run.x, g.kernel, g.stride, run.y, run.argmax);
  return run;
}

using GpuPool = GpuTest;

TEST_F(GpuPool, ForwardGivesTheCpuBits) {
  uint64_t seed = 1;
  for (const PoolCase& g : kPoolCases) {
    for (PoolInput input : kPoolInputs) {
      SCOPED_TRACE(testing::Message() << Describe(g) << " " << Name(input));
      const CpuPool cpu = RunCpuPool(g, input, seed++);
      Tensor gy = GpuNaN(cpu.y_shape), gargmax = OnGpu(FilledI32(cpu.y_shape, -1));
      ops::MaxPool2dForward(OnGpu(cpu.x), g.kernel, g.stride, gy, gargmax);
      EXPECT_TRUE(SameBytes(gy, cpu.y));
      EXPECT_TRUE(SameBytes(gargmax, cpu.argmax));
    }
  }
}

TEST_F(GpuPool, BackwardGivesTheCpuBits) {
  uint64_t seed = 100;
  for (const PoolCase& g : kPoolCases) {
    for (PoolInput input : kPoolInputs) {
      SCOPED_TRACE(testing::Message() << Describe(g) << " " << Name(input));
      const CpuPool cpu = RunCpuPool(g, input, seed++);
      const Tensor dy = RandomTensor(cpu.y_shape, seed++);
      Tensor dx = FilledTensor(cpu.x_shape, 3.0f);  // overwritten
      ops::MaxPool2dBackward(dy, cpu.argmax, g.kernel, g.stride, dx);
      // From the CPU's argmax, so the backward is judged on its own.
      Tensor gdx = GpuNaN(cpu.x_shape);
      ops::MaxPool2dBackward(OnGpu(dy), OnGpu(cpu.argmax), g.kernel, g.stride, gdx);
      EXPECT_TRUE(SameBytes(gdx, dx));
    }
  }
}

}  // namespace
}  // namespace aif
