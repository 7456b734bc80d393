import Foundation
import SwiftASN1

/// One entry of a CRL (RFC 5280 §5.1).
///
/// ```
/// revokedCertificates SEQUENCE OF SEQUENCE {
///     userCertificate     CertificateSerialNumber,
///     revocationDate      Time,
///     crlEntryExtensions  Extensions OPTIONAL }
/// ```
/// Doc 9303-12 Table 10 forbids reasonCode, holdInstructionCode, invalidityDate and certificateIssuer entry
/// extensions; they are still read, so the linter can report them.
public struct RevokedCertificate: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var serialNumber: ArraySlice<UInt8>
    public var revocationDate: Time
    public var extensions: Extensions?

    public init(serialNumber: ArraySlice<UInt8>, revocationDate: Time, extensions: Extensions? = nil) {
        self.serialNumber = serialNumber
        self.revocationDate = revocationDate
        self.extensions = extensions
    }

    public init(serialNumber: [UInt8], revocationDate: Date) throws {
        self.init(serialNumber: serialNumber[...], revocationDate: try Time(revocationDate))
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            RevokedCertificate(
                serialNumber: try RawInteger.decode(&nodes),
                revocationDate: try Time(berEncoded: &nodes),
                extensions: try nodes.next().map { try Extensions(berEncoded: $0) })
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            RawInteger.encode(serialNumber, into: &coder)
            try coder.serialize(revocationDate)
            if let extensions, !extensions.isEmpty { try coder.serialize(extensions) }
        }
    }
}
