#!/usr/bin/env bash
# The main job on the embedded default: set up, build, and run `epki demo` — a sample country's CSCA with a
# Document Signer, a Master List Signer, a CRL, a signed security object and a signed master list, its CVCA, the
# national PKD and border control, and the sample passport personalized into a virtual chip through pcscd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --product epki
directory="epki-demo-$(date -u +%Y%m%d-%H%M%S)"
card=()

# A pcscd of the demo's own with vsmartcard's vpcd on a free port, beside any pcscd of the machine: in a private
# mount namespace whose /run/pcscd is a folder of the demo (unshare needs root). It ends with the demo.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && [ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ]; then
    pcsc=$(mktemp -d)
    mkdir -p "$pcsc/run" "$pcsc/conf"
    port=
    for _ in $(seq 50); do
        candidate=$((20000 + RANDOM % 40000))
        # vpcd listens on the port and the next; both must be free.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((candidate + 1))") 2>/dev/null; then
            port=$candidate
            break
        fi
    done
    printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:%s\nLIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID %s\n' "$port" "$port" >"$pcsc/conf/vpcd"
    unshare -m --propagation unchanged sh -c "mount --make-rprivate / 2>/dev/null || mount --make-rprivate /run || exit 1
        mkdir -p /run/pcscd && mount --bind '$pcsc/run' /run/pcscd && exec pcscd -f -c '$pcsc/conf'" >"$pcsc/pcscd.log" 2>&1 &
    pcscd_pid=$!
    trap 'kill $pcscd_pid 2>/dev/null; wait $pcscd_pid 2>/dev/null; rm -rf "$pcsc"' EXIT
    for _ in $(seq 100); do [ -S "$pcsc/run/pcscd.comm" ] && break; sleep 0.1; done
    if [ -S "$pcsc/run/pcscd.comm" ]; then
        export PCSCLITE_CSOCK_NAME="$pcsc/run/pcscd.comm"
        card=(--vpcd-port "$port")
    else
        echo "demo: the private pcscd did not start ($(cat "$pcsc/pcscd.log")); the card step is skipped" >&2
    fi
fi
.build/debug/epki demo --dir "$directory" "${card[@]}" "$@"
