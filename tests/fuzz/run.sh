#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each (two at a time) over a scratch copy
# of its committed seed corpus, and fails on any crash, leak, sanitizer report or timeout.
# Prints the executions per target. Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1
seconds=${2:-${ACQUIRE_FUZZ_SECONDS:-25}}
jobs=${ACQUIRE_JOBS:-$(nproc)}
out="$build/fuzz-runs"
rm -rf "$out"
mkdir -p "$out"

run_one() {  # run_one TARGET_PATH
  local target=$1 name
  name=$(basename "$target")
  mkdir -p "$out/$name/corpus" "$out/$name/artifacts"
  cp "$here/corpus/$name"/* "$out/$name/corpus/" 2>/dev/null
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$target" "$out/$name/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=2048 -print_final_stats=1 -artifact_prefix="$out/$name/artifacts/" \
    >"$out/$name/log" 2>&1
  local rc=$?
  local runs
  runs=$(grep -m1 'stat::number_of_executed_units' "$out/$name/log" | awk '{print $2}')
  if [ $rc -eq 0 ]; then
    echo "fuzz: $name ${runs:-?} executions in ${seconds} s, no findings"
  else
    echo "fuzz: $name FAILED (exit $rc); log: $out/$name/log; reproducer: $(ls "$out/$name/artifacts" | head -1)"
    tail -40 "$out/$name/log"
    return 1
  fi
}
export -f run_one
export out here seconds

targets=$(find "$build" -type f -name 'fuzz_*' -perm -u+x | sort)
[ -n "$targets" ] || { echo "fuzz: no targets in $build"; exit 1; }
echo "$targets" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}
