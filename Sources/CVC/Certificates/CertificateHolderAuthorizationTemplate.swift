import SwiftASN1

/// The Certificate Holder Authorization Template (TR-03110-3 C.1.5; TR-03110-4 §2.1.3.2 and §2.2.3).
///
/// ```
/// 7F4C CHAT
///   06 terminal type     id-roles 0.4.0.127.0.7.3.1.2 . 1 id-IS | 2 id-AT | 3 id-ST
///   53 discretionary     relative authorization, most significant byte first:
///                        b7 b6 of the first byte = role  11 CVCA, 10 DV (official domestic), 01 DV (non-official/foreign), 00 terminal
///                        id-IS (one byte):  b1 read DG4 (iris), b0 read DG3 (fingerprint), b5..b2 RFU
///                        id-AT (five bytes), id-ST (one byte): access rights per TR-03110-4
/// ```
/// The effective authorization of a terminal is the bitwise AND of the CVCA's, the DV's and its own template
/// (TR-03110-3 §2.7): the role bits combine the same way (CVCA 11 & DV 10 & IS 00 = terminal).
public struct CertificateHolderAuthorizationTemplate: Hashable, Sendable, CustomStringConvertible {
    public enum TerminalType: Hashable, Sendable, CustomStringConvertible {
        /// id-IS: inspection systems reading ePassports (EAC1).
        case inspectionSystem
        /// id-AT: authentication terminals (eID).
        case authenticationTerminal
        /// id-ST: signature terminals (eSign).
        case signatureTerminal
        case other(ASN1ObjectIdentifier)

        public var oid: ASN1ObjectIdentifier {
            switch self {
            case .inspectionSystem: [0, 4, 0, 127, 0, 7, 3, 1, 2, 1]
            case .authenticationTerminal: [0, 4, 0, 127, 0, 7, 3, 1, 2, 2]
            case .signatureTerminal: [0, 4, 0, 127, 0, 7, 3, 1, 2, 3]
            case .other(let oid): oid
            }
        }

        public init(oid: ASN1ObjectIdentifier) {
            self = [Self.inspectionSystem, .authenticationTerminal, .signatureTerminal].first(where: { $0.oid == oid }) ?? .other(oid)
        }

        public var description: String {
            switch self {
            case .inspectionSystem: "id-IS"
            case .authenticationTerminal: "id-AT"
            case .signatureTerminal: "id-ST"
            case .other(let oid): "\(oid)"
            }
        }

        /// Length of the relative authorization the standard defines for this type, nil for unknown types.
        public var authorizationLength: Int? {
            switch self {
            case .inspectionSystem, .signatureTerminal: 1
            case .authenticationTerminal: 5
            case .other: nil
            }
        }
    }

    /// The two role bits.
    public enum Role: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        case cvca = 0b11
        /// An official domestic Document Verifier.
        case domesticDV = 0b10
        /// A foreign (or, for id-AT, non-official) Document Verifier.
        case foreignDV = 0b01
        /// An inspection system or other terminal.
        case terminal = 0b00

        public var description: String {
            switch self {
            case .cvca: "CVCA"
            case .domesticDV: "DV (domestic)"
            case .foreignDV: "DV (foreign)"
            case .terminal: "terminal"
            }
        }

        public var isDocumentVerifier: Bool { self == .domesticDV || self == .foreignDV }
    }

    /// The data-group rights of an inspection system (id-IS), TR-03110-4 Table 2.
    public struct InspectionSystemRights: OptionSet, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Read DG3 (fingerprints).
        public static let readDG3 = InspectionSystemRights(rawValue: 0x01)
        /// Read DG4 (iris images).
        public static let readDG4 = InspectionSystemRights(rawValue: 0x02)

        public var description: String {
            var names: [String] = []
            if contains(.readDG3) { names.append("read DG3") }
            if contains(.readDG4) { names.append("read DG4") }
            return names.isEmpty ? "no data groups" : names.joined(separator: ", ")
        }
    }

    public var terminalType: TerminalType
    /// The discretionary data (53): role and access rights, most significant byte first.
    public var relativeAuthorization: [UInt8]

    public init(terminalType: TerminalType, relativeAuthorization: [UInt8]) throws {
        guard !relativeAuthorization.isEmpty else {
            throw CVCError(.invalidValue, "a CHAT needs at least one byte of relative authorization")
        }
        if let length = terminalType.authorizationLength, relativeAuthorization.count != length {
            throw CVCError(.invalidValue, "a \(terminalType) CHAT holds \(length) byte(s) of authorization, not \(relativeAuthorization.count)")
        }
        self.terminalType = terminalType
        self.relativeAuthorization = relativeAuthorization
    }

    /// An id-IS template for a role and data-group rights: `C3` CVCA, `83` domestic DV, `43` foreign DV, `03` IS
    /// with DG3 and DG4.
    public static func inspectionSystem(role: Role, rights: InspectionSystemRights) -> CertificateHolderAuthorizationTemplate {
        CertificateHolderAuthorizationTemplate(
            unchecked: .inspectionSystem, [role.rawValue << 6 | (rights.rawValue & 0x03)])
    }

    private init(unchecked type: TerminalType, _ authorization: [UInt8]) {
        self.terminalType = type
        self.relativeAuthorization = authorization
    }

    /// Reads a 7F4C object. The OID and a non-empty 53 are required; the authorization length is checked against
    /// the terminal type in validation, not here, so that odd certificates can still be shown.
    init(_ object: TLVObject, context: String) throws {
        let where_ = "\(context), CHAT at offset \(object.offset)"
        var reader = try object.children(where_)
        let oid = try reader.expect(.objectIdentifier).objectIdentifier(where_)
        let data = try reader.expect(.discretionaryData)
        try reader.expectEnd()
        guard !data.value.isEmpty else {
            throw CVCError(.invalidValue, "\(where_): the discretionary data at offset \(data.offset) is empty", offset: data.offset)
        }
        self.init(unchecked: TerminalType(oid: oid), Array(data.value))
    }

    func write(into writer: inout TLVWriter) throws {
        try writer.appendConstructed(.certificateHolderAuthorizationTemplate) { writer in
            try writer.append(terminalType.oid)
            try writer.append(.discretionaryData, relativeAuthorization)
        }
    }

    /// The 7F4C data object.
    public var encoded: [UInt8] {
        get throws {
            var writer = TLVWriter()
            try write(into: &writer)
            return writer.bytes
        }
    }

    /// The role in the two top bits of the first byte.
    public var role: Role {
        Role(rawValue: (relativeAuthorization.first ?? 0) >> 6) ?? .terminal
    }

    /// The data-group rights, for an id-IS template; nil for other terminal types.
    public var inspectionSystemRights: InspectionSystemRights? {
        guard terminalType == .inspectionSystem, relativeAuthorization.count == 1 else { return nil }
        return InspectionSystemRights(rawValue: relativeAuthorization[0] & 0x03)
    }

    /// Whether the authorization length is the one the terminal type defines (unknown types pass).
    public var hasValidLength: Bool {
        terminalType.authorizationLength.map { $0 == relativeAuthorization.count } ?? true
    }

    /// The bitwise AND with another template of the same terminal type (TR-03110-3 §2.7); nil when the types or
    /// lengths differ, which makes a chain unusable.
    public func intersection(_ other: CertificateHolderAuthorizationTemplate) -> CertificateHolderAuthorizationTemplate? {
        guard terminalType == other.terminalType, relativeAuthorization.count == other.relativeAuthorization.count else {
            return nil
        }
        return CertificateHolderAuthorizationTemplate(
            unchecked: terminalType, zip(relativeAuthorization, other.relativeAuthorization).map { $0 & $1 })
    }

    /// Whether every right granted here is also granted by `other` (role bits aside), i.e. `other` may delegate it.
    public func isSubset(of other: CertificateHolderAuthorizationTemplate) -> Bool {
        guard terminalType == other.terminalType, relativeAuthorization.count == other.relativeAuthorization.count else {
            return false
        }
        return zip(relativeAuthorization.enumerated(), other.relativeAuthorization).allSatisfy { item, theirs in
            let mask: UInt8 = item.offset == 0 ? 0x3F : 0xFF
            return item.element & mask & ~theirs == 0
        }
    }

    /// The same template with another role and the rights left as they are.
    public func with(role newRole: Role) -> CertificateHolderAuthorizationTemplate {
        // The initializers never leave the authorization empty, but the property can be set by hand.
        guard !relativeAuthorization.isEmpty else { return self }
        var copy = self
        copy.relativeAuthorization[0] = (relativeAuthorization[0] & 0x3F) | newRole.rawValue << 6
        return copy
    }

    /// Hex of the authorization: `C3`, `801FFFFF10`.
    public var authorizationHex: String {
        relativeAuthorization.map { CVTag.hex(UInt32($0)) }.joined()
    }

    /// `id-IS C3 (CVCA; read DG3, read DG4)`.
    public var description: String {
        var text = "\(terminalType) \(authorizationHex) (\(role)"
        if let rights = inspectionSystemRights { text += "; \(rights)" }
        return text + ")"
    }
}
