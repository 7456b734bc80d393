import PKICore
import SwiftASN1

/// The hashes of a document's data groups, the content EF.SOD signs (Doc 9303-10 §4.6.2.2, OID 2.23.136.1.1.1).
///
/// ```
/// LDSSecurityObject ::= SEQUENCE {
///     version              LDSSecurityObjectVersion,           -- v0(0), v1(1); v1 iff ldsVersionInfo present
///     hashAlgorithm        DigestAlgorithmIdentifier,
///     dataGroupHashValues  SEQUENCE SIZE (2..ub-DataGroups) OF DataGroupHash,   -- ub-DataGroups = 16
///     ldsVersionInfo       LDSVersionInfo OPTIONAL }            -- LDS 1.8 onwards
/// ```
/// Reading is lenient (the digest identifier with or without NULL, hashes in any order, a v0/v1 mismatch);
/// `findings` names what departs from the definition. Building is strict.
public struct LDSSecurityObject: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// The hash functions epki writes security objects with.
    public static let signingHashes: [HashAlgorithm] = [.sha256, .sha384, .sha512]

    public var version: Int
    public var hashAlgorithm: AlgorithmIdentifier
    public var dataGroupHashValues: [DataGroupHash]
    public var ldsVersionInfo: LDSVersionInfo?

    public init(version: Int, hashAlgorithm: AlgorithmIdentifier, dataGroupHashValues: [DataGroupHash], ldsVersionInfo: LDSVersionInfo?) {
        self.version = version
        self.hashAlgorithm = hashAlgorithm
        self.dataGroupHashValues = dataGroupHashValues
        self.ldsVersionInfo = ldsVersionInfo
    }

    /// Hashes the data groups (the files exactly as they will be stored on the chip) in data-group order.
    /// v1 with `ldsVersionInfo`, v0 without.
    public init(hash: HashAlgorithm, dataGroups: [Int: [UInt8]], ldsVersionInfo: LDSVersionInfo? = nil) throws {
        for number in dataGroups.keys.sorted() {
            // Numbers outside 1…16 are reported by the init below, with the other checks.
            guard let dataGroup = DataGroupNumber(number), let bytes = dataGroups[number] else { continue }
            guard bytes.first.map({ UInt32($0) == dataGroup.tag }) ?? false else {
                throw LDSError.invalid("LDSSecurityObject", "\(dataGroup) does not start with its tag \(BERTLV.tagHex(dataGroup.tag))")
            }
        }
        try self.init(hash: hash, dataGroupHashes: dataGroups.mapValues { try hash.hash($0) }, ldsVersionInfo: ldsVersionInfo)
    }

    /// From hashes computed elsewhere: a personalization line hashes each data group while it writes it to the
    /// chip, so the file is read once. Each hash must have the length of `hash`'s output.
    public init(hash: HashAlgorithm, dataGroupHashes: [Int: [UInt8]], ldsVersionInfo: LDSVersionInfo? = nil) throws {
        guard Self.signingHashes.contains(hash) else {
            throw LDSError(.unsupported, "LDSSecurityObject: \(hash) is not used for new security objects; use SHA-256, SHA-384 or SHA-512")
        }
        guard dataGroupHashes.count >= 2 else {
            throw LDSError.invalid("LDSSecurityObject", "\(dataGroupHashes.count) data group(s); at least two are required (DG1 and DG2 are mandatory)")
        }
        var hashes: [DataGroupHash] = []
        for number in dataGroupHashes.keys.sorted() {
            guard let dataGroup = DataGroupNumber(number) else {
                throw LDSError.invalid("LDSSecurityObject", "data group number \(number) is outside 1…16")
            }
            let value = dataGroupHashes[number] ?? []
            guard value.count == hash.digestLength else {
                throw LDSError.invalid("LDSSecurityObject", "the \(dataGroup) hash has \(value.count) bytes; \(hash) gives \(hash.digestLength)")
            }
            hashes.append(DataGroupHash(dataGroupNumber: number, hashValue: value))
        }
        self.init(version: ldsVersionInfo == nil ? 0 : 1, hashAlgorithm: AlgorithmIdentifier(algorithm: hash.oid),
                  dataGroupHashValues: hashes, ldsVersionInfo: ldsVersionInfo)
    }

    /// The hash function, nil when the identifier names none epki knows.
    public var hash: HashAlgorithm? { HashAlgorithm(oid: hashAlgorithm.algorithm) }

    public func hashValue(for dataGroup: Int) -> [UInt8]? {
        dataGroupHashValues.first { $0.dataGroupNumber == dataGroup }?.hashValue
    }

    /// Data group numbers in the order listed.
    public var dataGroupNumbers: [Int] { dataGroupHashValues.map(\.dataGroupNumber) }

    /// What departs from Doc 9303-10 without making the object unreadable.
    public var findings: [String] {
        var found: [String] = []
        if version != 0 && version != 1 { found.append("version \(version) is neither v0 nor v1") }
        if version == 1 && ldsVersionInfo == nil { found.append("v1 without LDSVersionInfo") }
        if version == 0 && ldsVersionInfo != nil { found.append("v0 with LDSVersionInfo (v1 is required when it is present)") }
        let hash = self.hash
        if hash == nil { found.append("hash algorithm \(hashAlgorithm.algorithm.displayName) is not supported") }
        if !hashAlgorithm.hasNullOrAbsentParameters { found.append("hash algorithm parameters other than NULL or absent") }
        if !(2...16).contains(dataGroupHashValues.count) {
            found.append("\(dataGroupHashValues.count) data group hashes; 2 to 16 are allowed")
        }
        var seen: UInt64 = 0  // numbers 0…63, the rest in a set (an empty set allocates nothing)
        var seenOthers = Set<Int>()
        for entry in dataGroupHashValues {
            let number = entry.dataGroupNumber
            if DataGroupNumber(number) == nil { found.append("data group number \(number) is outside 1…16") }
            let twice: Bool
            if (0..<64).contains(number) {
                twice = seen & (1 << number) != 0
                seen |= 1 << number
            } else {
                twice = !seenOthers.insert(number).inserted
            }
            if twice { found.append("DG\(entry.dataGroupNumber) is listed twice") }
            if let hash, entry.hashValue.count != hash.digestLength {
                found.append("DG\(entry.dataGroupNumber) hash has \(entry.hashValue.count) bytes, \(hash) gives \(hash.digestLength)")
            }
        }
        if let info = ldsVersionInfo {
            if info.ldsVersion.count != 4 || !info.ldsVersion.allSatisfy(\.isNumber) { found.append("ldsVersion '\(info.ldsVersion)' is not aabb") }
            if info.unicodeVersion.count != 6 || !info.unicodeVersion.allSatisfy(\.isNumber) {
                found.append("unicodeVersion '\(info.unicodeVersion)' is not aabbcc")
            }
        }
        return found
    }

    /// Reads the DER (or BER) of the encapsulated content, as it lies in the SignedData.
    public init(bytes: ArraySlice<UInt8>) throws {
        if let read = Self.readDefiniteLength(bytes) {
            self = read
            return
        }
        self = try LDSError.decoding("LDSSecurityObject") { try LDSSecurityObject(berEncoded: BER.parse(bytes)) }
    }

    /// Reads the DER (or BER) of the encapsulated content.
    public init(bytes: some Collection<UInt8>) throws {
        let bytes = Array(bytes)
        if let read = Self.readDefiniteLength(bytes[...]) {
            self = read
            return
        }
        self = try LDSError.decoding("LDSSecurityObject") { try LDSSecurityObject(berEncoded: BER.parse(bytes)) }
    }

    /// The common layout read field by field, without a node tree: every passport's SOD carries one. Nil for
    /// anything else (BER, LDSVersionInfo, odd values), which the general reader takes, errors included.
    static func readDefiniteLength(_ bytes: ArraySlice<UInt8>) -> LDSSecurityObject? {
        do {
            var outer = TLVReader(bytes, what: "LDSSecurityObject")
            guard let sequence = try outer.next(), sequence.firstOctet == 0x30, outer.isAtEnd else { return nil }
            var fields = TLVReader(sequence.content, what: "LDSSecurityObject")
            let version = try fields.expect(0x02, "version")
            guard version.content.count == 1, let versionOctet = version.content.first, versionOctet == 0 else { return nil }
            let algorithm = try AlgorithmIdentifier.cached(encoded: try fields.expect(0x30, "hashAlgorithm").encoded)
            var entries = TLVReader(try fields.expect(0x30, "dataGroupHashValues").content, what: "LDSSecurityObject")
            guard fields.isAtEnd else { return nil }  // LDSVersionInfo (v1) goes the general way
            var hashes: [DataGroupHash] = []
            while let entry = try entries.next() {
                guard entry.firstOctet == 0x30 else { return nil }
                var parts = TLVReader(entry.content, what: "DataGroupHash")
                let number = try parts.expect(0x02, "dataGroupNumber")
                let value = try parts.expect(0x04, "dataGroupHashValue")
                guard parts.isAtEnd, number.content.count == 1, let numberOctet = number.content.first, numberOctet < 0x80 else { return nil }
                hashes.append(DataGroupHash(dataGroupNumber: Int(numberOctet), hashValue: Array(value.content)))
            }
            return LDSSecurityObject(version: 0, hashAlgorithm: algorithm, dataGroupHashValues: hashes, ldsVersionInfo: nil)
        } catch {
            return nil
        }
    }

    public func encode() throws -> [UInt8] {
        // v0 with data group numbers below 128, as every SOD signed here has, is written directly: one per passport.
        if ldsVersionInfo == nil, version == 0, dataGroupHashValues.allSatisfy({ (0..<0x80).contains($0.dataGroupNumber) }) {
            let algorithm = try hashAlgorithm.derEncoding
            // DataGroupHash ::= SEQUENCE { INTEGER (one octet), OCTET STRING }
            func entryLength(_ entry: DataGroupHash) -> Int { 3 + DERLength.headerLength(entry.hashValue.count) + entry.hashValue.count }
            let hashesLength = dataGroupHashValues.reduce(0) { $0 + DERLength.headerLength(entryLength($1)) + entryLength($1) }
            let bodyLength = 3 + algorithm.count + DERLength.headerLength(hashesLength) + hashesLength
            var out: [UInt8] = []
            out.reserveCapacity(DERLength.headerLength(bodyLength) + bodyLength)
            out.append(0x30)
            DERLength.append(bodyLength, to: &out)
            out += [0x02, 0x01, 0x00]
            out += algorithm
            out.append(0x30)
            DERLength.append(hashesLength, to: &out)
            for entry in dataGroupHashValues {
                out.append(0x30)
                DERLength.append(entryLength(entry), to: &out)
                out += [0x02, 0x01, UInt8(entry.dataGroupNumber), 0x04]
                DERLength.append(entry.hashValue.count, to: &out)
                out += entry.hashValue
            }
            return out
        }
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return serializer.serializedBytes
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let version = try Int(berEncoded: &nodes)
            let algorithm = try AlgorithmIdentifier(berEncoded: &nodes)
            let hashes = try BER.sequence(of: DataGroupHash.self, identifier: .sequence, nodes: &nodes)
            let info = try nodes.next().map { try LDSVersionInfo(berEncoded: $0) }
            return LDSSecurityObject(version: version, hashAlgorithm: algorithm, dataGroupHashValues: hashes, ldsVersionInfo: info)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(version)
            try coder.serialize(hashAlgorithm)
            try coder.serializeSequenceOf(dataGroupHashValues)
            if let ldsVersionInfo { try coder.serialize(ldsVersionInfo) }
        }
    }
}
