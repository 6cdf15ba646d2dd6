#!/usr/bin/env bash
# Installs, from Debian's packages, whatever acquire's build, tests, benchmarks and examples need
# and this machine lacks. Safe to run again: it installs nothing when everything is there.
set -euo pipefail

packages=(
  g++ cmake ninja-build            # toolchain
  libeigen3-dev                    # the one dependency of the headers
  catch2 libbenchmark-dev          # tests and benchmarks
  clang libclang-rt-14-dev         # the libFuzzer targets (tests/fuzz), with ASan and UBSan
  zlib1g-dev dataset-fashion-mnist # the Fashion-MNIST example reads the dataset's IDX .gz files
  gnuplot-nox                      # optional: the example's learning-curve plot
  libopenmpi-dev openmpi-bin       # acquire::mpi (include/acquire/mpi.hpp), its tests under mpiexec
  libtorch-dev                     # the libtorch interop tests and the CNN example
  libhnswlib-dev                   # acquire::hnsw (include/acquire/hnsw.hpp): approximate neighbour graphs
  libfaiss-dev                     # bench/scale_neighbors' faiss task: faiss's graphs beside ours (docs/scale.md)
  doxygen                          # the API reference (the docs target)
  pkg-config                       # the consumer test's pkg-config build
  python3-dev pybind11-dev python3-pybind11   # the Python module (python/, pip install .)
  python3-numpy python3-pytest python3-venv python3-pip python3-setuptools
  python3-torch                    # the module's tensor tests
  python3-sklearn python3-scipy python3-matplotlib  # the Python example and benchmark
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
