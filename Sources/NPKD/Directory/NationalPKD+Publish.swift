import Foundation
import PKICore
import Store

/// Publication of what the NPKD trusts to an LDAP directory in the ICAO PKD layout, for inspection systems that read
/// a directory rather than call the service.
///
/// Incremental by comparison: the directory's `dc=data` subtree is read back and set against the store's image
/// (`PublicationImage`); only entries that differ are written — new ones added, changed ones replaced, ones no longer
/// trusted (a revoked or distrusted Document Signer, a superseded CRL) deleted. LDAP has no transaction spanning the
/// operations, so a publication cut short leaves the directory part-way; the next one, comparing again, completes it.
extension NationalPKD {
    /// Where and as whom to publish or sync; the password is read from a file by the caller, never from argv.
    public struct DirectoryTarget: Sendable {
        public var url: String
        public var base: String
        public var bindDN: String?
        public var password: [UInt8]?

        public init(url: String, base: String = "dc=download,dc=pkd,dc=icao,dc=int", bindDN: String? = nil, password: [UInt8]? = nil) {
            self.url = url
            self.base = base
            self.bindDN = bindDN
            self.password = password
        }
    }

    /// Brings the directory in line with the store; `dryRun` (what `publish --verify` does) only reports the differences.
    public func publish(to target: DirectoryTarget, dryRun: Bool = false) throws -> PublicationReport {
        let image = try read { db in try PublicationImage.build(db, domain: domain, base: target.base) }
        let connection = try LDAPConnection(url: target.url, bindDN: target.bindDN, password: target.password)
        defer { connection.close() }

        var present: [String: LDAPEntry] = [:]
        var highest = 0
        try connection.search(base: DirectoryName.data(target.base)) { entry in
            present[DirectoryName.key(entry.dn)] = entry
            for value in entry.text("pkdVersion") { highest = max(highest, Int(value) ?? 0) }
        }
        let version = dryRun ? highest : highest + 1
        var report = PublicationReport(url: target.url, base: target.base, version: version, counts: image.counts, isComparison: dryRun)

        var additions: [LDAPEntry] = []
        var replacements: [(dn: String, attributes: [String: [[UInt8]]])] = []
        for (key, wanted) in image.entries {
            guard let held = present[key] else {
                additions.append(wanted)
                continue
            }
            let wantedContent = wanted.content
            let heldContent = held.content
            guard wantedContent != heldContent else { continue }
            // Replace what differs, remove what the image no longer has; the directory's own spelling of the DN is used.
            var changes: [String: [[UInt8]]] = [:]
            for (name, values) in wanted.attributes where wantedContent[LDAPEntry.baseName(name)] != heldContent[LDAPEntry.baseName(name)] {
                changes[name] = values
            }
            for (name, _) in held.attributes where LDAPEntry.baseName(name) != "pkdversion" && wantedContent[LDAPEntry.baseName(name)] == nil {
                changes[name] = []
            }
            replacements.append((held.dn, changes))
        }
        let removals = present.filter { image.entries[$0.key] == nil }.map(\.value.dn)

        report.added = additions.map(\.dn).sorted()
        report.modified = replacements.map(\.dn).sorted()
        report.removed = removals.sorted()
        guard !dryRun else { return report }

        let stamp = [Array(String(version).utf8)]
        // Children before their container goes, containers before their children come.
        for dn in removals.sorted(by: { DirectoryName.depth($0) > DirectoryName.depth($1) }) {
            try connection.delete(dn: dn)
        }
        for var entry in additions.sorted(by: { DirectoryName.depth($0.dn) < DirectoryName.depth($1.dn) }) {
            if entry.text("objectClass").contains("pkdDownload") { entry.attributes["pkdVersion"] = stamp }
            let code = try connection.add(entry, tolerating: LDAPConnection.contentRefusals)
            if code != 0 { report.refused.append("\(entry.dn): \(LDAPConnection.message(code))") }
        }
        for (dn, var changes) in replacements {
            if present[DirectoryName.key(dn)]?.text("objectClass").contains(where: { $0.lowercased() == "pkddownload" }) == true {
                changes["pkdVersion"] = stamp
            }
            let code = try connection.replace(dn: dn, changes, tolerating: LDAPConnection.contentRefusals)
            if code != 0 { report.refused.append("\(dn): \(LDAPConnection.message(code))") }
        }
        if !report.isInSync {
            try storeWrite { db in
                _ = try AuditTrail.append(db, domain: domain, action: "npkd.publish", subject: "\(target.url) \(target.base)",
                                      details: ["version": String(version), "added": String(additions.count),
                                                "modified": String(replacements.count), "removed": String(removals.count), "refused": String(report.refused.count)],
                                      now: clock.now())
            }
        }
        return report
    }

    /// Creates the base entry (a `domain` object) when the directory does not hold it yet: a fresh slapd has only
    /// its suffix configured. Called before the first publication; an existing base is left as it is.
    public func prepareDirectory(_ target: DirectoryTarget) throws {
        let connection = try LDAPConnection(url: target.url, bindDN: target.bindDN, password: target.password)
        defer { connection.close() }
        var exists = false
        try connection.search(base: target.base, scope: .base) { _ in exists = true }
        guard !exists else { return }
        let first = DirectoryName.split(target.base, at: ",").first ?? ""
        let parts = first.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].lowercased() == "dc" else {
            throw NPKDError(.badRequest, "the base '\(target.base)' is not in the directory and does not start with dc=: create it first")
        }
        try connection.add(LDAPEntry(dn: target.base, text: ["objectClass": ["top", "domain"], "dc": [DirectoryName.unescape(parts[1])]]),
                           tolerating: [LDAPConnection.alreadyExists])
    }

    func storeWrite<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try store.write(body)
        } catch let error as NPKDError {
            throw error
        } catch let error as StoreError {
            throw error
        } catch {
            throw NPKDError(.storeFailure, "writing the NPKD store failed: \(error)")
        }
    }
}
