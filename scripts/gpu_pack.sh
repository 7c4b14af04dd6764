#!/usr/bin/env bash
# Packs what a GPU machine without Debian's packages needs to run aif's GPU
# tests and benchmarks (scripts/gpu_run.sh, run there): the CUDA build's
# binaries, the Debian runtime libraries they load (OpenBLAS, HDF5, Open MPI
# with its launcher, plugins and PMIx), and the Fashion-MNIST files, into
# .gpu-carry/ (git-ignored), about 50 MiB. CUDA's own libraries (cudart,
# cuBLAS, cuDNN, NCCL) are not packed: the GPU machine's image has them.
#
#   AIF_CUDA=ON ./scripts/setup.sh        # or: cmake -S . -B build && cmake --build build -j2
#   scripts/gpu_pack.sh                   # BUILD_DIR (build), FMNIST_DIR (Debian's) from the environment
#   then, with the device tool: carry [".gpu-carry"], command "bash scripts/gpu_run.sh"
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
FMNIST=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
OUT=.gpu-carry
BINS=(aif tests/aif_gpu_tests benchmarks/aif_kernel_bench benchmarks/train_mlp_bench benchmarks/aif_allreduce_bench)
# glibc, the C++ runtime and the CUDA libraries: the GPU machine's own (its
# newer libstdc++ serves Debian 12's binaries; Debian's would break its
# PyTorch, which needs a newer one).
SKIP='/(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux[^/]*|libstdc\+\+|libgcc_s)\.so|/lib(cuda|cudart|cublas|cublasLt|cudnn[a-z_]*|nccl|nvrtc|nvJitLink)\.so'

for b in "${BINS[@]}"; do
  if [ ! -x "$BUILD/$b" ]; then
    echo "gpu_pack: $BUILD/$b is missing: build with the CUDA backend first (AIF_CUDA=ON ./scripts/setup.sh)" >&2
    exit 2
  fi
done
if ! ldd "$BUILD/aif" | grep -q libcudart; then
  echo "gpu_pack: $BUILD/aif is a CPU-only build; rebuild with -DAIF_CUDA=ON" >&2
  exit 2
fi
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  [ -r "$FMNIST/$f" ] || { echo "gpu_pack: $FMNIST/$f is missing (apt-get install dataset-fashion-mnist)" >&2; exit 2; }
done

rm -rf "$OUT"
mkdir -p "$OUT/build" "$OUT/data"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for b in "${BINS[@]}"; do  # the build's layout, so BUILD_DIR=.gpu-carry/build works for the scripts
  mkdir -p "$OUT/build/$(dirname "$b")"
  cp "$BUILD/$b" "$OUT/build/$b"
done
cp "$FMNIST"/*-ubyte.gz "$OUT/data/"

# Open MPI and PMIx at their Debian paths: gpu_run.sh unpacks them under a
# new root and relocates them with OPAL_PREFIX and PMIX_INSTALL_PREFIX.
MPI_TREES=(usr/lib/x86_64-linux-gnu/openmpi usr/lib/x86_64-linux-gnu/pmix2 usr/share/openmpi usr/share/pmix
           usr/bin/orterun usr/bin/orted)
for p in "${MPI_TREES[@]}"; do
  [ -e "/$p" ] || continue
  mkdir -p "$stage/root/$(dirname "$p")"
  cp -a "/$p" "$stage/root/$p"
done
ln -s orterun "$stage/root/usr/bin/mpirun"

# Every shared library the binaries and Open MPI's plugins load, resolved
# here, into one folder on the library path there.
mkdir -p "$stage/root/lib"
{
  for b in "${BINS[@]}"; do ldd "$BUILD/$b"; done
  find "$stage/root/usr" -name '*.so' -type f -exec ldd {} \; 2>/dev/null
  ldd /usr/bin/orterun
} | awk '/=> \//{print $3}' | sort -u | grep -Ev "$SKIP" | while read -r lib; do
  cp -L "$lib" "$stage/root/lib/"
done
tar -C "$stage/root" -cJf "$OUT/runtime.tar.xz" .
echo "gpu_pack: $(du -sh "$OUT" | cut -f1) in $OUT ($(ls "$stage/root/lib" | wc -l) libraries);" \
  "carry it and run: bash scripts/gpu_run.sh"
