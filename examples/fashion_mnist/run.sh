#!/usr/bin/env bash
# The full Fashion-MNIST experiment (about 10 minutes on 2 cores): 8 strategies x 3 seeds,
# 100 random labels then 15 rounds of 100, pool = the 60,000 training images, test = 10,000.
# Writes examples/fashion_mnist/results/{results.csv,summary.dat,results.md,learning_curves.png}.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash cmake/install-deps.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B build/release "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target fashion_mnist
./build/release/examples/fashion_mnist/fashion_mnist --out examples/fashion_mnist/results "$@"
