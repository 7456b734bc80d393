#!/usr/bin/env python3
"""Crash injection (issue 20, item 2): SIGKILL the epki CLI at random points of its store-writing operations, restart,
and check after every kill that nothing was lost, reused or half written.

    python3 scripts/crash-inject.py [--kills N] [--ops ds,crl,ml-import,crl-import,sod,perso,spoc-outbox] [--epki PATH]
                                    [--crl-entries N] [--seed S] [--keep]

Operations (each in a data directory of its own, under one CSCA "LU"):
  ds          `csca issue-ds --algorithm ec:P-256 --count 30 --out DIR`: a DS issuance loop
  crl         `csca crl --out FILE` with revoked certificates in the store
  ml-import   `npkd import` of ICAO's master list (Vectors/csca-trust-store, 786 KB)
  crl-import  `npkd import` of a CRL of --crl-entries entries (default 1,000,000) signed by the CSCA
  sod         `sod serve` under concurrent POST /v1/sod/sign from four client threads (the batch signer)
  perso       `perso batch` of six orders over the two readers of a private pcscd's vpcd, each fed blank virtual
              chips (`chip serve --state`) one after another (the personalization journal)
  spoc-outbox `spoc serve` of SK pushing approved DV certificates to CZ's SPOC (two data directories, mutual TLS on
              loopback): SK's server, which owns the outbox, is the one killed

A run is first timed without a kill (the shortest of three); each kill then falls uniformly in [5 %, 100 %] of that
time ([50 %, 100 %] for `csca crl`, which writes at its end; 0.05-1.5 s after `sod serve` listens). A run that ended
first is counted as "finished", not as a kill. After every kill, before the operation is started again:
  - `epki audit verify --all-domains` exits 0 (the hash chain holds);
  - no serial number twice: the store's certificates per domain, and every serial the caller was ever told;
  - every certificate, CRL number or SOD the caller was told about (printed on stdout, line-buffered, or written to
    --out) is in the store, with its audit entry: one transaction holds both;
  - no file half imported: a master list or CRL is in the store with all its certificates or entries, or not at all;
    every file the CLI wrote is whole (its outer DER length matches);
  - the operation can be run again: the next run on the same data directory must succeed (exit 0) unless killed.
perso, after every kill: no document number verified twice in the journal; every document the batch printed as
"personalized and verified" is verified there with its SOD and keys, and its six audit entries (received … verified,
the SOD digest of perso.signed equal to the journal's); every failed attempt is void, with one perso.failed entry
that voids its SOD and keys; the attempts a killed run left on the way are ended by the next run (failed at
"interrupted", void); a run to its end leaves no attempt between states, every order verified and a report for each.
The card in a reader at the kill stays there, as it was written, for the restarted batch to refuse.
spoc-outbox, after every kill: both audit chains hold; CZ's log has at most one SendCertificates per messageID that
was handed to its DVCA (a redelivery must be answered "answered before"), and none refused; SK's CVCA issued each DV
certificate once and CZ's DVCA imported each once; a delivered outbox entry has attempts >= 1, each counted attempt
reached CZ, and CZ holds its certificate. After the last kill SK's server runs until every entry is delivered: the
entries a killed server had leased wait out the lease (60 s, one entry each) first.
Any failed check is printed and makes the exit status 1. Needs python3 (stdlib only), openssl and coreutils' stdbuf;
perso needs root, unshare, pcscd and vsmartcard's vpcd (skipped without them, as scripts/demo.sh skips its card step).
"""
import argparse
import base64
import datetime
import glob
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import http.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSPHRASE = "crash injection passphrase"
MASTER_LIST = os.path.join(ROOT, "Vectors/csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml")


class Failure(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------- DER


def der_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, content):
    return bytes([tag]) + der_length(len(content)) + content


def read_tlv(data, offset):
    """(tag, content start, content end) of the TLV at offset."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    return tag, start, start + length


def der_whole(data):
    """True when data is exactly one complete TLV (a file the CLI wrote, not cut short)."""
    if len(data) < 2:
        return False
    try:
        _, _, end = read_tlv(data, 0)
    except IndexError:
        return False
    return end == len(data)


def pem_whole(text):
    blocks = text.strip().split("-----END CERTIFICATE-----")
    if not text.strip().startswith("-----BEGIN CERTIFICATE-----") or blocks[-1].strip():
        return False
    body = "".join(blocks[0].splitlines()[1:])
    try:
        return der_whole(base64.b64decode(body, validate=True))
    except ValueError:
        return False


def certificate_subject_and_ski(der):
    """The subject Name (DER) and subjectKeyIdentifier of an X.509 certificate."""
    _, start, _ = read_tlv(der, 0)  # Certificate
    _, tbs, tbs_end = read_tlv(der, start)  # TBSCertificate
    fields = []
    offset = tbs
    while offset < tbs_end:
        tag, s, e = read_tlv(der, offset)
        fields.append((tag, offset, s, e))
        offset = e
    if fields[0][0] == 0xA0:
        fields = fields[1:]
    # serial, signature, issuer, validity, subject, spki, [extensions]
    subject = der[fields[4][1]:fields[4][3]]
    ski = None
    for tag, _, s, e in fields[6:]:
        if tag != 0xA3:
            continue
        _, es, ee = read_tlv(der, s)  # Extensions SEQUENCE
        offset = es
        while offset < ee:
            _, xs, xe = read_tlv(der, offset)
            _, os_, oe = read_tlv(der, xs)  # extnID
            if der[os_:oe] == bytes.fromhex("551d0e"):
                # extnValue OCTET STRING (after an optional critical BOOLEAN) holding an OCTET STRING
                inner = oe
                t, vs, ve = read_tlv(der, inner)
                if t == 0x01:
                    t, vs, ve = read_tlv(der, ve)
                _, ks, ke = read_tlv(der, vs)
                ski = der[ks:ke]
            offset = xe
    return subject, ski


def utc_time(moment):
    return tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())


def make_crl(csca_der, key_path, passphrase_file, entries, number, out_path):
    """A CRL of `entries` revoked serials under the CSCA, signed with its key by openssl (ecdsa-with-SHA256)."""
    subject, ski = certificate_subject_and_ski(csca_der)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    revoked_at = utc_time(now - datetime.timedelta(days=1))
    # Each entry: SEQUENCE { INTEGER serial (9 bytes, positive), UTCTime }.
    prefix = bytes([0x30, 2 + 9 + len(revoked_at), 0x02, 9, 0x01])
    body = b"".join(prefix + i.to_bytes(8, "big") + revoked_at for i in range(1, entries + 1))
    algorithm = tlv(0x30, tlv(0x06, bytes.fromhex("2a8648ce3d040302")))
    extensions = b""
    if ski is not None:
        extensions += tlv(0x30, tlv(0x06, bytes.fromhex("551d23")) + tlv(0x04, tlv(0x30, tlv(0x80, ski))))
    extensions += tlv(0x30, tlv(0x06, bytes.fromhex("551d14")) + tlv(0x04, tlv(0x02, number.to_bytes(4, "big"))))
    tbs = tlv(0x30, tlv(0x02, b"\x01") + algorithm + subject + utc_time(now - datetime.timedelta(hours=1))
              + utc_time(now + datetime.timedelta(days=30)) + tlv(0x30, body) + tlv(0xA0, tlv(0x30, extensions)))
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path, "-passin", f"file:{passphrase_file}"],
                               input=tbs, capture_output=True, check=True).stdout
    with open(out_path, "wb") as f:
        f.write(tlv(0x30, tbs + algorithm + tlv(0x03, b"\x00" + signature)))


# ---------------------------------------------------------------------------------------------------------- the CLI


class Workspace:
    """A data directory with a CSCA, the passphrase file and the epki binary."""

    def __init__(self, root, epki, name):
        self.dir = os.path.join(root, name)
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        self.epki = epki
        self.passphrase = os.path.join(self.dir, "pass.txt")
        with open(self.passphrase, "w") as f:
            f.write(PASSPHRASE + "\n")
        self.env = dict(os.environ, EPKI_HOME=self.data, SWIFT_BACKTRACE="enable=no")
        self.env.pop("EPKI_OFFICER", None)

    def run(self, *arguments, check=True):
        result = subprocess.run([self.epki, *arguments], env=self.env, capture_output=True, text=True, cwd=self.dir)
        if check and result.returncode != 0:
            raise Failure(f"epki {' '.join(arguments)} exited {result.returncode}: {result.stderr.strip()[-600:]}")
        return result

    def start(self, arguments, log):
        """Starts epki with stdout line-buffered into `log`: what it printed before a kill is what the caller saw."""
        out = open(log, "ab")
        process = subprocess.Popen(["stdbuf", "-oL", self.epki, *arguments], env=self.env, stdout=out,
                                   stderr=subprocess.STDOUT, cwd=self.dir)
        out.close()
        return process

    def init_csca(self):
        self.run("csca", "init", "--domain", "LU", "--country", "LU", "--name", "CSCA Crash Test", "--organization", "Test",
                 "--algorithm", "ec:P-256", "--crl-url", "https://pkd.example/LU.crl", "--passphrase-file", self.passphrase,
                 "--out", os.path.join(self.dir, "csca.pem"))
        with open(os.path.join(self.dir, "csca.pem")) as f:
            text = f.read()
        body = "".join(text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0].split())
        self.csca_der = base64.b64decode(body)

    def db(self):
        connection = sqlite3.connect(os.path.join(self.data, "epki.sqlite"), timeout=10)
        return connection

    def audit_verify(self):
        result = self.run("audit", "verify", "--all-domains", check=False)
        if result.returncode != 0:
            raise Failure(f"audit verify exited {result.returncode}: {(result.stdout + result.stderr).strip()[-600:]}")

    def snapshot(self, name):
        target = os.path.join(self.dir, name)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.data, target)

    def restore(self, name):
        shutil.rmtree(self.data)
        shutil.copytree(os.path.join(self.dir, name), self.data)


def run_killed(process, delay):
    """Waits `delay` seconds, then SIGKILLs the process unless it ended; True when it was killed."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        time.sleep(min(0.005, max(0.0, deadline - time.monotonic())))
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return process.returncode == -signal.SIGKILL


# ---------------------------------------------------------------------------------------------------------- operations


class Operation:
    name = ""
    # Where in a warm run the kills fall, as fractions of its length. A run starts with ~0.3 s of process start and
    # store opening that writes nothing; operations whose writes come at the end kill later.
    window = (0.05, 1.0)

    def __init__(self, root, epki, args):
        self.ws = Workspace(root, epki, self.name)
        self.args = args
        self.kills = 0
        self.finished = 0
        self.checks = 0
        self.notes = {}

    def note(self, key, value):
        self.notes[key] = value

    def setup(self):
        pass

    def arguments(self, iteration):
        raise NotImplementedError

    def after(self, iteration, log, killed, status):
        """Reads what the caller was told and checks the store; raises Failure."""
        raise NotImplementedError

    def one(self, iteration, delay):
        # Every run gets a number of its own (the calibration runs too): its log, its --out directory.
        self.runs = getattr(self, "runs", 0) + 1
        iteration = self.runs
        log = os.path.join(self.ws.dir, f"run-{iteration}.log")
        started = time.monotonic()
        process = self.ws.start(self.arguments(iteration), log)
        self.process = process
        killed = run_killed(process, delay) if delay is not None else (process.wait() or False)
        self.last_run = time.monotonic() - started  # the process alone, not the checks that follow
        if not killed and process.returncode != 0:
            with open(log, errors="replace") as f:
                raise Failure(f"run {iteration} (not killed) exited {process.returncode}: {f.read()[-800:]}")
        if killed:
            self.kills += 1
        else:
            self.finished += 1
        self.ws.audit_verify()
        self.after(iteration, log, killed, process.returncode)
        self.checks += 1
        return killed

    def calibrate(self):
        # The shortest of three whole runs: the first is slower (cold caches), and a window longer than a warm run
        # would let most runs end before their kill.
        times = []
        for _ in range(3):
            self.one(0, None)
            times.append(self.last_run)
        return min(times)

    def loop(self, kills, rng):
        duration = self.calibrate()
        self.note("unkilled run (s)", round(duration, 2))
        iteration = 1
        started = time.monotonic()
        while self.kills < kills:
            self.one(iteration, rng.uniform(*self.window) * duration)
            iteration += 1
            if iteration > kills * 4 + 20:
                raise Failure(f"only {self.kills} kills in {iteration} runs: the runs end before the kills")
        if self.kills:
            self.note("s per kill (run, checks, restart)", round((time.monotonic() - started) / self.kills, 1))
        # The operation once more to its end: it can be run again after the last kill.
        self.one(iteration, None)
        self.final()

    def final(self):
        pass

    def close(self):
        """Stops what setup started (servers, readers) and a run still going (the harness itself stopped)."""
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()


class DSIssuance(Operation):
    name = "ds"

    def setup(self):
        self.ws.init_csca()
        self.told = {}  # serial -> run that printed or wrote it

    def arguments(self, iteration):
        self.out = os.path.join(self.ws.dir, f"out-{iteration}")
        return ["csca", "issue-ds", "--domain", "LU", "--algorithm", "ec:P-256", "--count", "30", "--out", self.out,
                "--passphrase-file", self.ws.passphrase]

    def after(self, iteration, log, killed, status):
        told = set()
        with open(log, errors="replace") as f:
            for line in f:
                if line.startswith("issued DS ") and " serial " in line:
                    told.add(line.split(" serial ")[1].split()[0].upper())
        for path in glob.glob(os.path.join(self.out, "ds-*.pem")):
            with open(path) as f:
                if not pem_whole(f.read()):
                    raise Failure(f"{path}: a half-written certificate file")
            told.add(os.path.basename(path)[3:-4].upper())
        for serial in told:
            if serial in self.told and self.told[serial] != iteration:
                raise Failure(f"serial {serial} told in run {self.told[serial]} and again in run {iteration}")
            self.told[serial] = iteration
        with self.ws.db() as db:
            dup = db.execute("SELECT domain, serial, COUNT(*) FROM csca_certificate GROUP BY domain, upper(serial) HAVING COUNT(*) > 1").fetchall()
            if dup:
                raise Failure(f"serial numbers twice in the store: {dup[:5]}")
            stored = {row[0].upper() for row in db.execute("SELECT serial FROM csca_certificate WHERE domain = 'LU' AND kind = 'ds'")}
            audited = {json.loads(row[0]).get("serial", "").upper()
                       for row in db.execute("SELECT details FROM audit_entry WHERE domain = 'LU' AND action = 'ds.issue'")}
            keys = {row[0] for row in db.execute("SELECT key_reference FROM csca_certificate WHERE key_reference IS NOT NULL "
                                                 "UNION SELECT key_reference FROM csca_authority")}
        lost = [s for s in self.told if s not in stored]
        if lost:
            raise Failure(f"{len(lost)} certificate(s) the caller was told about are not in the store: {lost[:5]}")
        if stored != audited:
            raise Failure(f"certificates and ds.issue audit entries differ: {len(stored ^ audited)} apart")
        # A key generated for a certificate whose transaction never committed is left in keys/ by a kill; the next
        # run's first issuance removes it (CountrySigningCA.removeAbandonedKeys). So after a kill at most the one key
        # of the issuance it cut is unnamed, and after a run to its end none.
        files = {"file:keys/LU/" + os.path.basename(p) for p in glob.glob(os.path.join(self.ws.data, "keys/LU/*.pem"))}
        temporaries = glob.glob(os.path.join(self.ws.data, "keys/LU/.*.tmp"))
        orphans = files - keys
        allowed = 1 if killed else 0
        # A kill between link(2) and the temporary name's unlink leaves one key under both names: counted once.
        inodes = {os.stat(os.path.join(self.ws.data, "keys/LU", ref.rsplit("/", 1)[1])).st_ino for ref in orphans}
        inodes |= {os.stat(path).st_ino for path in temporaries}
        if len(inodes) > allowed:
            raise Failure(f"{len(orphans)} key file(s) no certificate names and {len(temporaries)} temporary key file(s) after a "
                          f"{'killed' if killed else 'finished'} run (at most {allowed}): {sorted(orphans)[:5]} {temporaries[:3]}")
        self.orphans_seen = getattr(self, "orphans_seen", 0) + len(inodes)
        self.note("DS certificates in the store", len(stored))
        self.note("certificates told to the caller", len(self.told))
        # Killed after the commit, before the print: in the store and its audit trail, never announced (expected).
        self.note("recorded but not told", len(stored) - len(self.told))
        self.note("kills that left an unnamed key (removed by the next run)", self.orphans_seen)
        self.note("temporary .tmp files left by kills", len(glob.glob(os.path.join(self.ws.dir, "out-*", ".*.tmp"))))


class CRLGeneration(Operation):
    name = "crl"
    window = (0.5, 1.0)  # one transaction, at the end of the run

    def setup(self):
        self.ws.init_csca()
        result = self.ws.run("csca", "issue-ds", "--domain", "LU", "--algorithm", "ec:P-256", "--count", "6",
                             "--passphrase-file", self.ws.passphrase)
        serials = [line.split(" serial ")[1].split()[0] for line in result.stdout.splitlines() if " serial " in line]
        for serial in serials[:4]:
            self.ws.run("csca", "revoke", "--domain", "LU", "--serial", serial, "--passphrase-file", self.ws.passphrase)
        self.told = {}
        self.out = os.path.join(self.ws.dir, "LU.crl")

    def arguments(self, iteration):
        return ["csca", "crl", "--domain", "LU", "--passphrase-file", self.ws.passphrase, "--out", self.out]

    def after(self, iteration, log, killed, status):
        told = set()
        with open(log, errors="replace") as f:
            for line in f:
                if line.startswith("CRL ") and " of " in line:
                    told.add(int(line.split()[1]))
        for number in told:
            if number in self.told:
                raise Failure(f"CRL number {number} told in run {self.told[number]} and again in run {iteration}")
            self.told[number] = iteration
        with self.ws.db() as db:
            numbers = [row[0] for row in db.execute("SELECT number FROM csca_crl WHERE domain = 'LU' ORDER BY number")]
            entries = {row[0] for row in db.execute("SELECT entries FROM csca_crl WHERE domain = 'LU'")}
            audited = sorted(int(json.loads(row[0])["number"])
                             for row in db.execute("SELECT details FROM audit_entry WHERE domain = 'LU' AND action = 'crl.issue'"))
        if numbers != list(range(1, len(numbers) + 1)):
            raise Failure(f"CRL numbers not 1…n without gaps or repeats: {numbers[-10:]}")
        if numbers != audited:
            raise Failure("CRLs and crl.issue audit entries differ")
        if entries != {4}:
            raise Failure(f"a CRL without the 4 revoked certificates: entries {entries}")
        lost = [n for n in self.told if n not in numbers]
        if lost:
            raise Failure(f"CRL number(s) told to the caller but not in the store: {lost}")
        if os.path.exists(self.out):
            with open(self.out, "rb") as f:
                data = f.read()
            if not der_whole(data):
                raise Failure(f"{self.out}: a half-written CRL")
            text = subprocess.run(["openssl", "crl", "-inform", "DER", "-noout", "-crlnumber"], input=data,
                                  capture_output=True, check=True).stdout.decode()
            number = int(text.strip().split("=")[1], 16)
            if number not in numbers:
                raise Failure(f"{self.out} holds CRL {number}, which the store does not")
        self.note("CRLs in the store", len(numbers))
        self.note("CRL numbers told to the caller", len(self.told))


class FileImport(Operation):
    """An NPKD import: the file is in the store whole, or not at all; a whole import is undone by restoring the
    snapshot taken before it, so that every kill hits an import."""

    def source(self):
        raise NotImplementedError

    def arguments(self, iteration):
        return ["npkd", "import", self.source()]

    def state(self):
        raise NotImplementedError

    def loop(self, kills, rng):
        self.ws.snapshot("before-import")
        # The whole import once, for the figures a complete import must reach.
        self.one(0, None)
        self.whole = self.state()
        self.note("a whole import", self.whole)
        self.ws.restore("before-import")
        self.empty = self.state()
        super().loop(kills, rng)

    def one(self, iteration, delay):
        killed = super().one(iteration, delay)
        if getattr(self, "whole", None) is not None and self.state() == self.whole:
            # Imported whole (run to its end, or killed after the commit): start again from before the import.
            self.ws.restore("before-import")
        return killed

    def after(self, iteration, log, killed, status):
        state = self.state()
        if getattr(self, "whole", None) is None:
            return
        if state not in (self.empty, self.whole):
            raise Failure(f"half imported: {state}, neither {self.empty} nor {self.whole}")
        if not killed and state != self.whole:
            raise Failure(f"a run to its end left {state}, not {self.whole}")
        self.note("kills that found the file whole", self.notes.get("kills that found the file whole", 0) + (killed and state == self.whole))


class MasterListImport(FileImport):
    name = "ml-import"

    def setup(self):
        self.ws.init_csca()  # a store to import into

    def source(self):
        return MASTER_LIST

    def state(self):
        with self.ws.db() as db:
            lists = db.execute("SELECT COUNT(*), COALESCE(SUM(certificates), 0) FROM npkd_list").fetchone()
            certificates = db.execute("SELECT COUNT(*) FROM npkd_certificate").fetchone()[0]
            sources = db.execute("SELECT COUNT(*) FROM npkd_certificate_source").fetchone()[0]
            audits = db.execute("SELECT COUNT(*) FROM audit_entry WHERE action = 'npkd.import'").fetchone()[0]
        return {"lists": lists[0], "listed": lists[1], "certificates": certificates, "sources": sources, "audit": audits}


class CRLImport(FileImport):
    name = "crl-import"

    def setup(self):
        self.ws.init_csca()
        # The NPKD must know the CSCA to verify the CRL and apply its entries.
        self.ws.run("npkd", "trust", os.path.join(self.ws.dir, "csca.pem"), "--note", "crash injection")
        self.crl = os.path.join(self.ws.dir, "big.crl")
        started = time.monotonic()
        make_crl(self.ws.csca_der, os.path.join(self.ws.data, "keys/LU/csca-lu.pem"), self.ws.passphrase,
                 self.args.crl_entries, 7, self.crl)
        self.note("CRL made (entries, bytes, s)", (self.args.crl_entries, os.path.getsize(self.crl), round(time.monotonic() - started, 1)))

    def source(self):
        return self.crl

    def state(self):
        with self.ws.db() as db:
            rows = db.execute("SELECT id, entries, status FROM npkd_crl").fetchall()
            stored = db.execute("SELECT COUNT(*) FROM npkd_crl_entry").fetchone()[0]
            audits = db.execute("SELECT COUNT(*) FROM audit_entry WHERE action = 'npkd.import'").fetchone()[0]
        return {"crls": len(rows), "declared": sum(r[1] for r in rows), "entries": stored,
                "status": ",".join(sorted(r[2] for r in rows)), "audit": audits}


class SODSigning(Operation):
    """`sod serve` under load; killed, restarted; every SOD a client received must have its audit entry."""
    name = "sod"

    def setup(self):
        ws = self.ws
        ws.init_csca()
        result = ws.run("csca", "issue-ds", "--domain", "LU", "--algorithm", "ec:P-256", "--out",
                        os.path.join(ws.dir, "ds.pem"), "--passphrase-file", ws.passphrase)
        key = result.stdout.split(" key file:")[1].split()[0]
        self.ds_key = os.path.join(ws.data, key)
        for name, extra in (("tls", ["-addext", "subjectAltName=IP:127.0.0.1"]), ("line", [])):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-keyout", os.path.join(ws.dir, f"{name}.key"), "-out", os.path.join(ws.dir, f"{name}.pem"),
                            "-days", "30", "-subj", f"/CN=crash {name}", *extra], check=True, capture_output=True)
        ws.run("sod", "line", "add", "--name", "line-1", "--cert", os.path.join(ws.dir, "line.pem"))
        self.told = {}
        self.number = 0
        self.lock = threading.Lock()
        self.context = ssl.create_default_context(cafile=os.path.join(ws.dir, "tls.pem"))
        self.context.check_hostname = False
        self.context.load_cert_chain(os.path.join(ws.dir, "line.pem"), os.path.join(ws.dir, "line.key"))

    def arguments(self, iteration):
        ws = self.ws
        return ["sod", "serve", "--listen", "127.0.0.1:0", "--tls-cert", os.path.join(ws.dir, "tls.pem"),
                "--tls-key", os.path.join(ws.dir, "tls.key"), "--ds-cert", os.path.join(ws.dir, "ds.pem"),
                "--key", self.ds_key, "--passphrase-file", ws.passphrase]

    def client(self, port, stop):
        body = {"ldsVersion": "1.8", "hashAlgorithm": "sha256",
                "dataGroupHashes": {"1": hashlib.sha256(b"dg1").hexdigest(), "2": hashlib.sha256(b"dg2").hexdigest()}}
        while not stop.is_set():
            with self.lock:
                self.number += 1
                number = f"C{self.number:08d}"
            try:
                connection = http.client.HTTPSConnection("127.0.0.1", port, context=self.context, timeout=10)
                connection.request("POST", "/v1/sod/sign", json.dumps(dict(body, documentNumber=number)),
                                   {"Content-Type": "application/json"})
                response = connection.getresponse()
                data = response.read()
                connection.close()
            except (OSError, http.client.HTTPException):
                return  # the server is gone
            if response.status == 200:
                with self.lock:
                    self.told[hashlib.sha256(data).hexdigest()] = number
            elif response.status != 429:
                stop.set()
                raise Failure(f"POST /v1/sod/sign answered {response.status}: {data[:300]!r}")

    def one(self, iteration, delay):
        log = os.path.join(self.ws.dir, f"run-{iteration}.log")
        process = self.ws.start(self.arguments(iteration), log)
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            with open(log, errors="replace") as f:
                for line in f:
                    if "serving domain" in line:
                        port = int(line.split("https://127.0.0.1:")[1].split()[0])
            if process.poll() is not None:
                raise Failure(f"sod serve exited {process.returncode} before serving")
            time.sleep(0.02)
        if port is None:
            process.kill()
            raise Failure("sod serve did not print its port within 60 s")
        stop = threading.Event()
        errors = []

        def work():
            try:
                self.client(port, stop)
            except Failure as error:
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(delay if delay is not None else 1.0)
        process.send_signal(signal.SIGKILL)
        process.wait()
        stop.set()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        self.kills += 1
        self.ws.audit_verify()
        self.after(iteration, log, True, process.returncode)
        self.checks += 1
        return True

    def loop(self, kills, rng):
        while self.kills < kills:
            self.one(self.kills + 1, rng.uniform(0.05, 1.5))

    def after(self, iteration, log, killed, status):
        with self.ws.db() as db:
            audited = {}
            for subject, details in db.execute("SELECT subject, details FROM audit_entry WHERE action = 'sod.sign'"):
                audited[json.loads(details)["sodSHA256"].lower()] = subject
        lost = [(digest, number) for digest, number in self.told.items() if audited.get(digest) != number]
        if lost:
            raise Failure(f"{len(lost)} SOD(s) answered to a line without their audit entry: {lost[:3]}")
        self.note("SODs answered to the clients", len(self.told))
        self.note("sod.sign audit entries", len(audited))


# ---------------------------------------------------------------------------------------------------------- PC/SC


class Skip(Exception):
    """An operation that cannot run on this machine (no root, no unshare, no vpcd): reported, not a failure."""


VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"


def free_port_pair():
    """A port p with p and p + 1 free on 127.0.0.1 (vpcd listens on one port per slot)."""
    import socket
    rng = random.Random()
    for _ in range(100):
        port = rng.randrange(20000, 60000)
        sockets = []
        try:
            for candidate in (port, port + 1):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(s)
                s.bind(("0.0.0.0", candidate))
            return port
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise Failure("no two free ports next to each other")


class PrivatePCSCD:
    """A pcscd of our own with vsmartcard's vpcd on free ports (two slots), as scripts/demo.sh starts it: in a private
    mount namespace whose /run/pcscd is a folder of ours, beside any pcscd of the machine (never its socket)."""

    def __init__(self, directory):
        if os.geteuid() != 0:
            raise Skip("needs root (a private pcscd in its own mount namespace)")
        for tool in ("unshare", "pcscd"):
            if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
                raise Skip(f"no {tool}")
        if not os.path.exists(VPCD_DRIVER):
            raise Skip(f"no vpcd driver ({VPCD_DRIVER}; Debian: vsmartcard-vpcd)")
        self.directory = directory
        os.makedirs(os.path.join(directory, "run"))
        os.makedirs(os.path.join(directory, "conf"))
        self.port = free_port_pair()
        with open(os.path.join(directory, "conf", "vpcd"), "w") as f:
            f.write(f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:{self.port}\nLIBPATH {VPCD_DRIVER}\nCHANNELID {self.port}\n')
        script = (f"mount --make-rprivate / 2>/dev/null || mount --make-rprivate /run || exit 1\n"
                  f"mkdir -p /run/pcscd && mount --bind '{directory}/run' /run/pcscd && exec pcscd -f -c '{directory}/conf'")
        self.log = open(os.path.join(directory, "pcscd.log"), "wb")
        self.process = subprocess.Popen(["unshare", "-m", "--propagation", "unchanged", "sh", "-c", script],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.socket = os.path.join(directory, "run", "pcscd.comm")
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                with open(os.path.join(directory, "pcscd.log"), errors="replace") as f:
                    raise Skip(f"the private pcscd did not start: {f.read().strip()[-300:]}")
            time.sleep(0.02)
        self.readers = ["Virtual PCD 00 00", "Virtual PCD 00 01"]
        self.ports = [self.port, self.port + 1]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class CardFeeder:
    """Puts blank virtual chips into one vpcd slot, one after another (`epki chip serve --state FILE`, each chip a
    state file of its own copied from a blank one): a new card whenever the line has written a report for this
    reader, as an operator takes the booklet out and puts the next in. The card in the reader when the line is
    killed stays there, as it is, for the restarted line to find."""

    def __init__(self, ws, blank, port, reader, reports, chips):
        self.ws, self.blank, self.port, self.reader, self.reports, self.chips = ws, blank, port, reader, reports, chips
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.cache = {}
        self.count = 0
        self.errors = []

    def seen(self):
        """The reports this line wrote for this reader: (name, mtime) — a refused document's report is rewritten."""
        result = set()
        try:
            entries = list(os.scandir(self.reports))
        except FileNotFoundError:
            return result
        for entry in entries:
            if not entry.name.endswith(".json"):
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            key = (entry.name, stat.st_mtime_ns, stat.st_size)
            if key not in self.cache:
                try:
                    with open(entry.path) as f:
                        report = json.load(f)
                except (OSError, ValueError):
                    continue  # being written: seen at the next look
                # Reports a restarted batch writes from the journal are not a card leaving the reader.
                self.cache[key] = report.get("reader") == self.reader and not report.get("fromJournal")
            if self.cache[key]:
                result.add(key)
        return result

    def run(self):
        env = dict(self.ws.env, EPKI_CHIP_PASSPHRASE="crash chip state passphrase")
        while not self.stopped.is_set():
            self.count += 1
            state = os.path.join(self.chips, f"{self.port}-{self.count}.state")
            shutil.copyfile(self.blank, state)
            self.current = state
            log = open(state + ".log", "wb")
            chip = subprocess.Popen([self.ws.epki, "chip", "serve", "--state", state, "--vpcd", f"127.0.0.1:{self.port}"],
                                    env=env, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            before = self.seen()
            while not self.stopped.is_set() and chip.poll() is None and self.seen() == before:
                time.sleep(0.05)
            if chip.poll() is not None and not self.stopped.is_set():
                self.errors.append(f"chip serve for {self.reader} exited {chip.returncode}")
            chip.kill()  # the card pulled out (its state file was saved with its last command)
            chip.wait()
            # The next card only once pcscd has seen this one go: a card swapped within one of its presence polls
            # (~0.4 s) is never seen leaving, and the line would wait out --card-timeout for it.
            deadline = time.monotonic() + 5
            while not self.stopped.is_set() and time.monotonic() < deadline and not self.reader_empty(env):
                time.sleep(0.05)

    def reader_empty(self, env):
        result = subprocess.run([self.ws.epki, "card", "readers"], env=env, capture_output=True, text=True)
        return any(line.startswith(self.reader + "\t") and "no card" in line for line in result.stdout.splitlines())

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopped.set()
        self.thread.join()


PHOTO = (bytes([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]) + b"JFIF"
         + bytes([0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x02, 0x80, 0x01, 0xE0,
                  0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11,
                  0x03, 0x11, 0x00, 0x3F, 0x00])
         + bytes(i % 251 for i in range(12000)) + bytes([0xFF, 0xD9]))  # a baseline JPEG's headers (480 × 640), filler


def fingerprint(finger):
    """The headers of a WSQ image (400 × 500) and filler."""
    return bytes([0xFF, 0xA0, 0xFF, 0xA2, 0x00, 0x11, 0x00, 0xFF, 0x01, 0xF4, 0x01, 0x90]) + bytes(11) + bytes((i + finger) % 239 for i in range(6000))


def document_order(number):
    """An order as Tests/PersonalizationTests/LineFixture.swift makes it: MRZ fields, CAN, photo, two fingers, DG11, DG12."""
    return {"fields": {"format": "TD3", "documentCode": "P", "issuingState": "UTO", "primaryIdentifier": "ERIKSSON",
                       "secondaryIdentifier": "ANNA MARIA", "documentNumber": number, "nationality": "UTO", "dateOfBirth": "740812",
                       "sex": "F", "dateOfExpiry": "320415", "optionalData": "ZE184226B"},
            "can": "123456", "photo": base64.b64encode(PHOTO).decode(),
            "fingerprints": [{"position": p, "image": base64.b64encode(fingerprint(p)).decode()} for p in (1, 6)],
            "dg11": {"fullName": "ERIKSSON<<ANNA<MARIA", "placeOfBirth": "ZENITH"},
            "dg12": {"issuingAuthority": "UTOPIA PASSPORT OFFICE", "dateOfIssue": "20270915"}}


class Personalization(Operation):
    """`perso batch` over the two slots of a private pcscd's vpcd, fed blank virtual chips; killed mid-batch."""
    name = "perso"
    pending = 6  # orders not yet personalized at the start of every run

    def setup(self):
        ws = self.ws
        self.pcscd = PrivatePCSCD(os.path.join(ws.dir, "pcscd"))
        ws.env["PCSCLITE_CSOCK_NAME"] = self.pcscd.socket
        ws.init_csca()
        ds = ws.run("csca", "issue-ds", "--domain", "LU", "--algorithm", "ec:P-256", "--out", os.path.join(ws.dir, "ds.pem"),
                    "--passphrase-file", ws.passphrase)
        self.ds_key = os.path.join(ws.data, ds.stdout.split(" key file:")[1].split()[0])
        # EAC: the CVCA (the chips' trust point), a domestic DV, and the line's own inspection system for the read-back.
        p = ["--domain", "LU", "--passphrase-file", ws.passphrase]
        ws.run("cvca", "init", "--country", "LU", "--out", "cvca.cvcert", *p)
        ws.run("dvca", "init", "--country", "LU", "--mnemonic", "DV", *p)
        ws.run("dvca", "request", "--out", "dv.req", *p)
        ws.run("cvca", "sign-request", "dv.req", "--out", "dv.cvcert", *p)
        ws.run("dvca", "import", "dv.cvcert", *p)
        ws.run("key", "generate", "--algorithm", "ec:brainpoolP256r1", "--out", "is.key", "--passphrase-file", ws.passphrase)
        ws.run("cvc", "request", "--key", "is.key", "--chr", "LUPLIS00001", "--car", "LUDV00001", "--algorithm", "ecdsa-sha256",
               "--out", "is.req", "--passphrase-file", ws.passphrase)
        ws.run("dvca", "issue-terminal", "is.req", "--out", "is.cvcert", "--chain-dir", "is-chain", *p)
        self.blank = os.path.join(ws.dir, "blank.state")
        ws.env["EPKI_CHIP_PASSPHRASE"] = "crash chip state passphrase"
        ws.run("chip", "new", "--state", self.blank)
        self.orders = os.path.join(ws.dir, "orders")
        self.reports = os.path.join(ws.dir, "reports")
        self.chips = os.path.join(ws.dir, "chips")
        for folder in (self.orders, self.orders + "-made", self.reports, self.chips):
            os.makedirs(folder)
        self.numbers = []
        self.told = {}  # document number -> run that printed "personalized and verified"
        self.interrupted = {}  # attempt id -> run that was killed with it unfinished
        self.feeders = [CardFeeder(ws, self.blank, port, reader, self.reports, self.chips)
                        for port, reader in zip(self.pcscd.ports, self.pcscd.readers)]
        for feeder in self.feeders:
            feeder.start()

    def close(self):
        super().close()
        for feeder in getattr(self, "feeders", []):
            feeder.stop()
        if getattr(self, "pcscd", None) is not None:
            self.pcscd.stop()

    def verified_numbers(self):
        with self.ws.db() as db:
            return {row[0] for row in db.execute("SELECT document_number FROM perso_attempt WHERE domain = 'LU' AND state = 'verified'")} \
                if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'perso_attempt'").fetchone() else set()

    def arguments(self, iteration):
        ws = self.ws
        # Orders for the next documents, so that every run has `pending` to make.
        done = self.verified_numbers()
        while len([n for n in self.numbers if n not in done]) < self.pending:
            number = f"LUX{len(self.numbers) + 1:06d}"
            with open(os.path.join(self.orders, number + ".json"), "w") as f:
                json.dump(document_order(number), f)
            self.numbers.append(number)
        self.run_pending = [n for n in self.numbers if n not in done]
        # Six documents made before stay in the folder (the batch skips them); older orders are moved out of it.
        made = [n for n in self.numbers if n in done and os.path.exists(os.path.join(self.orders, n + ".json"))]
        for number in made[:-6]:
            os.rename(os.path.join(self.orders, number + ".json"), os.path.join(self.orders + "-made", number + ".json"))
        return ["perso", "batch", "--orders", self.orders, "--readers", ",".join(self.pcscd.readers), "--reports", self.reports,
                "--card-timeout", "20", "--domain", "LU", "--ds-cert", os.path.join(ws.dir, "ds.pem"), "--key", self.ds_key,
                "--csca", os.path.join(ws.dir, "csca.pem"), "--trust-point", os.path.join(ws.dir, "cvca.cvcert"),
                "--is-chain", os.path.join(ws.dir, "is-chain", "LUCVCA00001"), "--is-chain", os.path.join(ws.dir, "is-chain", "LUDV00001"),
                "--is-chain", os.path.join(ws.dir, "is.cvcert"), "--is-key", os.path.join(ws.dir, "is.key"),
                "--passphrase-file", ws.passphrase]

    def after(self, iteration, log, killed, status):
        for feeder in self.feeders:
            if feeder.errors:
                raise Failure(f"card feeder: {feeder.errors[0]}")
        told, ended, started = set(), set(), False
        with open(log, errors="replace") as f:
            for line in f:
                if ": personalized and verified on " in line:
                    told.add(line.split("]", 1)[1].split(":")[1].strip() if line.startswith("[") else line.split(":")[0])
                elif line.startswith("ended interrupted attempt "):
                    words = line.split()
                    ended.add((words[5], int(words[3])))
                elif line.startswith("batch: "):
                    started = True
        for number in told:
            if number in self.told:
                raise Failure(f"{number} told personalized in run {self.told[number]} and again in run {iteration}")
            self.told[number] = iteration
        with self.ws.db() as db:
            attempts = db.execute("SELECT id, document_number, attempt, state, failed_step, void, sod_digest, key_digests "
                                  "FROM perso_attempt WHERE domain = 'LU' ORDER BY id").fetchall()
            audit = {}
            for action, subject, details in db.execute("SELECT action, subject, details FROM audit_entry WHERE domain = 'LU' AND action LIKE 'perso.%' ORDER BY sequence"):
                details = json.loads(details)
                audit.setdefault((subject, int(details.get("attempt", 0))), []).append((action, details))
        by_id = {row[0]: row for row in attempts}
        verified = {}
        for id_, number, attempt, state, step, void, sod, keys in attempts:
            entries = audit.get((number, attempt), [])
            actions = [a for a, _ in entries]
            if actions[:1] != ["perso.received"]:
                raise Failure(f"{number} attempt {attempt}: no perso.received audit entry first ({actions})")
            if state == "verified":
                if number in verified:
                    raise Failure(f"{number} personalized twice: attempts {verified[number]} and {attempt}")
                verified[number] = attempt
                if void or not sod or not keys:
                    raise Failure(f"{number} attempt {attempt}: verified but void={void}, SOD {sod}, keys {keys}")
                if actions != ["perso.received", "perso.keysMade", "perso.signed", "perso.written", "perso.locked", "perso.verified"]:
                    raise Failure(f"{number} attempt {attempt}: verified with the audit entries {actions}")
                signed = [d for a, d in entries if a == "perso.signed"][0]
                if signed.get("sod") != sod:
                    raise Failure(f"{number} attempt {attempt}: the journal's SOD {sod} is not the audited {signed.get('sod')}")
            elif state == "failed":
                failed = [d for a, d in entries if a == "perso.failed"]
                if not void or len(failed) != 1:
                    raise Failure(f"{number} attempt {attempt}: failed at {step} but void={void}, {len(failed)} perso.failed entries")
                if sod and failed[0].get("voidSOD") != sod:
                    raise Failure(f"{number} attempt {attempt}: failed, its SOD {sod} not voided in the audit trail ({failed[0]})")
                for name, digest in json.loads(keys or "{}").items():
                    if failed[0].get("void " + name) != digest:
                        raise Failure(f"{number} attempt {attempt}: failed, its key {name} not voided in the audit trail")
            elif not killed:
                raise Failure(f"{number} attempt {attempt}: left {state} by a run that ended by itself")
        # Attempts a killed run left on the way are ended by the next run (failed at 'interrupted', void), once it got
        # past its recovery (it printed its "batch:" line).
        if started:
            for id_, run in list(self.interrupted.items()):
                row = by_id[id_]
                if row[3] != "failed" or row[4] != "interrupted" or not row[5]:
                    raise Failure(f"{row[1]} attempt {row[2]}, interrupted in run {run}: after run {iteration} {row[3]} at {row[4]}, void={row[5]}")
                del self.interrupted[id_]
            self.note("attempts ended as interrupted", self.notes.get("attempts ended as interrupted", 0) + len(ended))
        if killed:
            unfinished = [row for row in attempts if row[3] not in ("verified", "failed")]
            for row in unfinished:
                self.interrupted.setdefault(row[0], iteration)
            self.note("kills with a document on its way", self.notes.get("kills with a document on its way", 0) + bool(unfinished))
            readers = {feeder.reader: getattr(feeder, "current", None) for feeder in self.feeders}
            attempt_readers = {}
            with self.ws.db() as db:
                attempt_readers = dict(db.execute("SELECT id, reader FROM perso_attempt"))
            for row in unfinished:
                key = f"killed at '{row[3]}'"
                self.note(key, self.notes.get(key, 0) + 1)
                if row[3] == "locked":
                    # A chip locked whole whose attempt the next run ends as failed: its SOD void in the journal only.
                    with open(os.path.join(self.ws.dir, "locked-at-kill.txt"), "a") as f:
                        f.write(f"{row[1]} attempt {row[2]} SOD {row[6]} chip {readers.get(attempt_readers.get(row[0]))}\n")
        lost = [n for n in self.told if n not in verified]
        if lost:
            raise Failure(f"told personalized but not verified in the journal: {lost[:5]}")
        if not killed:
            missing = [n for n in self.run_pending if n not in verified]
            if missing:
                raise Failure(f"a run to its end left orders unmade: {missing}")
            names = set(os.listdir(self.reports))
            without = [n for n, a in verified.items() if f"{n}-{a}.json" not in names]
            if without:
                raise Failure(f"personalized without a report: {without[:5]}")
        self.note("documents personalized", len(verified))
        self.note("told to the caller", len(self.told))
        self.note("failed attempts (void)", sum(1 for row in attempts if row[3] == "failed"))
        steps = {}
        for row in attempts:
            if row[3] == "failed":
                steps[row[4]] = steps.get(row[4], 0) + 1
        self.note("failed at", ", ".join(f"{step} {n}" for step, n in sorted(steps.items())))
        self.note("chips used", sum(f.count for f in self.feeders))


class CRLServer:
    """Serves a folder over plain HTTP on 127.0.0.1 (the SPOC CAs' CRLs, fetched from their distribution points)."""

    def __init__(self, directory):
        import functools
        import http.server
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

        handler = functools.partial(Quiet, directory=directory)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.handle_error = lambda request, address: None  # a client killed mid-download: nothing to report
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class SPOCOutbox(Operation):
    """Two SPOCs, CZ and SK, each its own data directory, on loopback with mutual TLS. CZ's DVCA asks SK's CVCA for
    DV certificates (SK queues them: async mode); SK's operator approves a batch; SK's server, which owns the outbox,
    is started and SIGKILLed at a random point while it pushes the SendCertificates. CZ's server runs throughout."""
    name = "spoc-outbox"
    batch = 4  # approved entries waiting in SK's outbox when its server starts

    def setup(self):
        root = self.ws.dir
        self.sk = Workspace(root, self.ws.epki, "SK")
        self.cz = Workspace(root, self.ws.epki, "CZ")
        self.crls = os.path.join(root, "crl")
        os.makedirs(self.crls)
        self.crl_server = CRLServer(self.crls)
        self.servers = {}
        self.ports = {}
        for ws, code in ((self.cz, "CZ"), (self.sk, "SK")):
            ws.code = code
            self.ports[code] = self.free_port()
            p = ["--passphrase-file", ws.passphrase]
            # The country's CSCA issues its SPOC TLS certificates; its CRL is at its distribution point.
            ws.run("csca", "init", "--country", code, "--name", f"CSCA {code}", "--organization", "Crash", "--algorithm", "ec:P-256",
                   "--crl-url", f"http://127.0.0.1:{self.crl_server.port}/{code}.crl", "--out", "csca.pem", *p)
            ws.run("csca", "crl", "--out", os.path.join(self.crls, f"{code}.crl"), *p)
            keys = {}
            for role in ("server", "client"):
                extra = ["--dns", "localhost"] if role == "server" else []
                result = ws.run("csca", "issue-spoc-tls", "--role", role, "--family", "icao", *extra, "--out", f"{role}.pem", *p)
                keys[role] = result.stdout.split(" key ")[-1].split()[0]
            ws.run("cvca", "init", "--country", code, "--out", "cvca.cvcert", *p)
            ws.run("spoc", "setup", "--country", code, "--url", self.url(code), "--server-cert", "server.pem", "--server-key", keys["server"],
                   "--client-cert", "client.pem", "--client-key", keys["client"], *p)
        self.cz.run("dvca", "init", "--country", "CZ", "--mnemonic", "DV", "--passphrase-file", self.cz.passphrase)
        for ws, other in ((self.cz, self.sk), (self.sk, self.cz)):
            p = ["--passphrase-file", ws.passphrase]
            ws.run("spoc", "register", "--country", other.code, "--url", self.url(other.code), "--root", os.path.join(other.dir, "csca.pem"),
                   "--mode", "async", *p)
            ws.run("cvca", "register-foreign-cvca", os.path.join(other.dir, "cvca.cvcert"), *p)
        self.start(self.cz)
        self.start(self.sk)
        self.requested = {}  # messageID -> CHR of CZ's request
        self.approved = {}  # messageID -> SK's outbox entry

    @staticmethod
    def free_port():
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def url(self, code):
        return f"https://localhost:{self.ports[code]}/spoc"

    def start(self, ws, wait=True):
        """Starts `spoc serve` for ws (each start its own log); waits until it serves unless wait is False."""
        ws.starts = getattr(ws, "starts", 0) + 1
        log = os.path.join(ws.dir, f"serve-{ws.starts}.log")
        process = ws.start(["spoc", "serve", "--listen", f"127.0.0.1:{self.ports[ws.code]}", "--outbox-interval", "0.2",
                            "--passphrase-file", ws.passphrase], log)
        self.servers[ws.code] = process
        deadline = time.monotonic() + 60
        while wait:
            with open(log, errors="replace") as f:
                if "serving on" in f.read():
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                with open(log, errors="replace") as f:
                    raise Failure(f"{ws.code}: spoc serve did not start: {f.read()[-600:]}")
            time.sleep(0.02)
        return process

    def stop(self, code, sig=signal.SIGTERM):
        process = self.servers.pop(code, None)
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            process.wait()

    def close(self):
        super().close()
        for code in list(getattr(self, "servers", {})):
            self.stop(code)
        if getattr(self, "crl_server", None) is not None:
            self.crl_server.stop()

    def outbox(self):
        with self.sk.db() as db:
            return db.execute("SELECT id, message_id, state, attempts, lease_until, result, status_info FROM spoc_outbox ORDER BY id").fetchall()

    def refill(self):
        """Requests from CZ until `batch` entries are free to deliver (not leased by a killed server), approved by SK
        with its server down: they wait in the outbox for the next start."""
        now = time.time()
        free = [row for row in self.outbox() if row[2] == "pending" and (row[4] is None or row[4] <= now)]
        for _ in range(self.batch - len(free)):
            result = self.cz.run("spoc", "request", "--to", "SK", "--json", "--passphrase-file", self.cz.passphrase)
            answer = json.loads(result.stdout)
            if answer.get("result") != "ok_reception_ack":
                raise Failure(f"CZ's request to SK answered {answer}")
            self.requested[answer["messageID"]] = answer["chr"]
        self.stop("SK")
        with self.sk.db() as db:
            queued = [row[0] for row in db.execute("SELECT id FROM spoc_queue WHERE state = 'queued' ORDER BY id")]
        for entry in queued:
            self.sk.run("spoc", "queue", "approve", str(entry), "--passphrase-file", self.sk.passphrase)

    def delivered_all(self, ids):
        return all(row[2] != "pending" for row in self.outbox() if row[0] in ids)

    def one(self, iteration, delay):
        self.runs = getattr(self, "runs", 0) + 1
        if "SK" not in self.servers:
            self.start(self.sk)
        self.refill()
        waiting = {row[0] for row in self.outbox() if row[2] == "pending"}
        started = time.monotonic()
        process = self.start(self.sk, wait=False)
        if delay is None:
            # Unkilled: until the entries that were free are delivered.
            now = time.time()
            free = {row[0] for row in self.outbox() if row[2] == "pending" and (row[4] is None or row[4] <= now)}
            deadline = time.monotonic() + 60
            while not self.delivered_all(free):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise Failure(f"SK's outbox did not deliver {sorted(free)} within 60 s")
                time.sleep(0.01)
            self.last_run = time.monotonic() - started
            self.finished += 1
            killed = False
        else:
            killed = run_killed(process, delay)
            self.servers.pop("SK", None)
            if not killed:
                raise Failure(f"SK's spoc serve ended by itself: {process.returncode}")
            self.kills += 1
            # Where the kill fell in the stream of the entries waiting at the start.
            rows = [row for row in self.outbox() if row[0] in waiting]
            done = sum(1 for row in rows if row[2] == "delivered")
            leased = sum(1 for row in rows if row[2] == "pending" and row[4] is not None and row[4] > time.time())
            where = ("kills after the last delivery" if done == len(rows) else
                     "kills before the outbox leased the entries" if not leased else
                     "kills with the entries leased, none delivered yet" if done == 0 else
                     "kills with some delivered, the rest leased")
            self.note(where, self.notes.get(where, 0) + 1)
        self.checks_after(iteration, killed)
        self.checks += 1
        return killed

    def final(self):
        # After the last kill: SK's server runs until every entry is delivered. Entries a killed server had leased
        # wait out their lease (60 s, twice the peer timeout: SPOCClient.deliverDue) before a server takes them again.
        if "SK" not in self.servers:
            self.start(self.sk)
        started = time.monotonic()
        deadline = started + 300
        while not self.delivered_all({row[0] for row in self.outbox()}):
            if time.monotonic() > deadline:
                raise Failure(f"not every outbox entry delivered 300 s after the last kill: {[r for r in self.outbox() if r[2] == 'pending'][:5]}")
            time.sleep(0.2)
        self.note("s to deliver the rest after the last kill", round(time.monotonic() - started, 1))
        self.checks_after("final", False, final=True)
        self.checks += 1

    def checks_after(self, iteration, killed, final=False):
        self.cz.audit_verify()
        self.sk.audit_verify()
        outbox = self.outbox()
        with self.cz.db() as db:
            log = db.execute("SELECT message_id, result, detail FROM spoc_log WHERE direction = 'in' AND operation = 'SendCertificates'").fetchall()
            outbound = dict(db.execute("SELECT message_id, state FROM spoc_outbound"))
            imported = [row[0] for row in db.execute("SELECT chr FROM cvca_certificate WHERE source = 'own' AND role = 'dv-foreign'")]
        with self.sk.db() as db:
            issued = [row[0] for row in db.execute("SELECT chr FROM cvca_certificate WHERE source = 'issued' AND chr LIKE 'CZ%'")]
            approvals = db.execute("SELECT message_id, chr FROM spoc_queue WHERE state = 'approved'").fetchall()
        handed, again = {}, {}
        for message, result, detail in log:
            if result != "ok_received_correctly":
                raise Failure(f"CZ answered SendCertificates {message} with {result}: {detail}")
            if "answered before" in detail:
                again[message] = again.get(message, 0) + 1
            elif "(already imported)" in detail:
                raise Failure(f"SendCertificates {message} handed to CZ's DVCA a second time: {detail}")
            else:
                handed[message] = handed.get(message, 0) + 1
        twice = {m: n for m, n in handed.items() if n > 1}
        if twice:
            raise Failure(f"SendCertificates handed to CZ's DVCA more than once: {twice}")
        for name, chrs in (("issued by SK's CVCA", issued), ("imported by CZ's DVCA", imported)):
            duplicates = {c for c in chrs if chrs.count(c) > 1}
            if duplicates:
                raise Failure(f"DV certificates {name} twice: {sorted(duplicates)}")
        if sorted(issued) != sorted(chr_ for _, chr_ in approvals):
            raise Failure(f"SK's CVCA issued {len(issued)} DV certificates for {len(approvals)} approvals")
        for id_, message, state, attempts, lease, result, status in outbox:
            if state == "rejected":
                raise Failure(f"outbox entry {id_} ({message}) rejected: {result}")
            if state == "delivered":
                if attempts < 1 or result != "ok_received_correctly":
                    raise Failure(f"outbox entry {id_} delivered with attempts {attempts}, result {result}")
                if handed.get(message) != 1 or outbound.get(message) != "answered":
                    raise Failure(f"outbox entry {id_} ({message}) delivered, but CZ handed it on {handed.get(message, 0)} time(s), outbound {outbound.get(message)}")
                # Every attempt SK counted reached CZ (a killed one may have reached it uncounted).
                if attempts > handed.get(message, 0) + again.get(message, 0):
                    raise Failure(f"outbox entry {id_} ({message}): {attempts} attempts counted, CZ received {handed.get(message, 0) + again.get(message, 0)}")
        # Handed on at CZ means imported: the DV certificate of every accepted messageID is in CZ's DVCA.
        for message in handed:
            if self.requested.get(message) not in imported:
                raise Failure(f"{message}: accepted by CZ, but {self.requested.get(message)} is not in its DVCA")
        if final:
            missing = [m for m in self.requested if handed.get(m) != 1]
            if missing:
                raise Failure(f"requests never delivered to CZ's DVCA: {missing[:5]}")
        self.note("requests approved", len(approvals))
        self.note("outbox delivered", sum(1 for r in outbox if r[2] == "delivered"))
        self.note("delivery attempts counted", sum(r[3] for r in outbox))
        self.note("SendCertificates CZ received", sum(handed.values()) + sum(again.values()))
        self.note("redeliveries answered 'answered before'", sum(again.values()))
        leased = sum(1 for r in outbox if r[2] == "pending" and r[4] is not None and r[4] > time.time())
        self.note("most entries leased by killed servers at once", max(leased, self.notes.get("most entries leased by killed servers at once", 0)))


OPERATIONS = {op.name: op for op in (DSIssuance, CRLGeneration, MasterListImport, CRLImport, SODSigning, Personalization, SPOCOutbox)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="kills per operation (default 100)")
    parser.add_argument("--ops", default=",".join(OPERATIONS), help="comma-separated: " + ", ".join(OPERATIONS))
    parser.add_argument("--epki", default=os.path.join(ROOT, ".build/debug/epki"))
    parser.add_argument("--crl-entries", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args()
    # Stopped from outside: each operation's finally still stops its servers, pcscd and chips.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    if not os.access(args.epki, os.X_OK):
        sys.exit(f"crash-inject: {args.epki} is not built (swift build --product epki)")
    root = tempfile.mkdtemp(prefix="epki-crash-")
    print(f"crash-inject: seed {seed}, {args.kills} kill(s) per operation, data under {root}", flush=True)
    failures = 0
    for name in args.ops.split(","):
        operation = OPERATIONS[name](root, args.epki, args)
        started = time.monotonic()
        try:
            operation.setup()
            operation.loop(args.kills, rng)
            verdict = "ok"
        except Skip as reason:
            verdict = f"skipped: {reason}"
        except (Failure, subprocess.CalledProcessError) as error:
            failures += 1
            verdict = f"FAILED: {error}"
        finally:
            operation.close()
        notes = "; ".join(f"{k}: {v}" for k, v in operation.notes.items())
        print(f"{name:11s} {operation.kills:4d} kills, {operation.finished:3d} runs to the end, {operation.checks:4d} checks passed, "
              f"{time.monotonic() - started:6.0f} s — {verdict}" + (f"\n            {notes}" if notes else ""), flush=True)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    print(f"crash-inject: {failures} operation(s) failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
