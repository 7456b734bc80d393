#!/usr/bin/env python3
"""Crash injection (issue 20, item 2): SIGKILL the epki CLI at random points of its store-writing operations, restart,
and check after every kill that nothing was lost, reused or half written.

    python3 scripts/crash-inject.py [--kills N] [--ops ds,crl,ml-import,crl-import,sod] [--epki PATH]
                                    [--crl-entries N] [--seed S] [--keep]

Operations (each in a data directory of its own, under one CSCA "LU"):
  ds          `csca issue-ds --algorithm ec:P-256 --count 30 --out DIR`: a DS issuance loop
  crl         `csca crl --out FILE` with revoked certificates in the store
  ml-import   `npkd import` of ICAO's master list (Vectors/csca-trust-store, 786 KB)
  crl-import  `npkd import` of a CRL of --crl-entries entries (default 1,000,000) signed by the CSCA
  sod         `sod serve` under concurrent POST /v1/sod/sign from four client threads (the batch signer)

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
Any failed check is printed and makes the exit status 1. Needs python3 (stdlib only), openssl and coreutils' stdbuf.
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
        while self.kills < kills:
            self.one(iteration, rng.uniform(*self.window) * duration)
            iteration += 1
            if iteration > kills * 4 + 20:
                raise Failure(f"only {self.kills} kills in {iteration} runs: the runs end before the kills")
        # The operation once more to its end: it can be run again after the last kill.
        self.one(iteration, None)
        self.final()

    def final(self):
        pass


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
        # A key generated for a certificate whose transaction never committed is left in keys/ (the process died
        # before it could discard it): not a loss, counted for the report.
        files = {"file:keys/LU/" + os.path.basename(p) for p in glob.glob(os.path.join(self.ws.data, "keys/LU/*.pem"))}
        self.note("DS certificates in the store", len(stored))
        self.note("certificates told to the caller", len(self.told))
        # Killed after the commit, before the print: in the store and its audit trail, never announced (expected).
        self.note("recorded but not told", len(stored) - len(self.told))
        self.note("orphan DS key files (killed between key and commit)", len(files - keys))
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


OPERATIONS = {op.name: op for op in (DSIssuance, CRLGeneration, MasterListImport, CRLImport, SODSigning)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="kills per operation (default 100)")
    parser.add_argument("--ops", default=",".join(OPERATIONS), help="comma-separated: " + ", ".join(OPERATIONS))
    parser.add_argument("--epki", default=os.path.join(ROOT, ".build/debug/epki"))
    parser.add_argument("--crl-entries", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args()
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
        except (Failure, subprocess.CalledProcessError) as error:
            failures += 1
            verdict = f"FAILED: {error}"
        notes = "; ".join(f"{k}: {v}" for k, v in operation.notes.items())
        print(f"{name:11s} {operation.kills:4d} kills, {operation.finished:3d} runs to the end, {operation.checks:4d} checks passed, "
              f"{time.monotonic() - started:6.0f} s — {verdict}\n            {notes}", flush=True)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    print(f"crash-inject: {failures} operation(s) failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
