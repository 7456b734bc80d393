import Foundation
import PKICore

/// What passive authentication reads from one DS certificate and writes into its report: its names, key usage,
/// validity, private key usage period and Document Type List.
///
/// A DS signs tens of thousands of documents, and every SOD a border lane reads embeds the same certificate;
/// decoding those extensions and printing those names again for each passport cost more than the checks. A
/// `PassiveAuthentication` with a chain cache keeps these facts per certificate (a class: shared, not copied, by
/// every verification of the DS). Only what depends on the document (its signing time, its DG1) is worked out
/// per SOD.
final class DocumentSignerFacts: Sendable {
    enum UsagePeriod: Sendable {
        case absent
        case unreadable
        /// Open ends are nil; `text` is "start – end" with "open" for those.
        case period(notBefore: Date?, notAfter: Date?, text: String)
    }

    enum DocumentTypes: Sendable {
        case absent
        case unreadable
        case list(DocumentTypeList, text: String)
    }

    /// The DS public key, decoded (nil when OpenSSL cannot read it; the CMS check then says why).
    let key: PublicKey?
    /// "subject, serial N, issuer I".
    let summary: String
    let keyUsage: VerificationReport.Check
    let notBefore: Date
    let notAfter: Date
    let notBeforeText: String
    let notAfterText: String
    let usagePeriod: UsagePeriod
    let documentTypes: DocumentTypes

    init(_ ds: Certificate) {
        key = try? ds.publicKey
        summary = "\(ds.subject), serial \(ds.serialNumberHex), issuer \(ds.issuer)"

        if ds.extensions[KeyUsage.oid] == nil {
            keyUsage = .init(PassiveAuthentication.Check.dsKeyUsage, .warning, "no KeyUsage extension (Doc 9303-12 requires digitalSignature, critical)")
        } else if let usage = ds.keyUsage {
            let signs = usage.contains(.digitalSignature)
            keyUsage = .init(PassiveAuthentication.Check.dsKeyUsage, signs ? .passed : .failed,
                             signs ? "digitalSignature" : "digitalSignature is not set (\(usage))")
        } else {
            keyUsage = .init(PassiveAuthentication.Check.dsKeyUsage, .failed, "the KeyUsage extension cannot be read")
        }

        notBefore = ds.notBefore
        notAfter = ds.notAfter
        notBeforeText = Time.iso8601(ds.notBefore)
        notAfterText = Time.iso8601(ds.notAfter)

        if ds.extensions[PrivateKeyUsagePeriod.oid] == nil {
            usagePeriod = .absent
        } else if let period = ds.privateKeyUsagePeriod {
            let start = period.notBeforeDate
            let end = period.notAfterDate
            usagePeriod = .period(notBefore: start, notAfter: end,
                                  text: "\(start.map(Time.iso8601) ?? "open") – \(end.map(Time.iso8601) ?? "open")")
        } else {
            usagePeriod = .unreadable
        }

        if ds.extensions[DocumentTypeList.oid] == nil {
            documentTypes = .absent
        } else if let list = ds.documentTypeList {
            documentTypes = .list(list, text: list.documentTypes.joined(separator: ", "))
        } else {
            documentTypes = .unreadable
        }
    }
}
