#!/usr/bin/env bash
# The full libtorch CNN experiment: 7 strategies x 3 seeds, 20 balanced labels then 15 rounds
# of 10, pool = 4,000 random training images per seed, test = 5,000 images.
# Writes examples/libtorch/results/{results.csv,summary.dat,reach.dat,results.md,plot.gp,learning_curves.png}.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash cmake/install-deps.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
build=${ACQUIRE_BUILD_DIR:-build/release}
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j 1 --target libtorch_al
"./$build/examples/libtorch/libtorch_al" --out examples/libtorch/results "$@"
