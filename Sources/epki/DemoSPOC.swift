import CSCA
import CVC
import CVCA
import Foundation
import PKICore
import SPOC
import ServiceWiring
import Store

extension Demo {
    /// Step 10: a second country (ZZ, in its own data directory) asks our CVCA for a DV certificate through the two
    /// countries' SPOCs: SOAP over mutual TLS on loopback with SPOC TLS certificates each CSCA issued, our CVCA
    /// deciding at once, and ZZ's DVCA importing the answer under our CVCA.
    static func spocExchange(store: EPKIStore, country: String, passphrase: Passphrase, csca: CountrySigningCA, crl: CertificateRevocationList,
                             directory: URL, check: (String, Bool) -> Void) throws {
        let foreign = "ZZ"
        let otherStore = try EPKIStore(directory: directory.appendingPathComponent("zz/data"), migrations: StoreOptions.migrations)
        let ourKeys = SoftwareKeyProvider(store: store, passphrase: passphrase)
        let theirKeys = SoftwareKeyProvider(store: otherStore, passphrase: passphrase)

        // ZZ's own CSCA (it issues ZZ's SPOC TLS certificates), CVCA and DVCA.
        let theirCSCA = try CountrySigningCA(store: otherStore, domain: foreign, keys: theirKeys)
        var policy = CSCAPolicy()
        policy.crlDistributionPoints = ["http://pkd.zz.example/\(foreign).crl"]
        _ = try theirCSCA.initialize(subject: DistinguishedName(attributes: [(.NameAttributes.countryName, foreign), (.NameAttributes.commonName, "CSCA \(foreign)")]),
                                     key: .ec(.brainpoolP256r1, parameters: .explicit), policy: policy)
        let theirCRL = try theirCSCA.issueCRLs().last
        let theirCVCA = try CountryVerifyingCA(store: otherStore, domain: foreign, keys: theirKeys)
        _ = try theirCVCA.initialize(country: foreign, key: .ec(.brainpoolP256r1, parameters: .namedCurve))
        let theirDVCA = try DocumentVerifierCA(store: otherStore, domain: foreign, keys: theirKeys)
        _ = try theirDVCA.initialize(country: foreign, mnemonic: "DV")
        let ourCVCA = try CountryVerifyingCA(store: store, domain: country, keys: ourKeys)
        // The out-of-band exchange between the two States: each registers the other's CVCA.
        _ = try ourCVCA.registerForeignCVCA(try theirCVCA.currentKey().certificate)
        _ = try theirCVCA.registerForeignCVCA(try ourCVCA.currentKey().certificate)

        // SPOC TLS certificates from each CSCA (named P-256 keys, kept encrypted by the key providers).
        func material(_ ca: CountrySigningCA, _ keys: SoftwareKeyProvider, _ spoc: SinglePointOfContact, _ code: String) throws -> SPOCTLSMaterial {
            let server = try ca.issueSPOCTLSCertificate(role: .server, family: .icao, dnsNames: ["localhost"], key: .generate(.ec(.p256, parameters: .namedCurve)))
            let client = try ca.issueSPOCTLSCertificate(role: .client, family: .icao, key: .generate(.ec(.p256, parameters: .namedCurve)))
            guard let serverKey = server.keyReference, let clientKey = client.keyReference else { throw CLIFailure(message: "a SPOC TLS key was not recorded") }
            let identity = SPOCIdentity(country: code, url: "https://localhost/spoc", serverCertificate: server.certificate.derEncoded, serverKey: serverKey,
                                        clientCertificate: client.certificate.derEncoded, clientKey: clientKey)
            try spoc.setIdentity(identity)
            return try SPOCTLSMaterial(identity: identity, serverKeyPKCS8: try keys.privateKey(for: serverKey).plainPKCS8ForSealing(),
                                       clientKeyPKCS8: try keys.privateKey(for: clientKey).plainPKCS8ForSealing())
        }
        let ours = try SinglePointOfContact(store: store, domain: country)
        let theirs = try SinglePointOfContact(store: otherStore, domain: foreign)
        let ourMaterial = try material(csca, ourKeys, ours, country)
        let theirMaterial = try material(theirCSCA, theirKeys, theirs, foreign)

        // Each CSCA's CRL as its distribution point would serve it (the demo has no web server for them).
        let crls: [String: [UInt8]] = [country: crl.derEncoded, foreign: theirCRL?.derEncoded ?? []]
        let cache = CRLCache { url in
            guard let bytes = crls[String(url.deletingPathExtension().lastPathComponent)], !bytes.isEmpty else {
                throw SPOCError(.deliveryFailed, "no CRL at \(url.absoluteString)")
            }
            return bytes
        }
        let ourWiring = try SPOCWiring(store: store, domain: country, keys: ourKeys)
        let theirWiring = try SPOCWiring(store: otherStore, domain: foreign, keys: theirKeys)
        let ourServer = SPOCServer(spoc: ours, material: ourMaterial, authenticator: SPOCPeerAuthenticator(clock: SystemClock(), crls: cache),
                                   authority: ourWiring, documentVerifier: ourWiring, outboxInterval: nil)
        let theirServer = SPOCServer(spoc: theirs, material: theirMaterial, authenticator: SPOCPeerAuthenticator(clock: SystemClock(), crls: cache),
                                     authority: theirWiring, documentVerifier: theirWiring, outboxInterval: nil)
        let outcome = Locked<Result<(String, SPOCResultCode, String?), any Error>?>(nil)
        try AsyncBridge.run {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let ports = AsyncStream<(String, Int)>.makeStream()
                group.addTask { try await ourServer.application(host: "127.0.0.1", port: 0) { ports.continuation.yield((country, $0)) }.runService() }
                group.addTask { try await theirServer.application(host: "127.0.0.1", port: 0) { ports.continuation.yield((foreign, $0)) }.runService() }
                var bound: [String: Int] = [:]
                for await (code, port) in ports.stream {
                    bound[code] = port
                    if bound.count == 2 { break }
                }
                do {
                    // Registration, as each State's operator would enter the other's form: URL, SPOC root, namespace, mode.
                    try ours.register(ForeignSPOC(country: foreign, url: "https://localhost:\(bound[foreign] ?? 0)/spoc", root: try theirCSCA.activeAuthority().certificate.derEncoded,
                                                  namespace: .csn, ekuFamily: .icao, mode: .sync, registeredAt: Date()))
                    try theirs.register(ForeignSPOC(country: country, url: "https://localhost:\(bound[country] ?? 0)/spoc", root: try csca.activeAuthority().certificate.derEncoded,
                                                    namespace: .icao, ekuFamily: .icao, mode: .sync, registeredAt: Date()))
                    let request = try theirDVCA.request(to: try ourCVCA.currentKey().chr, authenticateWithNationalCVCA: true)
                    let sent = try await theirServer.client.requestCertificate(try request.request.encoded, to: country, documentVerifier: theirWiring)
                    outcome.withLock { $0 = .success((sent.messageID, sent.response.result, sent.note)) }
                } catch {
                    outcome.withLock { $0 = .failure(error) }
                }
                group.cancelAll()
            }
        }
        switch outcome.withLock({ $0 }) {
        case .success(let (messageID, result, note)):
            check("\(foreign)'s DV request answered through the SPOCs (messageID \(messageID)): \(result)", result == .okCertAvailable)
            let chains = try theirDVCA.chains().map { $0.certificates.map(\.chr) }
            check("\(foreign)'s DVCA: \(note ?? "nothing imported")", chains.contains { $0.first == "\(country)CVCA00001" && $0.last == "\(foreign)DV00001" })
            let log = try ours.log()
            check("our SPOC's transaction log: \(log.map { "\($0.operation) \($0.result)" }.joined(separator: ", "))",
                  log.contains { $0.direction == .inbound && $0.operation == "RequestCertificate" && $0.result == "ok_cert_available" })
        case .failure(let error):
            check("\(foreign)'s DV request through the SPOCs: \((error as? any OperatorFacingError)?.reason ?? "\(error)")", false)
        case nil:
            check("\(foreign)'s DV request through the SPOCs: no answer", false)
        }
        check("audit trail of domain \(foreign) intact", try otherStore.verifyAudit(domain: foreign).isIntact)
    }
}
