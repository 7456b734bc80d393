import Foundation
import Testing
import TestSupport

/// Disk faults under a real file system (Linux tmpfs under /run, in a private mount namespace of its own: root only): the data
/// directory on a 1.2 MB tmpfs that an import fills, then grown; then remounted read-only between two issuances, then
/// writable again. Each fault is a typed error naming it, the database passes SQLite's own integrity check (Python's
/// sqlite3, not ours), the audit chains verify, and the work that failed succeeds once space or writing returns.
@Suite(.serialized) struct DiskFaultTests {
    static let script = #"""
        set -u
        E=$1; ML=$2
        # Mounts made here must not reach the machine's namespace: / private, or (in a chroot, where / is no mount
        # point) /run, under which the tmpfs goes.
        mount --make-rprivate / 2>/dev/null || mount --make-rprivate /run || { echo "mount=failed"; exit 3; }
        D=$(mktemp -d /run/epki-disk-faults.XXXXXX)
        trap 'umount "$D" 2>/dev/null; rmdir "$D"' EXIT
        mount -t tmpfs -o size=1200k tmpfs "$D" || { echo "mount=failed"; exit 3; }
        export EPKI_HOME=$D/data
        integrity() { /usr/bin/python3 -c "import sqlite3,sys; print('$1=' + sqlite3.connect(sys.argv[1]).execute('pragma integrity_check').fetchone()[0])" "$D/data/epki.sqlite"; }
        $E csca init --domain UT --country UT --name "CSCA UT" --algorithm ec:P-256 --crl-url http://pkd.example/UT.crl --passphrase-file pass >/dev/null; echo "init=$?"
        $E npkd import "$ML"; echo "import1=$?"
        integrity integrity1
        $E audit verify --all-domains >/dev/null; echo "verify1=$?"
        $E csca issue-ds --domain UT --algorithm ec:P-256 --passphrase-file pass --out full.pem; echo "issueFull=$?"
        mount -o remount,size=64m "$D"
        $E npkd import "$ML" >/dev/null; echo "import2=$?"
        $E npkd list --json | /usr/bin/python3 -c "import json,sys; print('certificates=%d' % len(json.load(sys.stdin)))"
        $E audit verify --all-domains >/dev/null; echo "verify2=$?"
        mount -o remount,ro "$D"
        $E csca issue-ds --domain UT --algorithm ec:P-256 --passphrase-file pass --out readonly.pem; echo "readonly=$?"
        mount -o remount,rw "$D"
        $E csca issue-ds --domain UT --algorithm ec:P-256 --passphrase-file pass --out readwrite.pem >/dev/null; echo "readwrite=$?"
        $E csca list --domain UT --kind ds --json | /usr/bin/python3 -c "import json,sys; print('dsCertificates=%d' % len(json.load(sys.stdin)))"
        $E audit verify --all-domains >/dev/null; echo "verify3=$?"
        integrity integrity2
        """#

    /// The embedded store's faults: on PostgreSQL (the suite's second run) the tables are on the server's disk, whose
    /// faults the server reports, and only the keys are in the data directory.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"),
          .enabled(if: ProcessInfo.processInfo.environment["EPKI_TEST_POSTGRES"] == nil, "the SQLite file's disk faults"))
    func aFullDiskAndAReadOnlyDiskAreTypedErrorsAndNothingIsLost() throws {
        let home = try TestSupport.temporaryDirectory("epki-disk-faults")
        defer { try? FileManager.default.removeItem(at: home) }
        try TestSupport.write("disk fault test passphrase\n", home.appendingPathComponent("pass"))
        try TestSupport.write(Self.script, home.appendingPathComponent("faults.sh"))
        let result = try TestSupport.run("unshare", ["-m", "--propagation", "unchanged", "bash", "faults.sh", try TestSupport.epkiExecutable(),
                                                     TestSupport.vectorPath("csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml")],
                                         currentDirectory: home)
        var values: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        let context = "\(result.output)"
        #expect(values["init"] == "0", "\(context)")
        // The full disk: the import is refused whole, named as such; nothing half written.
        #expect(values["import1"] == "1" && result.stderr.contains("database or disk is full") && result.stderr.contains("nothing of it was imported"), "\(context)")
        #expect(values["integrity1"] == "ok" && values["verify1"] == "0", "\(context)")
        #expect(values["issueFull"] == "1", "an issuance on the full disk fails: \(context)")
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("full.pem").path), "no certificate handed out that the store lacks")
        // Space returns: the same import succeeds, whole.
        #expect(values["import2"] == "0" && Int(values["certificates"] ?? "") ?? 0 >= 500 && values["verify2"] == "0", "\(context)")
        // Read-only: named; writable again: the issuance goes through; one DS certificate in all, the chains intact.
        #expect(values["readonly"] == "1" && result.stderr.contains("it is not writable") && result.stderr.contains("Read-only file system"), "\(context)")
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("readonly.pem").path))
        #expect(values["readwrite"] == "0" && values["dsCertificates"] == "1" && values["verify3"] == "0" && values["integrity2"] == "ok", "\(context)")
    }
}
