#!/usr/bin/env bash
# The whole test suite, as CI runs it (the README's second command):
#   1. Release build (C++17) of the tests, benchmarks and examples; every test, plus the
#      install/consumer test (find_package, add_subdirectory and pkg-config);
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build (C++20, -O1 with line tables: half
#      the compile time of -O2 -g on 2 cores, and no optimisation folds a fault away) running the
#      same tests;
#   3. every benchmark once on tiny pools (bench/tables.py --smoke: a smoke run, no thresholds),
#      and the large-pool script of docs/scale.md on tiny pools (bench/scale_neighbors.py --quick);
#   4. the examples (the libtorch CNN and segmentation examples --quick where libtorch is found) and the Doxygen API
#      reference (warnings are errors);
#   5. determinism: the release build's per-function output digests against a build without
#      OpenMP (test_determinism also compares 1 and 3 threads inside each build);
#   6. fuzzing: every libFuzzer target (clang, ASan + UBSan) for ACQUIRE_FUZZ_SECONDS (default 20)
#      each over its seed corpus (tests/fuzz/run.sh);
#   7. Python: the module's pytest suite runs in stage 1 (ctest's `python` test, from the release
#      build); here `pip install .` into a venv as the README shows, the Python example --quick
#      and the Python benchmark --quick.
# Build trees go to build/release and build/sanitize (override with ACQUIRE_BUILD_ROOT).
set -uo pipefail
cd "$(dirname "$0")/.."
root=${ACQUIRE_BUILD_ROOT:-build}
jobs=${ACQUIRE_JOBS:-$(nproc)}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# Debian's Python, which has numpy, pytest and torch from the distribution's packages (a
# python3 earlier on PATH, e.g. pyenv's, may have none of them).
python=$(command -v /usr/bin/python3 || command -v python3)

passed=0
failed=0
failures=()
stage() {  # stage NAME COMMAND...: runs one step and counts it
  local name=$1 start=$SECONDS
  shift
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: $((SECONDS - start)) s"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== FAILED: $name ($((SECONDS - start)) s)"
  fi
}

build() {  # build DIR CMAKE_ARGS...
  local dir=$1
  shift
  cmake -S . -B "$dir" "${generator[@]}" "$@" >/dev/null && cmake --build "$dir" -j "$jobs"
}

stage "release build" build "$root/release" -DCMAKE_BUILD_TYPE=Release -DACQUIRE_TEST_CXX_STANDARD=17 \
  "-DPYTHON_EXECUTABLE=$python"
stage "release tests" ctest --test-dir "$root/release" --output-on-failure -j "$jobs"

stage "sanitizer build" build "$root/sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DACQUIRE_TEST_CXX_STANDARD=20 \
  -DACQUIRE_BUILD_BENCHMARKS=OFF -DACQUIRE_BUILD_EXAMPLES=OFF -DACQUIRE_BUILD_PYTHON=OFF \
  "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
stage "sanitizer tests" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/sanitize" --output-on-failure -j "$jobs" -LE install

# Every benchmark once on tiny pools, through the script that writes docs/benchmarks.md.
stage "smoke benchmarks (bench/tables.py --smoke)" "$python" bench/tables.py --smoke \
  --build "$root/release/bench" --out "$root/benchmarks_smoke.md"
if [ -x "$root/release/bench/scale_neighbors" ]; then
  # The large-pool runs of docs/scale.md, on tiny pools: the script and each task once.
  stage "smoke scale runs (bench/scale_neighbors.py --quick)" "$python" bench/scale_neighbors.py --quick --fresh \
    --build "$root/release/bench" --out "$root/scale_smoke.md"
fi

stage "example quickstart" "$root/release/examples/quickstart"
if [ -x "$root/release/examples/fashion_mnist/fashion_mnist" ]; then
  stage "example fashion_mnist --quick" "$root/release/examples/fashion_mnist/fashion_mnist" --quick \
    --out "$root/fashion_mnist_quick"
fi
if [ -x "$root/release/examples/distributed/distributed" ]; then
  stage "example distributed (2 ranks)" env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    OMPI_MCA_btl_vader_single_copy_mechanism=none OMP_NUM_THREADS=1 \
    mpiexec -n 2 --oversubscribe "$root/release/examples/distributed/distributed" --n 20000 --d 32 --b 20
fi
if [ -x "$root/release/examples/libtorch/libtorch_al" ]; then
  stage "example libtorch_al --quick" "$root/release/examples/libtorch/libtorch_al" --quick \
    --out "$root/libtorch_quick"
fi
if [ -x "$root/release/examples/segmentation/segmentation_al" ]; then
  stage "example segmentation_al --quick" "$root/release/examples/segmentation/segmentation_al" --quick \
    --out "$root/segmentation_quick"
fi

# The API reference: Doxygen warnings (an undocumented public name) fail the stage.
if command -v doxygen >/dev/null; then
  stage "docs (doxygen, warnings are errors)" cmake --build "$root/release" --target docs
else
  stage "docs (doxygen not found: run cmake/install-deps.sh)" false
fi

# Bit-identical with and without OpenMP: one digest per function from each build.
same_digests() {
  cmake -S . -B "$root/no-openmp" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DACQUIRE_USE_OPENMP=OFF \
    -DACQUIRE_TEST_CXX_STANDARD=17 -DACQUIRE_BUILD_BENCHMARKS=OFF -DACQUIRE_BUILD_EXAMPLES=OFF \
    -DACQUIRE_INSTALL=OFF -DACQUIRE_BUILD_PYTHON=OFF >/dev/null &&
    cmake --build "$root/no-openmp" -j "$jobs" --target test_determinism >/dev/null || return 1
  ACQUIRE_DIGEST_FILE="$root/digests-openmp.txt" "$root/release/tests/test_determinism" >/dev/null &&
    ACQUIRE_DIGEST_FILE="$root/digests-serial.txt" "$root/no-openmp/tests/test_determinism" >/dev/null &&
    diff "$root/digests-openmp.txt" "$root/digests-serial.txt" &&
    echo "determinism: $(wc -l <"$root/digests-serial.txt") functions bit-identical with and without OpenMP"
}
stage "determinism without OpenMP" same_digests

if command -v clang++ >/dev/null; then
  stage "fuzz build" build "$root/fuzz" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DACQUIRE_BUILD_FUZZERS=ON -DACQUIRE_BUILD_TESTS=OFF -DACQUIRE_BUILD_BENCHMARKS=OFF \
    -DACQUIRE_BUILD_EXAMPLES=OFF -DACQUIRE_USE_OPENMP=OFF -DACQUIRE_INSTALL=OFF -DACQUIRE_BUILD_PYTHON=OFF
  stage "fuzz" tests/fuzz/run.sh "$root/fuzz" "${ACQUIRE_FUZZ_SECONDS:-20}"
else
  stage "fuzz (clang++ not found: run cmake/install-deps.sh)" false
fi

# Python: the README's install route, then the example and the benchmark from the release build.
pip_install() {
  rm -rf "$root/venv" && "$python" -m venv --system-site-packages "$root/venv" &&
    ACQUIRE_JOBS=$jobs "$root/venv/bin/pip" install --no-build-isolation --no-deps -q . &&
    (cd "$root" && venv/bin/python -c "import acquire_al as acq, numpy as np; \
print('pip install: acquire_al', acq.__version__, 'entropy', acq.entropy(np.full((1, 2), 0.5))[0])")
}
if [ -f "$root/release/py/acquire_al/__init__.py" ]; then
  stage "python pip install (venv)" pip_install
  stage "example python --quick" env PYTHONPATH="$root/release/py" "$python" examples/python/al_loop.py --quick \
    --out "$root/python_quick"
  stage "smoke python bench" env PYTHONPATH="$root/release/py" "$python" python/bench/bench_python.py --quick
else
  stage "python (module not built: run cmake/install-deps.sh)" false
fi

echo
if [ $failed -ne 0 ]; then printf 'failed stage: %s\n' "${failures[@]}"; fi
echo "acquire: $passed passed, $failed failed, in $((SECONDS / 60)) min $((SECONDS % 60)) s"
[ $failed -eq 0 ]
