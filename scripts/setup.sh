#!/usr/bin/env bash
# Installs the Debian packages epki builds and tests with, when they are missing. Safe to run again.
#   libssl-dev        OpenSSL 3: all signature and hash arithmetic (brainpool, explicit parameters, RSA-PSS)
#   libsqlite3-dev    the embedded store (GRDB)
#   libpcsclite-dev   PC/SC readers
#   libp11-kit-dev    PKCS#11 modules (HSMs)
#   pkg-config        locates the libraries above for SwiftPM
#   openssl           the independent peer the tests check every certificate, CRL and CMS against
#   softhsm2          a software HSM: the PKCS#11 tests make private tokens in it
#   opensc            pkcs11-tool (asks SoftHSM2, apart from epki, whether a key can leave the token) and
#                     opensc-tool (a PC/SC client nobody here wrote, to see the virtual chip)
#   openpace          cvc-create and cvc-print: the independent peer for CV certificates (BSI TR-03110)
#   curl              an HTTP client nobody here wrote, for the NPKD service tests (mutual TLS included)
#   faketime          libfaketime: the test command runs the suite again a year and five years ahead
#   pcscd             the PC/SC daemon; the tests start a private one
#   vsmartcard-vpcd   the virtual reader driver through which the virtual eMRTD chip sits in pcscd
#   python3-pyscard, python3-pycryptodome
#                     a PC/SC client nobody here wrote (pyscard, with PyCryptodome's DES): the personalization tests
#                     read the chips back through it with BAC keys it derives itself
#   python3-zeep      a SOAP client nobody here wrote: the SPOC tests build it from the WSDL epki serves
#   libldap-dev       OpenLDAP's client library: `epki npkd publish` and `sync` speak LDAP through it
#   slapd             OpenLDAP's server: the NPKD tests start a private one to publish to and sync from
#                     (installs without questions under DEBIAN_FRONTEND=noninteractive, set below)
#   ldap-utils        ldapsearch and ldapadd: LDAP clients nobody here wrote, to read a publication back
#   python3-venv      a private Python environment for the one PyPI package below
#   postgresql        PostgreSQL 15's server (initdb, pg_ctl, postgres, pg_basebackup and pgbench in
#                     /usr/lib/postgresql/15/bin): the tests start private clusters, a primary with a standby too
#   postgresql-client psql, the SQL client nobody here wrote, through which the tests check what epki stored
# and from PyPI, into .build/peers/schemathesis (not the system's Python):
#   schemathesis      the contract tester: checks each HTTP API against the OpenAPI document it serves
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libssl-dev libsqlite3-dev libpcsclite-dev libp11-kit-dev pkg-config openssl softhsm2 openpace curl faketime pcscd vsmartcard-vpcd opensc python3-pyscard python3-pycryptodome python3-zeep python3-venv libldap-dev slapd ldap-utils postgresql postgresql-client)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
install_debian() {
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "setup: missing packages ${missing[*]}; run this script as root or install them" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq
    # Debian's postgresql-15 makes a cluster "15/main" on its first install and starts it on port 5432 (its
    # postinst runs pg_createcluster, then invoke-rc.d). The tests start clusters of their own and need none of
    # the machine's, so when the server is about to be installed, postgresql-common (which holds that choice)
    # goes first and is told not to: create_main_cluster = false in /etc/postgresql-common/createcluster.conf.
    if [[ " ${missing[*]} " == *" postgresql "* ]] && ! dpkg-query -W -f='${Status}' postgresql-15 2>/dev/null | grep -q "install ok installed"; then
        "${as_root[@]}" apt-get install -y -qq --no-install-recommends --no-upgrade postgresql-common
        "${as_root[@]}" pg_conftool /etc/postgresql-common/createcluster.conf set create_main_cluster false
    fi
    # --no-upgrade: installing test peers must not upgrade OpenSSL under the build.
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}"
}
if [ ${#missing[@]} -gt 0 ]; then
    install_debian
fi

# schemathesis, pinned, in its own virtual environment under .build (Debian's Python, not whatever python3 is first
# on PATH), made again only when the pinned version is not there.
schemathesis_version=4.32.5
venv=.build/peers/schemathesis
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "version $schemathesis_version\$"; then
    echo "setup: installing schemathesis $schemathesis_version into $venv"
    rm -rf "$venv"
    mkdir -p .build/peers
    /usr/bin/python3 -m venv "$venv"
    # The venv's pip trusts its own copy of the CA list; trust the system's (where a site installs its CAs, the
    # Debian way) unless the caller or pip's configuration names another.
    if [ -z "${PIP_CERT:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ] && ! "$venv/bin/pip" config list 2>/dev/null | grep -q '\.cert='; then
        export PIP_CERT=/etc/ssl/certs/ca-certificates.crt
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
