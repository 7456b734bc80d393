#!/usr/bin/env bash
# The concurrent parts of the suite under ThreadSanitizer (issue 20, item 4), in a build directory of its own
# (.build-tsan) so that the suite's own build stays as it is.
#
#   scripts/tsan.sh [FILTER]      default: the SOD signing service (its batch signer and event loops)
#
# Prints ThreadSanitizer's reports as they come (halt_on_error=0: all of them, not the first only) and exits non-zero
# when a test failed or TSan reported anything. See FUZZING.md, "Sanitizers".
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${1:-SODServiceTests}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build --build-tests --sanitize=thread --scratch-path .build-tsan -j "${EPKI_TSAN_JOBS:-2}"
status=0
# Swift's crash reporter runs in the crashed process and trips over the sanitizer; TSan reports instead.
SWIFT_BACKTRACE=enable=no TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1} \
    swift test --skip-build --sanitize=thread --scratch-path .build-tsan --filter "$filter" 2>&1 | tee "$log" || status=$?
reports=$(grep -c "^WARNING: ThreadSanitizer" "$log" || true)
echo "tsan.sh: filter '$filter': exit $status, $reports ThreadSanitizer report(s)"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
