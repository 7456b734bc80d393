import SwiftASN1

/// INTEGER fields kept as their content octets, two's complement, exactly as encoded.
///
/// swift-asn1 reads `ArraySlice<UInt8>` as an unsigned magnitude and refuses a set top bit; real certificates
/// carry negative serial numbers (the ICAO master list has some), and re-encoding must give back the same bytes.
enum RawInteger {
    static func decode(_ node: ASN1Node, identifier: ASN1Identifier = .integer) throws -> ArraySlice<UInt8> {
        guard node.identifier == identifier else { throw ASN1Error.unexpectedFieldType(node.identifier) }
        guard case .primitive(let bytes) = node.content, !bytes.isEmpty else {
            throw ASN1Error.invalidASN1IntegerEncoding(reason: "INTEGER must be primitive with at least one content octet")
        }
        return bytes
    }

    static func decode(_ nodes: inout ASN1NodeCollection.Iterator, identifier: ASN1Identifier = .integer) throws -> ArraySlice<UInt8> {
        guard let node = nodes.next() else { throw ASN1Error.truncatedASN1Field() }
        return try decode(node, identifier: identifier)
    }

    static func encode(_ bytes: some Collection<UInt8>, into coder: inout DER.Serializer, identifier: ASN1Identifier = .integer) {
        coder.appendPrimitiveNode(identifier: identifier) { $0.append(contentsOf: bytes) }
    }
}
