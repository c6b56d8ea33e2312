#!/usr/bin/env bash
# Builds one fuzz target with clang, libFuzzer, ASan and UBSan, then fuzzes it
# for a bounded time from its seed corpus and regressions. Fails on any
# crash, leak, timeout or sanitizer report.
#
# Usage: run_fuzzer.sh NAME DICT SOURCE.cc...   (run from the workspace root,
# as Bazel does; includes are relative to it)
set -euo pipefail

# Seconds of fuzzing per run; override with --test_env=FUZZ_SECONDS=N.
FUZZ_SECONDS="${FUZZ_SECONDS:-45}"

name=$1
dict=$2
shift 2

cxx=$(command -v clang++-14 || command -v clang++ || true)
if [[ -z "$cxx" ]]; then
  echo "FAIL: clang++-14 not found (./bazelw installs clang-14)" >&2
  exit 1
fi

work="${TEST_TMPDIR:-$(mktemp -d)}/fuzz-$name"
out="${TEST_UNDECLARED_OUTPUTS_DIR:-$work}"
rm -rf "$work"
mkdir -p "$work/corpus" "$out"
export TMPDIR="$work"

# Bazel is set up for gcc only, so the target is compiled here, straight
# from the sources the test gets as data.
"$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Wall -Wextra -I. "$@" -o "$work/fuzzer"

# Seeds and regressions copied into one writable corpus: libFuzzer adds the
# inputs it finds to its first corpus directory.
seeds=0
for dir in "fuzzing/corpus/$name" "fuzzing/regressions/$name"; do
  [[ -d "$dir" ]] || continue
  kind=$(basename "$(dirname "$dir")")  # corpus or regressions
  while IFS= read -r -d '' f; do
    cp -L "$f" "$work/corpus/$kind-$(basename "$f")"
    seeds=$((seeds + 1))
  done < <(find -L "$dir" -type f ! -name '.*' -print0)
done
echo "fuzzing $name for ${FUZZ_SECONDS}s from $seeds seed inputs"

log="$out/$name-fuzz.log"
rc=0
ASAN_OPTIONS="detect_leaks=1" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  "$work/fuzzer" -max_total_time="$FUZZ_SECONDS" -timeout=5 \
  -rss_limit_mb=2048 -print_final_stats=1 -dict="$dict" \
  -artifact_prefix="$out/" "$work/corpus" >"$log" 2>&1 || rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" |
  tail -1 || true)
echo "executions: ${execs:-?}"
echo "coverage:   ${cov:-?} (cov = edges, ft = features, corp = inputs/bytes)"

problem=""
if ((rc != 0)); then
  problem="libFuzzer exited with $rc"
elif grep -Eq 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:|property violated' "$log"; then
  problem="a sanitizer or property report"
elif [[ -z "$execs" || "$execs" == 0 ]]; then
  problem="no executions"
fi
if [[ -n "$problem" ]]; then
  echo "FAIL: $problem" >&2
  echo "the log and the input are in the test's outputs: $out" >&2
  grep -E 'property violated|ERROR:|SUMMARY:|runtime error:|Test unit written' \
    -A3 "$log" | head -60 >&2 || true
  exit 1
fi
echo "PASS: no crash, leak, timeout or sanitizer report"
