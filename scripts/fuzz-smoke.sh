#!/usr/bin/env bash
# Runs every fuzz target (fuzz/ and calendar/fuzz/) for a few seconds each:
# the smoke run CI does. With a stable toolchain the targets are built with
# the same coverage instrumentation cargo-fuzz asks rustc for (without the
# address sanitizer, which needs nightly); libFuzzer drives them as usual.
#
#   scripts/fuzz-smoke.sh [SECONDS]      default 10 per target
#
# A crash leaves its input in target/fuzz-artifacts/TARGET/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
root="$PWD"
triple="$(rustc -vV | sed -n 's/^host: //p')"
export CARGO_TARGET_DIR="$root/target/fuzz"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
failed=0
for crate in fuzz calendar/fuzz; do
  # --target keeps the instrumentation off build scripts and proc macros.
  cargo build --release --locked --target "$triple" --manifest-path "$crate/Cargo.toml"
  for src in "$crate"/fuzz_targets/*.rs; do
    name="$(basename "$src" .rs)"
    work="$(mktemp -d)"
    artifacts="$root/target/fuzz-artifacts/$name"
    mkdir -p "$artifacts"
    seeds=()
    [ -d "$crate/seeds/$name" ] && seeds+=("$crate/seeds/$name")
    dict=()
    [ -f "$crate/$name.dict" ] && dict+=("-dict=$crate/$name.dict")
    echo "fuzz smoke: $name for ${seconds}s"
    if ! "$CARGO_TARGET_DIR/$triple/release/$name" -max_total_time="$seconds" \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
      "${dict[@]}" "$work" "${seeds[@]}" 2>"$work.log"; then
      tail -40 "$work.log"
      echo "fuzz smoke: $name FAILED; the input is in $artifacts/"
      failed=1
    else
      grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work.log" | tr '\n' ' '
      echo
    fi
    rm -rf "$work" "$work.log"
  done
done
exit "$failed"
