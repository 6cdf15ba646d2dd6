#!/usr/bin/env bash
# The full segmentation study: 6 strategies x 3 seeds, 4 images' worth of pixels (12,544) fully
# labelled at the start, then 10 rounds of 12,544 pixels each; pool = 2,000 scenes per seed, test
# = 500 scenes. About 30 minutes on 2 cores (two runs at a time, one torch thread each).
# Writes examples/segmentation/results/{results.csv,summary.dat,reach.dat,results.md,plot.gp,learning_curves.png}.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash cmake/install-deps.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
build=${ACQUIRE_BUILD_DIR:-build/release}
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j 1 --target segmentation_al
"./$build/examples/segmentation/segmentation_al" --out examples/segmentation/results "$@"
