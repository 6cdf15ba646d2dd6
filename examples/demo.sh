#!/usr/bin/env bash
# The README's first command: installs what is missing, builds and runs the quickstart, then a
# short version of the Fashion-MNIST active-learning loop.
set -euo pipefail
cd "$(dirname "$0")/.."
bash cmake/install-deps.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B build/release "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target quickstart
./build/release/examples/quickstart
if cmake --build build/release -j "$(nproc)" --target fashion_mnist 2>/dev/null; then
  ./build/release/examples/fashion_mnist/fashion_mnist --quick --out build/fashion_mnist_quick
fi
