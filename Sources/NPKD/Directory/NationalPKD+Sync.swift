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
        var text = "version: 1\n"
        var entries = 0
        try connection.search(base: target.base, filter: Self.syncFilter, attributes: Self.syncAttributes, missingBaseIsEmpty: false) { entry in
            text += Self.ldif(entry)
            entries += 1
        }
        connection.close()
        guard entries > 0 else {
            throw NPKDError(.notFound, "no certificate, CRL or list under '\(target.base)' at \(target.url)")
        }
        let summary = try importBytes(Array(text.utf8), source: "\(target.url)/\(target.base)", options: options)
        return (summary, entries)
    }

    /// One entry as an LDIF content record: binary values base64 (`name:: `), text values as `LDIFWriter` writes them.
    static func ldif(_ entry: LDAPEntry) -> String {
        var record = "\n" + LDIFWriter.line("dn", entry.dn)
        for (name, values) in entry.attributes.sorted(by: { $0.key < $1.key }) {
            let binary = ["usercertificate", "cacertificate", "certificaterevocationlist", "authorityrevocationlist", "pkdmasterlistcontent",
                          "pkddeviationlistcontent"].contains(LDAPEntry.baseName(name))
            for value in values {
                record += binary ? LDIFWriter.fold("\(name):: \(Data(value).base64EncodedString())")
                                 : LDIFWriter.line(name, String(decoding: value, as: UTF8.self))
            }
        }
        return record
    }
}
