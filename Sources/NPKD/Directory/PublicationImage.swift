import Store
import Foundation
import PKICore

/// What the directory should hold for what the NPKD trusts, entry by entry, in the ICAO PKD layout (see
/// `DirectoryName`): CSCA and link certificates under o=csca, Document Signers under o=dsc, the current CRL of each
/// trusted CSCA key under o=crl, trusted master lists under o=ml and deviation lists under o=dl.
///
/// ```
/// certificate   objectClass: top, person, organizationalPerson, inetOrgPerson, pkdDownload
///               cn: <subject DN>   sn: <serial hex>   userCertificate;binary: <DER>
/// CRL           objectClass: top, cRLDistributionPoint, pkdDownload
///               cn: <issuer DN>    certificateRevocationList;binary: <DER>
/// master list   objectClass: top, person, pkdMasterList, pkdDownload
///               cn: <signer DN>    sn: 1   pkdMasterListContent: <CMS ContentInfo DER>
/// deviation list objectClass: top, person, pkdDeviationList, pkdDownload
///               cn: <signer DN>    sn: 1   pkdDeviationListContent: <CMS ContentInfo DER>
/// ```
/// `pkdVersion` is not part of the image: the publication stamps it on what it writes.
struct PublicationImage {
    /// Entries by DN key (`DirectoryName.key`), containers included.
    private(set) var entries: [String: LDAPEntry] = [:]
    /// Each object's fingerprint, by DN key: what a difference report names besides the DN.
    private(set) var fingerprints: [String: String] = [:]
    /// Counts per branch (csca, dsc, crl, ml, dl).
    private(set) var counts: [String: Int] = [:]

    let base: String

    /// One object before naming: collisions are known only once every object of a branch is seen.
    private struct Candidate {
        var organization: String
        var country: String
        var name: String
        var serial: String?
        var fingerprint: String
        var objectClasses: [String]
        var content: (String, [UInt8])
    }

    init(base: String) {
        self.base = base
        add(LDAPEntry(dn: DirectoryName.data(base), text: ["objectClass": ["top", "domain"], "dc": ["data"]]))
    }

    /// Reads the trusted set from the store in one read transaction (one snapshot).
    static func build(_ db: Database, domain: String, base: String) throws -> PublicationImage {
        var candidates: [Candidate] = []
        let usable = [TrustState.trusted.rawValue, TrustState.nonConformantAccepted.rawValue]
        let personClasses = ["top", "person", "organizationalPerson", "inetOrgPerson", "pkdDownload"]
        let authorities = try NPKDRepository.certificates(db, domain: domain, kinds: ["csca", "link"], states: usable)
        let signers = try NPKDRepository.certificates(db, domain: domain, kinds: ["ds"], states: usable)
        for (rows, organization) in [(authorities, "csca"), (signers, "dsc")] {
            for row in rows {
                guard let certificate = try? Certificate(bytes: row.der) else { continue }
                candidates.append(Candidate(organization: organization, country: countryCode(row.country), name: LDIFWriter.ldapString(certificate.subject),
                                            serial: certificate.serialNumberHex, fingerprint: row.fingerprint, objectClasses: personClasses,
                                            content: ("userCertificate;binary", row.der)))
            }
        }
        // The current CRL of every trusted CSCA key: the one border control decides revocation with.
        for keyHash in Set(authorities.map(\.keyHash)).sorted() {
            guard let crl = try NPKDRepository.currentCRL(db, domain: domain, issuerKeyHash: keyHash),
                  let der = try NPKDRepository.crlDER(db, id: crl.id),
                  let parsed = try? CertificateRevocationList(bytes: der) else { continue }
            candidates.append(Candidate(organization: "crl", country: countryCode(crl.country), name: LDIFWriter.ldapString(parsed.issuer), serial: nil,
                                        fingerprint: crl.fingerprint, objectClasses: ["top", "cRLDistributionPoint", "pkdDownload"],
                                        content: ("certificateRevocationList;binary", der)))
        }
        for list in try NPKDRepository.lists(db, domain: domain) where TrustState(rawValue: list.state)?.isUsable == true {
            guard let der = try NPKDRepository.listDER(db, id: list.id) else { continue }
            let masterList = list.kind == "masterlist"
            candidates.append(Candidate(organization: masterList ? "ml" : "dl", country: countryCode(list.country),
                                        name: list.signerSubject, serial: "1", fingerprint: list.fingerprint,
                                        objectClasses: ["top", "person", masterList ? "pkdMasterList" : "pkdDeviationList", "pkdDownload"],
                                        content: (masterList ? "pkdMasterListContent" : "pkdDeviationListContent", der)))
        }

        var image = PublicationImage(base: base)
        // Names shared by two objects of one branch: those objects are named by fingerprint.
        var uses: [String: Int] = [:]
        for candidate in candidates { uses[Self.naturalKey(candidate), default: 0] += 1 }
        for candidate in candidates.sorted(by: { $0.fingerprint < $1.fingerprint }) {
            image.container(country: candidate.country, organization: candidate.organization)
            let collides = uses[Self.naturalKey(candidate), default: 0] > 1
            let rdnValue = collides ? candidate.fingerprint : candidate.name
            var rdn = "cn=\(DirectoryName.escape(rdnValue))"
            var text: [String: [String]] = ["objectClass": candidate.objectClasses, "cn": collides ? [candidate.name, candidate.fingerprint] : [candidate.name]]
            if let serial = candidate.serial {
                rdn += "+sn=\(DirectoryName.escape(serial))"
                text["sn"] = [serial]
            }
            let dn = "\(rdn),\(DirectoryName.branch(candidate.organization, country: candidate.country, base: base))"
            let entry = LDAPEntry(dn: dn, text: text, binary: [candidate.content.0: candidate.content.1])
            guard image.entries[DirectoryName.key(dn)] == nil else { continue }  // the same object twice (a CSCA held as csca and link)
            image.add(entry)
            image.fingerprints[DirectoryName.key(dn)] = candidate.fingerprint
            image.counts[candidate.organization, default: 0] += 1
        }
        return image
    }

    private static func naturalKey(_ candidate: Candidate) -> String {
        [candidate.organization, candidate.country, candidate.name.lowercased(), candidate.serial?.lowercased() ?? ""].joined(separator: "\u{0}")
    }

    /// A two-letter country for the c= RDN; what has none (or an odd one) goes under XX, as nothing else would find it.
    private static func countryCode(_ country: String) -> String {
        let upper = country.uppercased()
        return upper.count == 2 && upper.allSatisfy(\.isLetter) ? upper : "XX"
    }

    private mutating func container(country: String, organization: String) {
        let countryDN = DirectoryName.country(country, base: base)
        if entries[DirectoryName.key(countryDN)] == nil {
            add(LDAPEntry(dn: countryDN, text: ["objectClass": ["top", "country"], "c": [country]]))
        }
        let branchDN = DirectoryName.branch(organization, country: country, base: base)
        if entries[DirectoryName.key(branchDN)] == nil {
            add(LDAPEntry(dn: branchDN, text: ["objectClass": ["top", "organization"], "o": [organization]]))
        }
    }

    private mutating func add(_ entry: LDAPEntry) {
        entries[DirectoryName.key(entry.dn)] = entry
    }
}

extension NPKDRepository {
    /// The CMS of a held master list or deviation list.
    static func listDER(_ db: Database, id: Int64) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT der FROM npkd_list WHERE id = ?", arguments: [id]).map(Array.init)
    }
}
