import ChipAccess
import Foundation
import LDS
import PKICore
import SwiftASN1

/// What a domain's chips carry: which access protocols, which keys, which data groups and how large, and how the
/// security object is signed. Kept per domain in the store; every document of the domain is made to it.
///
/// ```
/// {
///   "pace": { "mapping": "GM" | "IM" | "CAM" | "DH-GM" | "DH-IM", "parameterId": 13, "cipher": "aes128" },  nil: BAC only
///            cipher aes128 | aes192 | aes256 | 3des (not with CAM; chipAuthentication keeps to AES)
///            parameterId a curve (10–18) for GM, IM and CAM, a DH group (0–2, RFC 5114) for DH-GM and DH-IM
///   "chipAuthentication": { "parameterId": 13, "cipher": "aes128" },                         DG14 (and CAM's key)
///   "activeAuthentication": { "key": "ec:brainpoolP256r1" | "rsa:2048", "hash": "sha256" },  DG15
///   "terminalAuthentication": true,            EF.CVCA, trust points and the chip date; DG3 needs it
///   "dataGroups": [1, 2, 3, 11, 12, 14, 15],   the groups the domain writes when the order has their data
///   "ldsVersion": "0107", "unicodeVersion": "040000", "hash": "sha256", "signatureAlgorithm": null,
///   "maximumFileSize": { "2": 40000, "3": 60000 },                                         bytes per data group
///   "writeChunk": 223                          bytes per UPDATE BINARY
/// }
/// ```
/// BAC is always available: every eMRTD must still answer it (Doc 9303-11 §4.3); PACE comes on top.
public struct ChipProfile: Codable, Sendable, Hashable {
    public struct PACE: Codable, Sendable, Hashable {
        /// GM (generic), IM (integrated) or CAM (chip authentication mapping) over elliptic curves; DH-GM or DH-IM over
        /// the standardized DH groups.
        public var mapping: String
        /// The standardized domain parameters (9303-11 Table 6): 12 P-256, 13 brainpoolP256r1, …; 0–2 for the DH mappings.
        public var parameterId: Int
        public var cipher: String

        public init(mapping: String = "GM", parameterId: Int = 13, cipher: String = "aes128") {
            self.mapping = mapping
            self.parameterId = parameterId
            self.cipher = cipher
        }
    }

    public struct ChipAuthentication: Codable, Sendable, Hashable {
        public var parameterId: Int
        public var cipher: String

        public init(parameterId: Int = 13, cipher: String = "aes128") {
            self.parameterId = parameterId
            self.cipher = cipher
        }
    }

    public struct ActiveAuthentication: Codable, Sendable, Hashable {
        /// ec:CURVE or rsa:BITS, as `epki key generate` names keys.
        public var key: String
        /// The ECDSA hash (TR-03111 plain signatures); RSA keys sign ISO 9796-2 with SHA-256 regardless.
        public var hash: String

        public init(key: String = "ec:brainpoolP256r1", hash: String = "sha256") {
            self.key = key
            self.hash = hash
        }
    }

    public var pace: PACE?
    public var chipAuthentication: ChipAuthentication?
    public var activeAuthentication: ActiveAuthentication?
    public var terminalAuthentication: Bool
    public var dataGroups: [Int]
    public var ldsVersion: String
    public var unicodeVersion: String
    public var hash: String
    public var signatureAlgorithm: String?
    public var maximumFileSize: [String: Int]
    public var writeChunk: Int

    /// The default: what a current EU passport carries (PACE-GM and BAC, CA and AA on brainpoolP256r1, EAC).
    public init(pace: PACE? = PACE(), chipAuthentication: ChipAuthentication? = ChipAuthentication(),
                activeAuthentication: ActiveAuthentication? = ActiveAuthentication(), terminalAuthentication: Bool = true,
                dataGroups: [Int] = [1, 2, 3, 11, 12, 14, 15], ldsVersion: String = "0107", unicodeVersion: String = "040000",
                hash: String = "sha256", signatureAlgorithm: String? = nil,
                maximumFileSize: [String: Int] = ["2": 64_000, "3": 96_000, "11": 4_000, "12": 16_000], writeChunk: Int = 223) {
        self.pace = pace
        self.chipAuthentication = chipAuthentication
        self.activeAuthentication = activeAuthentication
        self.terminalAuthentication = terminalAuthentication
        self.dataGroups = dataGroups
        self.ldsVersion = ldsVersion
        self.unicodeVersion = unicodeVersion
        self.hash = hash
        self.signatureAlgorithm = signatureAlgorithm
        self.maximumFileSize = maximumFileSize
        self.writeChunk = writeChunk
    }

    enum CodingKeys: String, CodingKey {
        case pace, chipAuthentication, activeAuthentication, terminalAuthentication, dataGroups, ldsVersion, unicodeVersion, hash
        case signatureAlgorithm, maximumFileSize, writeChunk
    }

    /// Missing keys take the defaults, so a profile file names only what it changes.
    public init(from decoder: any Decoder) throws {
        let defaults = ChipProfile()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pace = container.contains(.pace) ? try container.decodeIfPresent(PACE.self, forKey: .pace) : defaults.pace
        chipAuthentication = container.contains(.chipAuthentication)
            ? try container.decodeIfPresent(ChipAuthentication.self, forKey: .chipAuthentication) : defaults.chipAuthentication
        activeAuthentication = container.contains(.activeAuthentication)
            ? try container.decodeIfPresent(ActiveAuthentication.self, forKey: .activeAuthentication) : defaults.activeAuthentication
        terminalAuthentication = try container.decodeIfPresent(Bool.self, forKey: .terminalAuthentication) ?? defaults.terminalAuthentication
        dataGroups = try container.decodeIfPresent([Int].self, forKey: .dataGroups) ?? defaults.dataGroups
        ldsVersion = try container.decodeIfPresent(String.self, forKey: .ldsVersion) ?? defaults.ldsVersion
        unicodeVersion = try container.decodeIfPresent(String.self, forKey: .unicodeVersion) ?? defaults.unicodeVersion
        hash = try container.decodeIfPresent(String.self, forKey: .hash) ?? defaults.hash
        signatureAlgorithm = try container.decodeIfPresent(String.self, forKey: .signatureAlgorithm)
        maximumFileSize = try container.decodeIfPresent([String: Int].self, forKey: .maximumFileSize) ?? defaults.maximumFileSize
        writeChunk = try container.decodeIfPresent(Int.self, forKey: .writeChunk) ?? defaults.writeChunk
    }

    /// The last arc of a PACE or CA protocol identifier. 3DES (1) only where `tripleDES` allows it: PACE takes it, the
    /// profile's Chip Authentication keeps to AES.
    static func cipherSuffix(_ name: String, field: String, tripleDES: Bool = false) throws -> UInt {
        switch name.lowercased() {
        case "3des" where tripleDES: return 1
        case "aes128", "aes-128": return 2
        case "aes192", "aes-192": return 3
        case "aes256", "aes-256": return 4
        default: throw PersonalizationError(.invalidProfile, "\(field): cipher '\(name)' is not \(tripleDES ? "3des, " : "")aes128, aes192 or aes256")
        }
    }

    /// The PACEInfo the chip's EF.CardAccess announces.
    public func paceInfo() throws -> PACEInfo? {
        guard let pace else { return nil }
        let mapping: UInt
        switch pace.mapping.uppercased() {
        case "GM": mapping = 2
        case "IM": mapping = 4
        case "CAM": mapping = 6
        case "DH-GM": mapping = 1
        case "DH-IM": mapping = 3
        default: throw PersonalizationError(.invalidProfile, "pace.mapping: '\(pace.mapping)' is not GM, IM, CAM, DH-GM or DH-IM")
        }
        // 3DES is a PACE cipher of Doc 9303-11 (id-PACE-*-3DES-CBC-CBC) but for CAM, which validate() refuses through
        // PACEParameters.
        let cipher = try Self.cipherSuffix(pace.cipher, field: "pace.cipher", tripleDES: true)
        let identifier = try ASN1ObjectIdentifier(elements: PACEParameters.arc + [mapping, cipher])
        return PACEInfo(protocolIdentifier: identifier, version: 2, parameterId: pace.parameterId)
    }

    /// id-CA-ECDH-AES-CBC-CMAC-nnn of DG14's ChipAuthenticationInfo.
    public func chipAuthenticationProtocol() throws -> ASN1ObjectIdentifier? {
        guard let chipAuthentication else { return nil }
        return try ASN1ObjectIdentifier(elements: ChipAccess.ChipAuthentication.ecdhArc + [Self.cipherSuffix(chipAuthentication.cipher, field: "chipAuthentication.cipher")])
    }

    public var chipAuthenticationCurve: ECCurve? {
        chipAuthentication.flatMap { PACEParameters.curve($0.parameterId) }
    }

    public var hashAlgorithm: HashAlgorithm {
        get throws {
            guard let value = HashAlgorithm(rawValue: hash.lowercased()), LDSSecurityObject.signingHashes.contains(value) else {
                throw PersonalizationError(.invalidProfile, "hash: '\(hash)' is not sha256, sha384 or sha512")
            }
            return value
        }
    }

    public func maximumSize(of dataGroup: Int) -> Int? { maximumFileSize[String(dataGroup)] }

    /// Refuses what no chip of this suite (or the standards) can carry, naming the setting.
    public func validate() throws {
        func fail(_ field: String, _ reason: String) -> PersonalizationError { PersonalizationError(.invalidProfile, "\(field): \(reason)") }
        if let info = try paceInfo() {
            do {
                _ = try PACEParameters(protocolIdentifier: info.protocolIdentifier, parameterId: info.parameterId ?? -1)
            } catch let error as ChipAccessError {
                throw fail("pace", error.reason)
            }
            if pace?.mapping.uppercased() == "CAM" {
                guard let chipAuthentication else { throw fail("pace.mapping", "CAM maps with the Chip Authentication key: give chipAuthentication") }
                guard chipAuthentication.parameterId == pace?.parameterId else {
                    throw fail("pace.mapping", "CAM needs the Chip Authentication key on the PACE curve (parameterId \(pace?.parameterId ?? 0), not \(chipAuthentication.parameterId))")
                }
            }
        }
        if let chipAuthentication {
            guard chipAuthenticationCurve != nil else { throw fail("chipAuthentication.parameterId", "\(chipAuthentication.parameterId) is not a standardized curve") }
            _ = try chipAuthenticationProtocol()
        }
        if let activeAuthentication {
            let specification: KeySpecification
            do { specification = try KeySpecification(activeAuthentication.key) } catch let error as PKIError { throw fail("activeAuthentication.key", error.reason) }
            if case .ec = specification {
                guard let hash = HashAlgorithm(rawValue: activeAuthentication.hash.lowercased()), [.sha224, .sha256, .sha384, .sha512].contains(hash) else {
                    throw fail("activeAuthentication.hash", "'\(activeAuthentication.hash)' is not sha224, sha256, sha384 or sha512 (9303-11 §6.1)")
                }
            }
        }
        _ = try hashAlgorithm
        for number in dataGroups {
            guard [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16].contains(number) else { throw fail("dataGroups", "DG\(number) does not exist") }
        }
        guard dataGroups.contains(1), dataGroups.contains(2) else { throw fail("dataGroups", "DG1 and DG2 are mandatory (Doc 9303-10 §4.7)") }
        if dataGroups.contains(3) && !terminalAuthentication {
            throw fail("dataGroups", "DG3 (fingerprints) must be protected by Terminal Authentication: set terminalAuthentication")
        }
        if chipAuthentication != nil && !dataGroups.contains(14) { throw fail("dataGroups", "Chip Authentication publishes its key in DG14: add 14") }
        if activeAuthentication != nil && !dataGroups.contains(15) { throw fail("dataGroups", "Active Authentication publishes its key in DG15: add 15") }
        guard ["0107", "0108"].contains(ldsVersion) else { throw fail("ldsVersion", "'\(ldsVersion)' is not 0107 or 0108") }
        guard unicodeVersion.count == 6, unicodeVersion.allSatisfy(\.isNumber) else { throw fail("unicodeVersion", "six digits, e.g. 040000") }
        if let name = signatureAlgorithm, SignatureAlgorithm(name: name) == nil {
            throw fail("signatureAlgorithm", "'\(name)' is not one of \(SignatureAlgorithm.allNames.joined(separator: ", "))")
        }
        guard (16...65_535).contains(writeChunk) else { throw fail("writeChunk", "\(writeChunk) is not 16 to 65535 bytes") }
        for (key, value) in maximumFileSize {
            guard let number = Int(key), (1...16).contains(number), value > 0, value <= 0x7FFF * 4 else {
                throw fail("maximumFileSize.\(key)", "a data group number and a size of 1 to \(0x7FFF * 4) bytes")
            }
        }
    }
}
