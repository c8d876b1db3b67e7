#!/usr/bin/env bash
# The reliability suite: faults (kill -9 of the daemon, output floods,
# escaping processes, bursts of timers) and hostile users (idle connections,
# huge requests, another user's reads), each with the figures it measured.
#
#   scripts/reliability.sh          the bounded mode CI runs (a few minutes)
#   scripts/reliability.sh --long   the long mode: 100 kill -9s, a 200 MB
#                                   flood, 1,000 escaping processes, 10,000
#                                   timers due in the same second
#
# Run it as root to include the cases that need another user (nobody) and a
# system daemon; as an ordinary user those cases say they are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--long" ]; then
  export SUNDIAL_RELIABILITY_LONG=1
fi
tests=()
for f in tests/reliability_*.rs; do
  tests+=(--test "$(basename "$f" .rs)")
done
# One test at a time: the figures are timings of a daemon under load.
cargo test "${tests[@]}" -- --nocapture --test-threads=1 2>&1 \
  | grep -E "^reliability:|^test |test result|panicked|skipped"
