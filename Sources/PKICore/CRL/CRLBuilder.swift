import Foundation
import SwiftASN1

/// Builds and signs a v2 CRL. Entries are written as they come from the sequence, so a caller can stream them
/// from its store.
public struct CRLBuilder {
    public var issuer: DistinguishedName
    public var thisUpdate: Date
    public var nextUpdate: Date
    public var extensions: Extensions

    /// A CRL carrying the two extensions Doc 9303-12 Table 10 makes mandatory: AKI (the issuer's SKI) and cRLNumber.
    public init(issuer: DistinguishedName, thisUpdate: Date, nextUpdate: Date, authorityKeyIdentifier: [UInt8], crlNumber: CRLNumber) throws {
        self.issuer = issuer
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        var extensions = Extensions()
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier), critical: false)
        try extensions.append(crlNumber, critical: false)
        self.extensions = extensions
    }

    public func sign<Entries: Sequence>(
        entries: Entries, with signer: some Signer, algorithm: SignatureAlgorithm? = nil
    ) throws -> CertificateRevocationList where Entries.Element == RevokedCertificate {
        let algorithm = algorithm ?? signer.defaultAlgorithm
        guard thisUpdate <= nextUpdate else {
            throw PKIError.invalid("CRL", "nextUpdate \(Time.iso8601(nextUpdate)) is before thisUpdate \(Time.iso8601(thisUpdate))")
        }
        let algorithmIdentifier = try algorithm.algorithmIdentifier
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)  // v2
            try coder.serialize(algorithmIdentifier)
            try coder.serialize(issuer)
            try coder.serialize(Time(thisUpdate))
            try coder.serialize(Time(nextUpdate))
            var iterator = entries.makeIterator()
            // revokedCertificates is absent, never empty, when nothing is revoked (Doc 9303-12 Table 9).
            if let first = iterator.next() {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(first)
                    while let entry = iterator.next() { try coder.serialize(entry) }
                }
            }
            if !extensions.isEmpty {
                try coder.serialize(extensions, explicitlyTaggedWithIdentifier: .init(tagWithNumber: 0, tagClass: .contextSpecific))
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try signer.sign(tbsBytes, algorithm: algorithm)
        var crl = DER.Serializer()
        try crl.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(tbsBytes)
            try coder.serialize(algorithmIdentifier)
            try coder.serialize(ASN1BitString(bytes: signature[...]))
        }
        return try CertificateRevocationList(bytes: crl.serializedBytes)
    }
}
