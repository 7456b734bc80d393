#!/usr/bin/env python3
"""Several active epki nodes on one shared PostgreSQL store, under load, one of them lost (issue 19).

  active-nodes.py --epki PATH --store URL --dir DIR [--seconds N] [--kill-node A] [--control FILE]

Sets up a national PKI on the store with `epki demo` (CSCA, DS, CRL, the NPKD trusting the CSCA, a sample
document), then runs two nodes, A and B. Each node is an `epki npkd serve` (border control's passive
authentication) and an issuance worker that runs `epki csca issue-ds` and, every third time, `epki csca crl`, all
on the same store and the same CSCA. A load generator posts the sample document to POST /v1/pa/verify on both nodes,
round robin; a request that fails on one node is counted and sent to the other (as a load balancer would).

  --kill-node A   after a third of the time, node A is killed with SIGKILL (its server and its running issuance)
  --control FILE  prints "ready" once the load runs, then waits for FILE to exist (the caller fails the database
                  over meanwhile) and runs on for --seconds

Then it checks, from the store: every serial an issuance printed is held (an issuance is acknowledged when epki
printed it), no serial is held twice, the CRL numbers increase in the order the CRLs were stored and every CRL
file handed out is one of them, the audit chains verify (`epki audit verify --all-domains`), and node B answered
every request it was sent. It prints one JSON summary line ("summary: {...}") and exits 1 if a check fails.
"""
import argparse
import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time


class Node:
    def __init__(self, name, run):
        self.name = name
        self.run = run
        self.server = None
        self.port = None
        self.worker = None
        self.current = None  # the issuance process running now
        self.stopped = threading.Event()
        self.killed = False
        self.told = []  # (serial, node) printed by an issuance
        self.crls = []  # CRL files whose command exited 0
        self.attempts = 0
        self.failures = 0
        self.lock = threading.Lock()

    def start_server(self):
        log = os.path.join(self.run.dir, f"serve-{self.name}.log")
        out = open(log, "wb")
        self.server = subprocess.Popen(["stdbuf", "-oL", self.run.epki, "npkd", "serve", "--listen", "127.0.0.1:0",
                                        "--data-dir", self.run.data], env=self.run.env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(log, errors="replace") as f:
                text = f.read()
            if "OpenAPI" in text:
                self.port = int(text.split("http://127.0.0.1:")[1].split(";")[0])
                return
            if self.server.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"active-nodes: node {self.name}'s server did not start: {text[-800:]}")

    def issue_loop(self):
        iteration = 0
        while not self.stopped.is_set():
            iteration += 1
            out = os.path.join(self.run.dir, f"out-{self.name}-{iteration}")
            crl = iteration % 3 == 0
            if crl:
                arguments = ["csca", "crl", "--domain", "UT", "--passphrase-file", self.run.passphrase, "--out", out + ".crl"]
            else:
                arguments = ["csca", "issue-ds", "--domain", "UT", "--algorithm", "ec:P-256", "--count", "3", "--out", out,
                             "--passphrase-file", self.run.passphrase]
            process = subprocess.Popen(["stdbuf", "-oL", self.run.epki, *arguments, "--data-dir", self.run.data],
                                       env=self.run.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            with self.lock:
                self.current = process
            output = []
            for line in process.stdout:
                output.append(line)
                # What was printed was told to the caller: it must be in the store, whatever happens next.
                if line.startswith("issued DS ") and " serial " in line:
                    with self.lock:
                        self.told.append(line.split(" serial ")[1].split()[0].upper())
            status = process.wait()
            with self.lock:
                self.current = None
                self.attempts += 1
                if status == 0 and crl:
                    self.crls.append(out + ".crl")
                elif status != 0 and not self.killed:
                    # During a database failover an issuance may fail: it was not acknowledged, and is retried.
                    self.failures += 1
                    self.run.note(f"node {self.name}: {' '.join(arguments[:2])} exited {status}: {''.join(output)[-300:].strip()}")
            if self.killed:
                return

    def kill(self):
        with self.lock:
            self.killed = True
            self.stopped.set()
            for process in (self.server, self.current):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGKILL)


class Run:
    def __init__(self, options):
        self.epki = os.path.abspath(options.epki)
        self.dir = options.dir
        self.demo = os.path.join(self.dir, "demo")
        self.data = os.path.join(self.demo, "data")
        self.passphrase = os.path.join(self.demo, "passphrase.txt")
        self.env = {k: v for k, v in os.environ.items() if k not in ("EPKI_TEST_POSTGRES", "EPKI_HOME")}
        self.env["EPKI_STORE"] = options.store
        # Under the suite's libfaketime runs the caller starts this script without libfaketime (Python's sleep fails
        # under it with EINVAL) and hands its settings over here, for epki's processes only.
        self.env.update(json.loads(os.environ.get("ACTIVE_NODES_CHILD_ENVIRONMENT", "{}")))
        self.env.pop("ACTIVE_NODES_CHILD_ENVIRONMENT", None)
        self.notes = []
        self.notes_lock = threading.Lock()

    def note(self, text):
        with self.notes_lock:
            self.notes.append(text)

    def epki_run(self, *arguments, check=True):
        result = subprocess.run([self.epki, *arguments], env=self.env, capture_output=True, text=True, cwd=self.dir)
        if check and result.returncode != 0:
            raise SystemExit(f"active-nodes: epki {' '.join(arguments)} exited {result.returncode}: {(result.stdout + result.stderr)[-800:]}")
        return result


class Load:
    """Threads posting the sample document to the nodes, round robin, failing over to the other node."""

    def __init__(self, nodes, body, threads=4):
        self.nodes = nodes
        self.body = body
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answered = {node.name: 0 for node in nodes}
        self.errors = []  # (time, node, reason)
        self.unanswered = []  # (time, reason): failed on both nodes
        self.threads = [threading.Thread(target=self.loop, args=(i,), daemon=True) for i in range(threads)]

    def post(self, node):
        connection = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
        try:
            connection.request("POST", "/v1/pa/verify", body=self.body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            if response.status != 200 or '"genuine"' not in text:
                return f"HTTP {response.status}: {text[:200]}"
            return None
        except (OSError, http.client.HTTPException) as error:
            return f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    def loop(self, index):
        turn = index
        while not self.stop.is_set():
            node = self.nodes[turn % len(self.nodes)]
            turn += 1
            for attempt in (node, self.nodes[turn % len(self.nodes)]):
                error = self.post(attempt)
                with self.lock:
                    if error is None:
                        self.answered[attempt.name] += 1
                        break
                    self.errors.append((time.time(), attempt.name, error))
            else:
                with self.lock:
                    self.unanswered.append((time.time(), error))

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def psql(store, sql):
    result = subprocess.run(["psql", "-X", "-At", store, "-c", sql], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"active-nodes: psql failed: {result.stderr.strip()}")
    return [line for line in result.stdout.splitlines() if line]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epki", required=True)
    parser.add_argument("--store", required=True, help="postgres://… (multi-host for a failover)")
    parser.add_argument("--dir", required=True)
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--kill-node", choices=["A"], default=None)
    parser.add_argument("--control", default=None)
    options = parser.parse_args()
    options.dir = os.path.abspath(options.dir)
    os.makedirs(options.dir, exist_ok=True)
    run = Run(options)

    demo = run.epki_run("demo", "--dir", run.demo, "--icao-master-list", "")
    if "demo complete" not in demo.stdout:
        raise SystemExit(f"active-nodes: the demo did not complete: {demo.stdout[-800:]}")
    groups = {}
    for number in (1, 2):
        with open(os.path.join(run.demo, f"dg{number}.bin"), "rb") as f:
            groups[str(number)] = base64.b64encode(f.read()).decode()
    with open(os.path.join(run.demo, "ef.sod"), "rb") as f:
        sod = base64.b64encode(f.read()).decode()
    with open(os.path.join(run.demo, "ef.com"), "rb") as f:
        com = base64.b64encode(f.read()).decode()
    body = json.dumps({"sod": sod, "dataGroups": groups, "efCOM": com}).encode()

    nodes = [Node("A", run), Node("B", run)]
    for node in nodes:
        node.start_server()
    load = Load(nodes, body)
    load.start()
    for node in nodes:
        node.worker = threading.Thread(target=node.issue_loop, daemon=True)
        node.worker.start()

    started = time.time()
    event_time = None
    if options.kill_node:
        time.sleep(options.seconds / 3)
        event_time = time.time()
        nodes[0].kill()
        time.sleep(options.seconds * 2 / 3)
    elif options.control:
        time.sleep(options.seconds / 3)
        print("ready", flush=True)
        deadline = time.time() + 120
        while not os.path.exists(options.control) and time.time() < deadline:
            time.sleep(0.05)
        if not os.path.exists(options.control):
            raise SystemExit("active-nodes: the caller never signalled the failover")
        event_time = time.time()
        issued_before = sum(len(node.told) for node in nodes)
        time.sleep(options.seconds)
    else:
        time.sleep(options.seconds)
    load.finish()
    for node in nodes:
        node.stopped.set()
    for node in nodes:
        if node.worker:
            node.worker.join(timeout=120)
        if node.server and node.server.poll() is None:
            node.server.send_signal(signal.SIGTERM)
            node.server.wait(timeout=30)

    # What the store holds, read through the shared store itself.
    told = [serial for node in nodes for serial in node.told]
    held = psql(options.store, "SELECT upper(serial) FROM csca_certificate WHERE domain = 'UT'")
    duplicates = len(held) - len(set(held))
    missing = sorted(set(told) - set(held))
    numbers = [int(n) for n in psql(options.store, "SELECT number FROM csca_crl WHERE domain = 'UT' ORDER BY rowid")]
    increasing = all(a < b for a, b in zip(numbers, numbers[1:]))
    handed_out = []
    for node in nodes:
        for path in node.crls:
            text = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", path, "-noout", "-crlnumber"],
                                  capture_output=True, text=True).stdout
            handed_out.append(int(text.split("=")[1].strip(), 16))
    unknown_crls = sorted(set(handed_out) - set(numbers))
    audit = run.epki_run("audit", "verify", "--all-domains", "--data-dir", run.data, check=False)
    b_errors = [e for e in load.errors if e[1] == "B"]
    after_event = [e for e in load.errors if event_time and e[0] >= event_time]
    summary = {
        "seconds": round(time.time() - started, 1),
        "issuedTold": len(told), "held": len(held), "missing": len(missing), "duplicateSerials": duplicates,
        "crls": len(numbers), "crlNumbersIncreasing": increasing, "crlFilesNotInStore": len(unknown_crls),
        "auditIntact": audit.returncode == 0,
        "paAnswered": load.answered, "paErrors": len(load.errors), "paErrorsAfterEvent": len(after_event),
        "paErrorsOfNodeB": len(b_errors), "paUnanswered": len(load.unanswered),
        "issuanceFailures": {node.name: node.failures for node in nodes},
        "issuanceAttempts": {node.name: node.attempts for node in nodes},
        "toldPerNode": {node.name: len(node.told) for node in nodes},
    }
    if options.control:
        summary["issuedAfterFailover"] = len(told) - issued_before
    print("summary: " + json.dumps(summary, sort_keys=True), flush=True)
    for note in run.notes[:10]:
        print("note: " + note)
    problems = []
    if missing:
        problems.append(f"{len(missing)} acknowledged serial(s) missing: {missing[:5]}")
    if duplicates:
        problems.append(f"{duplicates} serial(s) held twice")
    if not increasing:
        problems.append(f"CRL numbers not increasing in store order: {numbers}")
    if unknown_crls:
        problems.append(f"CRLs handed out but not stored: {unknown_crls}")
    if audit.returncode != 0:
        problems.append(f"audit verify failed: {audit.stdout.strip()} {audit.stderr.strip()}")
    if options.kill_node and load.unanswered:
        problems.append(f"{len(load.unanswered)} request(s) answered by neither node: {load.unanswered[:3]}")
    if not options.control and b_errors:
        problems.append(f"node B failed {len(b_errors)} request(s): {b_errors[:3]}")
    if load.answered["B"] == 0 or (options.kill_node and load.answered["A"] == 0):
        problems.append(f"a node answered nothing: {load.answered}")
    if options.control and summary["issuedAfterFailover"] == 0:
        problems.append("nothing was issued after the failover")
    if len(told) == 0 or len(numbers) < 2:
        problems.append("too little work was done to judge")
    for problem in problems:
        print("active-nodes: FAILED: " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
