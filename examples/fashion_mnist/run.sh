#!/usr/bin/env bash
# The full Fashion-MNIST study: two regimes on a 20,000-image pool, test = the 10,000 test images.
#   low: 20 random labels, then b = 10 per round up to 200, 12 strategies x 5 seeds;
#   mid: 100 random labels, then 15 rounds of b = 100 up to 1,600, 11 strategies x 3 seeds.
# Writes examples/fashion_mnist/results/{low,mid}/{results.csv,summary.csv,summary.dat,results.md,
# reach.dat,plot.gp,learning_curves.png}. Every (regime, strategy, seed) run is deterministic: a rerun gives the same
# accuracies (the seconds columns are timings). Extra flags go to the program, e.g.
#   run.sh --strategies typiclust --merge     (rerun one strategy, keep the others' rows)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash cmake/install-deps.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B build/release "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target fashion_mnist
./build/release/examples/fashion_mnist/fashion_mnist --out examples/fashion_mnist/results "$@"
