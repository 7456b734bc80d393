import CVC
import PKICore
import SmartCard

/// Terminal Authentication as the chip answers it (TR-03110-1 §3.5, TR-03110-3 §2.5 and B.11; Doc 9303-11 §7.1.4).
///
/// What the chip keeps for good (its EEPROM): up to two CVCA trust points, newest first, and its approximate
/// current date. What it keeps for one session (RAM): the certificates imported so far, the key MSE:Set DST chose,
/// the terminal MSE:Set AT named, the challenge, and, once EXTERNAL AUTHENTICATE verified, the effective
/// authorization: the AND of the trust point's, the DV's and the terminal's CHATs.
///
/// The chip's rules, each a refusal with its status word:
/// - MSE:Set DST names a trust point or a certificate imported in this session, else 6A88;
/// - PSO:Verify Certificate: a certificate that does not decode is 6A80; one whose CAR is not the key MSE chose, whose
///   signature does not verify, whose role does not follow its issuer's, whose terminal type is not the chip's, or
///   (DV and terminal certificates) that expired before the chip's current date is 6300. Expired CVCA link
///   certificates are accepted (a chip that slept through a CVCA rollover must still catch up);
/// - the current date moves forward to the effective date of every CVCA, DV and domestic-DV-issued terminal
///   certificate verified; a CVCA link certificate becomes the newest trust point and the oldest of three is
///   dropped. Both take effect with the command that verified the certificate, all at once;
/// - EXTERNAL AUTHENTICATE needs MSE:Set AT for a verified terminal certificate and a fresh challenge (6985), and a
///   signature that verifies (6300); one Terminal Authentication per session, success or not.
public final class TerminalAuthenticationChip: @unchecked Sendable {
    /// The persistent part: trust points newest first (at most two) and the chip's current date.
    public private(set) var trustPoints: [CVCertificate]
    public private(set) var currentDate: CVDate
    /// The terminal type whose certificates the chip accepts: id-IS for the eMRTD application.
    public let terminalType: CertificateHolderAuthorizationTemplate.TerminalType
    /// The challenge r_PICC; random unless given (known-answer tests).
    public var fixedChallenge: [UInt8]?

    // Session state.
    private var imported: [CVCertificate] = []
    private var verifyingKey: (certificate: CVCertificate, parameters: CVDomainParameters?)?
    private var chainedData: [UInt8] = []
    private var authenticatingTerminal: CVCertificate?
    private var challenge: [UInt8]?
    private var finished = false
    /// The rights Terminal Authentication granted in this session; nil before (or without) success.
    public private(set) var effectiveAuthorization: CertificateHolderAuthorizationTemplate?

    public init(trustPoints: [CVCertificate], currentDate: CVDate,
                terminalType: CertificateHolderAuthorizationTemplate.TerminalType = .inspectionSystem) throws {
        guard (1...2).contains(trustPoints.count), trustPoints.allSatisfy({ $0.role == .cvca }) else {
            throw ChipAccessError(.invalidValue, "a chip holds one or two CVCA trust points, not \(trustPoints.map(\.description))")
        }
        self.trustPoints = trustPoints.sorted { $0.body.effectiveDate > $1.body.effectiveDate }
        self.currentDate = currentDate
        self.terminalType = terminalType
    }

    /// EF.CVCA as the chip keeps it up to date.
    public var efCVCA: EFCVCA {
        get throws { try EFCVCA(trustPoints: trustPoints) }
    }

    /// The rights granted in this session as data groups; empty before Terminal Authentication.
    public var grantedRights: CertificateHolderAuthorizationTemplate.InspectionSystemRights {
        effectiveAuthorization?.inspectionSystemRights ?? []
    }

    /// Forgets the session (a reset, a new BAC or PACE): trust points and date stay.
    public func resetSession() {
        imported = []
        verifyingKey = nil
        chainedData = []
        authenticatingTerminal = nil
        challenge = nil
        finished = false
        effectiveAuthorization = nil
    }

    // MARK: - Commands

    /// MSE:Set DST (0C 22 81 B6 { 83 CAR }).
    public func setDigitalSignatureTemplate(_ data: [UInt8]) -> StatusWord {
        verifyingKey = nil
        chainedData = []
        guard !finished else { return .conditionsOfUseNotSatisfied }
        guard let reference = Self.reference(data) else { return .incorrectParametersInData }
        if let trustPoint = trustPoints.first(where: { $0.chr == reference }) {
            verifyingKey = (trustPoint, trustPoint.publicKey.domainParameters)
        } else if let certificate = imported.last(where: { $0.chr == reference }) {
            verifyingKey = (certificate, domainParameters(for: certificate))
        } else {
            return .referencedDataNotFound
        }
        return .success
    }

    /// PSO:Verify Certificate (0C 2A 00 BE { 7F4E ‖ 5F37 }), possibly as a command chain (CLA bit 0x10).
    public func verifyCertificate(_ data: [UInt8], chained: Bool) -> StatusWord {
        guard !finished, verifyingKey != nil else { return .conditionsOfUseNotSatisfied }
        chainedData += data
        guard chainedData.count <= 4096 else {
            chainedData = []
            return .wrongLength
        }
        if chained { return .success }
        defer { chainedData = [] }
        guard let certificate = try? CVCertificate(bodyAndSignature: chainedData) else { return .incorrectParametersInData }
        return (try? importCertificate(certificate)) ?? .verificationFailed
    }

    /// MSE:Set AT (0C 22 81 A4 { 83 CHR, … }): the terminal that will sign.
    public func setAuthenticationTemplate(_ data: [UInt8]) -> StatusWord {
        authenticatingTerminal = nil
        guard !finished else { return .conditionsOfUseNotSatisfied }
        guard let reference = Self.reference(data) else { return .incorrectParametersInData }
        guard let terminal = imported.last(where: { $0.chr == reference && $0.role == .terminal }) else { return .referencedDataNotFound }
        authenticatingTerminal = terminal
        return .success
    }

    /// GET CHALLENGE under secure messaging, after MSE:Set AT: r_PICC.
    public func getChallenge() throws -> [UInt8] {
        let random = try fixedChallenge ?? SecureRandom.bytes(8)
        challenge = random
        return random
    }

    public var isAwaitingSignature: Bool { !finished && authenticatingTerminal != nil }

    /// EXTERNAL AUTHENTICATE (0C 82 00 00 { s_PCD }): checks the terminal's signature over ID_PICC ‖ r_PICC ‖
    /// Comp(PK_PCD) and, if it holds, grants the effective authorization. One try per session.
    public func externalAuthenticate(signature: [UInt8], chipIdentifier: [UInt8], terminalEphemeralKey: [UInt8]) -> StatusWord {
        guard !finished, let terminal = authenticatingTerminal, let challenge else { return .conditionsOfUseNotSatisfied }
        finished = true
        self.challenge = nil
        guard let message = try? TerminalAuthentication.signedData(chipIdentifier: chipIdentifier, challenge: challenge, terminalEphemeralKey: terminalEphemeralKey),
              let valid = try? terminal.publicKey.isValidSignature(signature, for: message, inheriting: domainParameters(for: terminal)),
              valid else {
            return .verificationFailed
        }
        effectiveAuthorization = authorization(through: terminal)
        return .success
    }

    // MARK: - Certificate import

    private func importCertificate(_ certificate: CVCertificate) throws -> StatusWord {
        guard let (issuer, parameters) = verifyingKey else { return .conditionsOfUseNotSatisfied }
        guard certificate.car == issuer.chr else { return .verificationFailed }
        guard try certificate.isSignatureValid(issuerKey: issuer.publicKey, inheriting: parameters) else { return .verificationFailed }
        guard certificate.chat.terminalType == terminalType, certificate.chat.hasValidLength else { return .verificationFailed }
        switch (issuer.role, certificate.role) {
        case (.cvca, .cvca), (.cvca, .domesticDV), (.cvca, .foreignDV), (.domesticDV, .terminal), (.foreignDV, .terminal): break
        default: return .verificationFailed
        }
        // A certificate whose key is already a trust point brings nothing and could roll the trust points back.
        guard !trustPoints.contains(where: { $0.chr == certificate.chr }) else { return .verificationFailed }
        if certificate.role != .cvca && certificate.body.expirationDate < currentDate { return .verificationFailed }

        // Accepted: the updates of the chip's memory, together.
        let advancesDate = certificate.role != .terminal || issuer.role == .domesticDV
        if advancesDate && certificate.body.effectiveDate > currentDate {
            currentDate = certificate.body.effectiveDate
        }
        if certificate.role == .cvca {
            var link = certificate
            if link.publicKey.domainParameters == nil, let parameters {
                // A link certificate may leave the curve unchanged and unstated; the trust point must carry it.
                link.body.publicKey = link.publicKey.with(domainParameters: parameters)
            }
            trustPoints = Array(([link] + trustPoints).prefix(2))
            verifyingKey = nil
            return .success
        }
        imported.append(certificate)
        verifyingKey = nil
        return .success
    }

    /// The domain parameters for an imported key: its own, else the trust point's above it.
    private func domainParameters(for certificate: CVCertificate) -> CVDomainParameters? {
        if let own = certificate.publicKey.domainParameters { return own }
        var current = certificate
        while let issuer = imported.last(where: { $0.chr == current.car }) {
            if let own = issuer.publicKey.domainParameters { return own }
            current = issuer
        }
        return trustPoints.first(where: { $0.chr == current.car })?.publicKey.domainParameters
    }

    /// AND of the CHATs from the trust point down to the terminal.
    private func authorization(through terminal: CVCertificate) -> CertificateHolderAuthorizationTemplate? {
        var chain = [terminal]
        var current = terminal
        while let issuer = imported.last(where: { $0.chr == current.car }) {
            chain.append(issuer)
            current = issuer
        }
        guard let anchor = trustPoints.first(where: { $0.chr == current.car }) else { return nil }
        chain.append(anchor)
        var result = anchor.chat
        for certificate in chain.dropLast().reversed() {
            guard let next = result.intersection(certificate.chat) else { return nil }
            result = next
        }
        return result
    }

    /// The CAR or CHR in `83` of an MSE command (other objects, as EAC2 adds them, are ignored).
    static func reference(_ data: [UInt8]) -> String? {
        guard let objects = try? PACEChip.objects(data), let value = objects[0x83], !value.isEmpty,
              let text = String(bytes: value, encoding: .ascii) else { return nil }
        return text
    }
}
