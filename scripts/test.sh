#!/usr/bin/env bash
# Sets up and runs the whole test suite (unit, real vectors, interop with openssl).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test 2>&1 | tee "$log" || status=$?
# One plain closing line, whatever the runner printed: "N passed, N failed".
summary=$(grep -E "Test run with [0-9]+ tests?" "$log" | tail -n 1 || true)
total=$(sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p' <<<"$summary")
failed=$(grep -cE '^✘ Test .* failed' "$log" || true)
if [ -n "$total" ]; then
    echo "tests: $((total - failed)) passed, $failed failed"
fi
exit "$status"
