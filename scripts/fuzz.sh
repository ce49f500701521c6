#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer, from the Swift toolchain) of Rally's parsers of
# untrusted bytes; the harnesses are in Fuzz/ (their own package, so the main build is unaffected).
# Usage: scripts/fuzz.sh [target|all] [seconds per target]      (default: all, 60)
#   targets: FrameReader Deflate HTTPRequest JSON Decoder Token Bus
# Each target starts from its committed seeds (Fuzz/Corpus/<target>/) plus what earlier runs found
# (.build-fuzz/corpus/<target>/, not committed). A crash stops the run: the input is saved as
# .build-fuzz/artifacts/<target>-crash-* and the script exits non-zero; replay it with
#   .build-fuzz/debug/Fuzz<target> <file>
set -euo pipefail
cd "$(dirname "$0")/.."

all=(FrameReader Deflate HTTPRequest JSON Decoder Token Bus)
target="${1:-all}"
seconds="${2:-60}"
if [[ "$target" == all ]]; then targets=("${all[@]}"); else targets=("$target"); fi
for name in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $name "* ]] || { echo "fuzz: unknown target $name (one of: ${all[*]})" >&2; exit 2; }
done

max_len() {
  case "$1" in
    FrameReader | Deflate | HTTPRequest | JSON) echo 4096 ;;
    *) echo 1024 ;;
  esac
}

# libFuzzer's runtime comes with the Swift toolchain on Linux (not with Xcode's): without it, say so and stop.
runtime_dir="$(dirname "$(readlink -f "$(command -v swiftc)")")/../lib/swift/clang/lib"
if ! compgen -G "$runtime_dir/*/libclang_rt.fuzzer*" >/dev/null; then
  echo "fuzz: SKIPPED: this Swift toolchain has no libFuzzer runtime (libclang_rt.fuzzer under $runtime_dir);" \
    "use a swift.org Linux toolchain" >&2
  exit 0
fi

# Debug: the library targets' internals are reachable (@testable) and Swift's own assertions stay on.
build_path=.build-fuzz
flags=(--package-path Fuzz -c debug --build-path "$build_path")
selection=()
((${#targets[@]} == 1)) && selection=(--product "Fuzz${targets[0]}")
swift build "${flags[@]}" "${selection[@]}" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing
bin="$(swift build "${flags[@]}" --show-bin-path)"

mkdir -p "$build_path/artifacts"
# Leak checks stay on: a harness must not leak per input (a leak per message would be a memory DoS).
# Swift's crash backtracer would read the stack after a failure, which AddressSanitizer reports on its own.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_stack_use_after_return=1}"
for name in "${targets[@]}"; do
  work="$build_path/corpus/$name"
  mkdir -p "$work"
  echo "fuzz: $name for ${seconds}s (max_len $(max_len "$name"))"
  log="$build_path/logs/$name.log"
  mkdir -p "$(dirname "$log")"
  status=0
  "$bin/Fuzz$name" "$work" "Fuzz/Corpus/$name" \
    -max_total_time="$seconds" -max_len="$(max_len "$name")" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build_path/artifacts/$name-" -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$log" || true
  if ((status != 0)); then
    tail -n 60 "$log" >&2
    echo "fuzz: $name FAILED (exit $status); the input is in $build_path/artifacts/, the log in $log" >&2
    exit 1
  fi
done
echo "fuzz: ${targets[*]}: no crash in ${seconds}s each"
