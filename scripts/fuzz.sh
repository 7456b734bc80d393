#!/usr/bin/env bash
# Builds the libFuzzer harnesses of Fuzz/ and runs one of them, or all of them one after the other, for SECONDS each;
# prints executions, coverage (libFuzzer's cov and ft) and crashes per harness. See FUZZING.md.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     default: all, 20 s each
#   scripts/fuzz.sh list                       the harnesses and what each reads
#   scripts/fuzz.sh repro TARGET FILE...       runs the harness once over each file (a crash, a regression input)
#   scripts/fuzz.sh minimize TARGET FILE       shrinks a crashing input to Fuzz/.work/crashes/TARGET/minimized-*
#
# The corpus of each harness grows in Fuzz/.work/corpus/TARGET (kept between runs, not in git); it starts from the
# harness's generated seeds (valid objects made by the seed PKI at each run) and the files of Vectors/ that fit.
# Crashes, hangs (-timeout, 10 s per input), out-of-memory (-rss_limit_mb 2048, one malloc over 2 GB included) and
# leaks go to Fuzz/.work/crashes/TARGET/. The exit status is non-zero when a harness found one.
#
# Environment: EPKI_FUZZ_ASAN=0 builds without AddressSanitizer (faster, finds traps only); EPKI_FUZZ_CONFIG=debug
# builds unoptimized (CI: it compiles much faster, and a short run needs no speed); EPKI_FUZZ_JOBS sets the build's
# parallelism (default 2); EPKI_FUZZ_ARGS adds libFuzzer flags (e.g. "-max_len=8192"); EPKI_FUZZ_WORK puts corpus,
# crashes and logs elsewhere than Fuzz/.work (CI: a fresh directory, the seeds only); EPKI_FUZZ_BINARY runs that
# EPKIFuzz binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${EPKI_FUZZ_WORK:-$root/Fuzz/.work}
mkdir -p "$work"

# SwiftPM's `--sanitize fuzzer --sanitize address` hands swiftc two -sanitize= options, and swiftc keeps the last one
# only: the Swift code would get AddressSanitizer but no coverage. The flags are therefore given to the compilers
# directly, each configuration in a build directory of its own.
if [ "${EPKI_FUZZ_ASAN:-1}" = 1 ]; then
    flags=(-Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address -Xcc -fno-omit-frame-pointer)
    scratch=.build-fuzz-asan
else
    flags=(-Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link)
    scratch=.build-fuzz
fi
config=${EPKI_FUZZ_CONFIG:-release}
case $config in
    release) ;;
    debug) scratch=$scratch-debug ;;
    *) echo "fuzz.sh: EPKI_FUZZ_CONFIG must be release or debug" >&2; exit 2 ;;
esac
flags+=(-Xswiftc -enable-testing --scratch-path "$scratch")

build() {
    # A long campaign runs a binary built once (copied out of the build directory), so that edits to the tree
    # meanwhile neither rebuild it nor change what the figures were measured on.
    if [ -n "${EPKI_FUZZ_BINARY:-}" ]; then binary=$EPKI_FUZZ_BINARY; echo "fuzz.sh: running $binary (EPKI_FUZZ_BINARY), not building" >&2; return; fi
    echo "fuzz.sh: building Fuzz/ ($config, ${flags[*]})" >&2
    local status=0
    (cd Fuzz && swift build -c "$config" "${flags[@]}" --product EPKIFuzz -j "${EPKI_FUZZ_JOBS:-2}") >"$work/build.log" 2>&1 || status=$?
    # Dependencies' notes about files they do not declare are noise here.
    grep -vE "^warning: '.*': found [0-9]+ file\(s\) which are unhandled|^ +/.*(CMakeLists.txt|\.md|\.docc)$|Cannot export local symbol '__asan" "$work/build.log" >&2 || true
    [ "$status" -eq 0 ] || { echo "fuzz.sh: the build failed (Fuzz/.work/build.log)" >&2; exit "$status"; }
    binary=$(cd Fuzz && swift build -c "$config" "${flags[@]}" --show-bin-path)/EPKIFuzz
}

# Swift's crash reporter runs inside the crashed process and trips over AddressSanitizer; libFuzzer reports instead.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:handle_abort=1}
# Leaks that are not the code's under test, each explained in the file.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/Fuzz/lsan.supp:print_suppressions=0}

# (The list and seed modes end the process with exit() from inside libFuzzer's initialization: LeakSanitizer is off
# for them, or it reports the strings still held by that frame.)

# The Vectors/ files that each harness starts from, besides its generated seeds (small ones only: the 786 KB ICAO
# master list would slow every execution of the list harnesses a hundredfold).
vectors_for() {
    case $1 in
        x509) echo Vectors/pymrtd/*.cer Vectors/icao-pkd-samples/*.cer ;;
        crl) echo Vectors/icao-pkd-samples/*.crl ;;
        npkd-import) echo Vectors/icao-pkd-samples/*.crl Vectors/icao-pkd-samples/*.cer Vectors/pymrtd/*.cer ;;
        cms|ef-cardsecurity) echo Vectors/eac-worked-example/EF_CardSecurity.bin Vectors/eac-worked-example-dh/ef_cardsecurity.bin ;;
        sod) echo Vectors/pymrtd/EF_SOD_*.bin ;;
        lds-file) echo Vectors/pymrtd/DG*.bin Vectors/pymrtd/EF_SOD_*.bin Vectors/eac-worked-example/EF_CardAccess.bin ;;
        dg1) echo Vectors/pymrtd/DG1_*.bin ;;
        dg14) echo Vectors/pymrtd/DG14_*.bin ;;
        dg15) echo Vectors/pymrtd/DG15_*.bin ;;
        ef-cardaccess) echo Vectors/eac-worked-example/EF_CardAccess.bin Vectors/eac-worked-example-dh/ef_cardaccess.bin ;;
        ber-tlv) echo Vectors/pymrtd/DG*.bin ;;
        der-tlv) echo Vectors/pymrtd/*.cer Vectors/icao-pkd-samples/* ;;
        cv-certificate|cvc-tlv) echo Vectors/openpace/*.cvcert Vectors/ejbca-cert-cvc/*.cvc* Vectors/vsmartcard/*/*.cvcert Vectors/eac-worked-example/*.cvcert ;;
        cv-request) echo Vectors/ejbca-cert-cvc/absp.req ;;
        terminal) echo Vectors/eac-worked-example/*_pub_key.bin Vectors/eac-worked-example/ta_pcd_signature.bin ;;
    esac
}

# libFuzzer flags of one harness. The XML harnesses run without leak detection: FoundationXML leaks a string for every
# libxml2 error (Fuzz/lsan.supp), suppressed but still making LeakSanitizer scan the heap after each such input,
# 30 times slower (240 against 7,500 executions a second).
target_args() {
    case $1 in
        xml|spoc-request|spoc-response|tr03129) echo -detect_leaks=0 ;;
    esac
}

# Runs one harness for $2 seconds and appends its line to $summary.
run_target() {
    local target=$1 seconds=$2
    local corpus=$work/corpus/$target seeds=$work/seeds/$target crashes=$work/crashes/$target log=$work/logs/$target.log
    mkdir -p "$corpus" "$crashes" "$work/logs"
    rm -rf "$seeds"
    if ! ASAN_OPTIONS=detect_leaks=0 EPKI_FUZZ_TARGET=$target EPKI_FUZZ_SEEDS=$seeds "$binary" >/dev/null; then
        echo "fuzz.sh: $target: the generated seeds could not be made; starting from the vectors and the corpus" >&2
        mkdir -p "$seeds"
    fi
    for file in $(vectors_for "$target"); do [ -f "$file" ] && cp "$file" "$seeds/vector-$(basename "$file")"; done
    # Inputs that once crashed or leaked (Fuzz/regressions/TARGET/, FUZZING.md "Findings") start every run, CI's too.
    for file in Fuzz/regressions/"$target"/*; do [ -f "$file" ] && cp "$file" "$seeds/regression-$(basename "$file")"; done
    local before
    before=$(find "$crashes" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
    local status=0 start=$SECONDS
    # shellcheck disable=SC2086
    EPKI_FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$crashes/" $(target_args "$target") ${EPKI_FUZZ_ARGS:-} "$corpus" "$seeds" >"$log" 2>&1 || status=$?
    local elapsed=$((SECONDS - start))
    local executions cov ft corpus_size found
    executions=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    corpus_size=$(find "$corpus" -type f | wc -l)
    found=$(( $(find "$crashes" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l) - before ))
    if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then found="exit $status"; fi
    printf '%-20s %7ss %12s %8s %8s %8s  %s\n' "$target" "$elapsed" "${executions:-?}" "${cov:-?}" "${ft:-?}" "$corpus_size" "$found" | tee -a "$summary"
    if [ "$found" != 0 ]; then
        grep -E 'ERROR: |SUMMARY: |Fatal error|Test unit written|deadly signal' "$log" | head -8 | sed 's/^/    /' | tee -a "$summary"
        failures=$((failures + 1))
    fi
}

command=${1:-all}
case $command in
    list)
        build
        ASAN_OPTIONS=detect_leaks=0 EPKI_FUZZ_LIST=1 "$binary"
        ;;
    repro)
        [ $# -ge 3 ] || { echo "usage: scripts/fuzz.sh repro TARGET FILE..." >&2; exit 2; }
        build
        target=$2; shift 2
        EPKI_FUZZ_TARGET=$target "$binary" -runs=1 "$@"
        ;;
    minimize)
        [ $# -eq 3 ] || { echo "usage: scripts/fuzz.sh minimize TARGET FILE" >&2; exit 2; }
        build
        mkdir -p "$work/crashes/$2"
        EPKI_FUZZ_TARGET=$2 "$binary" -minimize_crash=1 -max_total_time="${EPKI_FUZZ_MINIMIZE_SECONDS:-60}" \
            -exact_artifact_path="$work/crashes/$2/minimized-$(basename "$3")" "$3"
        echo "fuzz.sh: $work/crashes/$2/minimized-$(basename "$3")"
        ;;
    *)
        seconds=${2:-20}
        build
        if [ "$command" = all ]; then
            mapfile -t targets < <(ASAN_OPTIONS=detect_leaks=0 EPKI_FUZZ_LIST=1 "$binary" | cut -f1)
        else
            targets=("$command")
        fi
        summary=$(mktemp)
        trap 'rm -f "$summary"' EXIT
        failures=0
        total_start=$SECONDS
        printf '%-20s %8s %12s %8s %8s %8s  %s\n' target time executions cov ft corpus crashes
        for target in "${targets[@]}"; do run_target "$target" "$seconds"; done
        echo "fuzz.sh: ${#targets[@]} harness(es) in $((SECONDS - total_start)) s; $failures with crashes (inputs in ${work#"$root"/}/crashes/, logs in ${work#"$root"/}/logs/)"
        [ "$failures" -eq 0 ]
        ;;
esac
