import Foundation
import PKICore

/// Synchronisation from an upstream directory in the ICAO PKD layout (the ICAO PKD itself, or another national PKD's
/// publication): every entry under the base that carries a certificate, CRL, master list or deviation list is read
/// (paged) and handed to the LDIF import as one ICAO-shaped LDIF text, so the same checks, the same one-transaction
/// import and the same audit entry apply as to a downloaded file. What the store already holds is merged, not added
/// again: a second sync of an unchanged directory adds nothing.
extension NationalPKD {
    /// The attributes that carry PKD objects (as `PKDDirectoryEntry` reads them), and the ones kept beside them.
    public static let syncAttributes = [
        "userCertificate;binary", "cACertificate;binary", "certificateRevocationList;binary", "authorityRevocationList;binary",
        "pkdMasterListContent", "pkdDeviationListContent", "pkdVersion", "pkdConformanceCode", "pkdConformanceText",
        "pkdConformancePolicy", "objectClass", "cn", "sn",
    ]
    public static let syncFilter = "(|(userCertificate=*)(cACertificate=*)(certificateRevocationList=*)(authorityRevocationList=*)"
        + "(pkdMasterListContent=*)(pkdDeviationListContent=*))"

    /// Reads the directory under `target.base` and imports what it holds; returns the import's summary and the number
    /// of entries read.
    public func sync(from target: DirectoryTarget, options: ImportOptions = ImportOptions()) throws -> (summary: ImportSummary, entries: Int) {
        let connection = try LDAPConnection(url: target.url, bindDN: target.bindDN, password: target.password)
        defer { connection.close() }
        // The LDIF is written as bytes, not a String: 30,000 certificates make 50 MB of it, built once and read once.
        var ldif: [UInt8] = Array("version: 1\n".utf8)
        var entries = 0
        try connection.search(base: target.base, filter: Self.syncFilter, attributes: Self.syncAttributes, missingBaseIsEmpty: false) { entry in
            if entries == 0 { ldif.reserveCapacity(1 << 20) }
            Self.appendLDIF(entry, to: &ldif)
            entries += 1
        }
        connection.close()
        guard entries > 0 else {
            throw NPKDError(.notFound, "no certificate, CRL or list under '\(target.base)' at \(target.url)")
        }
        let summary = try importBytes(ldif, source: "\(target.url)/\(target.base)", options: options)
        return (summary, entries)
    }

    static let binaryAttributes: Set<String> = ["usercertificate", "cacertificate", "certificaterevocationlist", "authorityrevocationlist",
                                                "pkdmasterlistcontent", "pkddeviationlistcontent"]

    /// One entry as an LDIF content record: binary values base64 (`name:: `, folded at 76 columns), text values as
    /// `LDIFWriter` writes them.
    static func appendLDIF(_ entry: LDAPEntry, to ldif: inout [UInt8]) {
        ldif.append(0x0A)
        ldif.append(contentsOf: LDIFWriter.line("dn", entry.dn).utf8)
        for (name, values) in entry.attributes.sorted(by: { $0.key < $1.key }) {
            let binary = binaryAttributes.contains(LDAPEntry.baseName(name))
            for value in values {
                if binary {
                    appendFolded(Array("\(name):: ".utf8), Data(value).base64EncodedData(), to: &ldif)
                } else {
                    ldif.append(contentsOf: LDIFWriter.line(name, String(decoding: value, as: UTF8.self)).utf8)
                }
            }
        }
    }

    /// `prefix` + `body` as one logical line, folded as RFC 2849 §2 allows: 76 octets, then continuation lines of a
    /// space and 75 octets.
    static func appendFolded(_ prefix: [UInt8], _ body: Data, to ldif: inout [UInt8]) {
        var column = prefix.count
        ldif.append(contentsOf: prefix)
        for byte in body {
            if column == 76 {
                ldif.append(0x0A)
                ldif.append(0x20)
                column = 1
            }
            ldif.append(byte)
            column += 1
        }
        ldif.append(0x0A)
    }
}
