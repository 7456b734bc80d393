import Foundation
import PKICore

/// Finds the trusted certificate that signed a DS certificate and follows link certificates up to a
/// self-signed CSCA (Doc 9303-12 §5: after a CSCA key rollover, the link certificate — issued with the old
/// key over the new one — is what connects a DS signed with the new key to an older trust anchor).
///
/// Signatures are checked with `Certificate.isSignatureValid(issuerKey:)`, which takes explicit EC parameters;
/// OpenSSL's own chain building refuses them.
struct DocumentSignerChain: Sendable {
    /// The outcome for one DS certificate: the checks to report and the certificate that verified it.
    struct Outcome: Sendable {
        var checks: [VerificationReport.Check]
        var issuer: Certificate?
        var verified: Bool
    }

    static let maximumLinks = 8

    static func evaluate(_ ds: Certificate, trustSource: any TrustSource) -> Outcome {
        var checks: [VerificationReport.Check] = []
        let candidates: [Certificate]
        do {
            candidates = try trustSource.issuerCandidates(of: ds)
        } catch {
            checks.append(.init(PassiveAuthentication.Check.dsIssuedByCSCA, .notChecked, "the trust source could not be asked: \(error)"))
            return Outcome(checks: checks, issuer: nil, verified: false)
        }
        guard !candidates.isEmpty else {
            let aki = ds.authorityKeyIdentifier.map { ", authority key identifier \($0.hexString)" } ?? ""
            checks.append(.init(PassiveAuthentication.Check.dsIssuedByCSCA, .failed,
                                "unknown CSCA: no trusted CSCA certificate matches the DS issuer \(ds.issuer)\(aki)"))
            return Outcome(checks: checks, issuer: nil, verified: false)
        }
        var problems: [String] = []
        var issuer: Certificate?
        for candidate in candidates {
            do {
                if try ds.isSignatureValid(issuerKey: candidate.publicKey) {
                    issuer = candidate
                    break
                }
                problems.append("the key of \(candidate.subject) (serial \(candidate.serialNumberHex)) does not verify it")
            } catch {
                problems.append("\(candidate.subject) (serial \(candidate.serialNumberHex)): \(error)")
            }
        }
        guard let issuer else {
            checks.append(.init(PassiveAuthentication.Check.dsIssuedByCSCA, .failed,
                                "the DS certificate's signature does not verify with any trusted CSCA named \(ds.issuer): \(problems.joined(separator: "; "))"))
            return Outcome(checks: checks, issuer: nil, verified: false)
        }
        let algorithm = (try? ds.signatureAlgorithmValue.description) ?? ds.signatureAlgorithm.algorithm.description
        checks.append(.init(PassiveAuthentication.Check.dsIssuedByCSCA, .passed,
                            "\(algorithm) signature by \(issuer.subject) (serial \(issuer.serialNumberHex))"))
        checks.append(contentsOf: linkPath(from: issuer, trustSource: trustSource))
        return Outcome(checks: checks, issuer: issuer, verified: true)
    }

    /// Reports how the issuing certificate reaches a self-signed CSCA; nothing to report when it is one.
    static func linkPath(from start: Certificate, trustSource: any TrustSource) -> [VerificationReport.Check] {
        var path: [String] = []
        var current = start
        var seen: Set<Certificate> = [start]
        for _ in 0..<maximumLinks {
            if current.isSelfIssued, (try? current.isSignatureValid(issuerKey: current.publicKey)) == true {
                if path.isEmpty { return [] }
                return [.init(PassiveAuthentication.Check.cscaLink, .passed,
                              "via link certificate(s) \(path.joined(separator: " ← ")) ← self-signed CSCA serial \(current.serialNumberHex)")]
            }
            path.append("serial \(current.serialNumberHex)")
            let next = ((try? trustSource.issuerCandidates(of: current)) ?? []).first { candidate in
                !seen.contains(candidate) && ((try? current.isSignatureValid(issuerKey: candidate.publicKey)) ?? false)
            }
            guard let next else {
                // Every certificate a trust source returns is trusted (a master list carries link certificates
                // as such); the warning only says the path to a self-signed CSCA could not be shown.
                return [.init(PassiveAuthentication.Check.cscaLink, .warning,
                              "\(current.subject) serial \(current.serialNumberHex) is not self-signed and its issuer is not in the trust source; trusted as given")]
            }
            seen.insert(next)
            current = next
        }
        return [.init(PassiveAuthentication.Check.cscaLink, .warning, "more than \(maximumLinks) link certificates; stopped following them")]
    }
}

/// What is known about each DS certificate — its facts and, once verified, its chain outcome — so that verifying
/// many documents of one DS reads its extensions and checks its chain once, with one look-up per document.
/// Only verified chains are kept: a failure is recomputed, in case the trust source learns the CSCA.
final class ChainCache: Sendable {
    /// A class, so that handing an entry out of the lock is one reference, not a copy of every fact.
    final class Entry: Sendable {
        /// What the report says about the certificate (names, extensions, dates as text).
        let facts: DocumentSignerFacts
        /// The verified chain; nil until one is.
        let outcome: DocumentSignerChain.Outcome?

        init(facts: DocumentSignerFacts, outcome: DocumentSignerChain.Outcome?) {
            self.facts = facts
            self.outcome = outcome
        }
    }

    private let entries = Locked<[EncodingKey: Entry]>([:])
    private let limit: Int

    init(limit: Int = 4096) {
        self.limit = limit
    }

    func entry(for ds: Certificate) -> Entry {
        if let hit = entries.withLock({ $0[EncodingKey(ds.encoded)] }) { return hit }
        let entry = Entry(facts: DocumentSignerFacts(ds), outcome: nil)
        store(entry, for: ds)
        return entry
    }

    /// Keeps a verified outcome with the certificate's facts.
    func keep(_ outcome: DocumentSignerChain.Outcome, facts: DocumentSignerFacts, for ds: Certificate) {
        guard outcome.verified else { return }
        store(Entry(facts: facts, outcome: outcome), for: ds)
    }

    private func store(_ entry: Entry, for ds: Certificate) {
        entries.withLock { entries in
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[EncodingKey(Array(ds.encoded))] = entry
        }
    }
}
