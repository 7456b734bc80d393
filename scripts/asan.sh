#!/usr/bin/env bash
# The suite (or the tests FILTER names) under AddressSanitizer and LeakSanitizer (issue 20, item 4), in a build
# directory of its own (.build-asan) so that the suite's own build stays as it is.
#
#   scripts/asan.sh [FILTER]      default: the parsers' suites (PKICore, LDS, CVCA) and the SOD service; '.*' for all
#   EPKI_ASAN_SKIP=REGEX          leaves out the tests REGEX names (CI: the bad-input table, 27 of the whole suite's
#                                 28 minutes under ASan; its parsers are the fuzz harnesses', which run under ASan)
#
# Exits non-zero when a test failed or the sanitizer reported anything. Leaks that are not the code's are suppressed
# with Fuzz/lsan.supp (each entry says why). See FUZZING.md, "Sanitizers".
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${1:-'PKICoreTests|LDSTests|CVCATests|SODServiceTests'}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build --build-tests --sanitize=address --scratch-path .build-asan -j "${EPKI_ASAN_JOBS:-2}"
status=0
# Swift's crash reporter runs in the crashed process and trips over the sanitizer; ASan reports instead.
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0} \
    swift test --skip-build --sanitize=address --scratch-path .build-asan --filter "$filter" ${EPKI_ASAN_SKIP:+--skip "$EPKI_ASAN_SKIP"} 2>&1 | tee "$log" || status=$?
reports=$(grep -cE "^==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)" "$log" || true)
echo "asan.sh: filter '$filter': exit $status, $reports sanitizer report(s)"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
