#!/usr/bin/env bash
# The README's first command: installs what is missing, builds and runs the quickstart, then a
# short version of the Fashion-MNIST active-learning loop.
set -euo pipefail
cd "$(dirname "$0")/.."
bash cmake/install-deps.sh
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
python=$(command -v /usr/bin/python3 || command -v python3)  # Debian's, with numpy
cmake -S . -B build/release "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "-DPYTHON_EXECUTABLE=$python" >/dev/null
cmake --build build/release -j "$(nproc)" --target quickstart
./build/release/examples/quickstart
if cmake --build build/release -j "$(nproc)" --target fashion_mnist 2>/dev/null; then
  ./build/release/examples/fashion_mnist/fashion_mnist --quick --out build/fashion_mnist_quick
fi
# The same loop from Python, with scikit-learn (the module builds where pybind11 is found).
if cmake --build build/release -j "$(nproc)" --target acquire_al_core 2>/dev/null; then
  PYTHONPATH=build/release/py "$python" examples/python/al_loop.py --quick --out build/python_quick
fi
