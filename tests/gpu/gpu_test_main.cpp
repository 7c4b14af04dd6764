// main() of the GPU test program. Without a usable GPU every test skips with
// the probe's reason and the program exits 77, which ctest (SKIP_RETURN_CODE)
// reports as a skipped test, never as a passed one.
#include <gtest/gtest.h>

#include <cstdio>

#include "tensor/device.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const aif::CudaProbe& probe = aif::ProbeCuda();
  if (!probe.usable) std::printf("GPU tests skipped: no usable CUDA device: %s\n", probe.reason.c_str());
  const int failed = RUN_ALL_TESTS();
  if (failed != 0) return failed;
  return probe.usable ? 0 : 77;
}
