#!/usr/bin/env bash
# The main job on the embedded default: set up, build, and run `epki demo` — a sample country's CSCA with a
# Document Signer, a Master List Signer, a CRL, a signed security object and a signed master list, all verified.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --product epki
directory="epki-demo-$(date -u +%Y%m%d-%H%M%S)"
.build/debug/epki demo --dir "$directory" "$@"
