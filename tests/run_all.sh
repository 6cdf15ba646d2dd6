#!/usr/bin/env bash
# The whole test suite, as CI runs it (the README's second command):
#   1. Release build (C++17) of the tests, benchmarks and examples; every test, plus the
#      install/consumer test (find_package and add_subdirectory);
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build (C++20) running the same tests;
#   3. every benchmark once on tiny pools (--smoke=1: a smoke run, no thresholds);
#   4. the examples.
# Build trees go to build/release and build/sanitize (override with ACQUIRE_BUILD_ROOT).
set -uo pipefail
cd "$(dirname "$0")/.."
root=${ACQUIRE_BUILD_ROOT:-build}
jobs=${ACQUIRE_JOBS:-$(nproc)}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

passed=0
failed=0
failures=()
stage() {  # stage NAME COMMAND...: runs one step and counts it
  local name=$1
  shift
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== FAILED: $name"
  fi
}

build() {  # build DIR CMAKE_ARGS...
  local dir=$1
  shift
  cmake -S . -B "$dir" "${generator[@]}" "$@" >/dev/null && cmake --build "$dir" -j "$jobs"
}

stage "release build" build "$root/release" -DCMAKE_BUILD_TYPE=Release -DACQUIRE_TEST_CXX_STANDARD=17
stage "release tests" ctest --test-dir "$root/release" --output-on-failure -j "$jobs"

stage "sanitizer build" build "$root/sanitize" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DACQUIRE_TEST_CXX_STANDARD=20 -DACQUIRE_BUILD_BENCHMARKS=OFF -DACQUIRE_BUILD_EXAMPLES=OFF \
  "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
stage "sanitizer tests" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/sanitize" --output-on-failure -j "$jobs" -LE install

for bench in "$root"/release/bench/bench_*; do
  [ -x "$bench" ] || continue
  stage "smoke $(basename "$bench")" "$bench" --smoke=1 --benchmark_min_time=0.01
done

stage "example quickstart" "$root/release/examples/quickstart"
if [ -x "$root/release/examples/fashion_mnist/fashion_mnist" ]; then
  stage "example fashion_mnist --quick" "$root/release/examples/fashion_mnist/fashion_mnist" --quick \
    --out "$root/fashion_mnist_quick"
fi

echo
if [ $failed -ne 0 ]; then printf 'failed stage: %s\n' "${failures[@]}"; fi
echo "acquire: $passed passed, $failed failed"
[ $failed -eq 0 ]
