import ICAOProfile
import PKICore

/// Doc 9303-12 lists from other countries and from ICAO: CSCA master lists and deviation lists.
enum ICAOProfileTargets {
    static let all: [FuzzTarget] = [masterList, deviationList]

    static let masterList = FuzzTarget("masterlist", "CSCA master list: MasterListReader.read (CMS, CscaMasterList, signer chain), lint", seeds: {
        [("masterlist.der", try SeedPKI().masterList())]
    }) { bytes in
        guard let result = try? MasterListReader().read(bytes) else { return }
        _ = result.report.checks.count
        _ = result.masterList.unreadable
        _ = try? result.masterList.derEncoded
        _ = ProfileLinter.lint(result.signedData, kind: .masterList)
    }

    static let deviationList = FuzzTarget("deviationlist", "Deviation list: signed (CMS → DeviationListContent) or bare content, lint", seeds: {
        let list = try SeedPKI().deviationList()
        return [("deviationlist-signed.der", list.signed), ("deviationlist-content.der", list.content)]
    }) { bytes in
        // As the NPKD reads it: the CMS first, then its content.
        if let signed = try? SignedData(contentInfoBytes: bytes) {
            _ = signed.verify(signerCertificate: signed.embeddedSignerCertificate)
            _ = ProfileLinter.lint(signed, kind: .deviationList)
            if let content = signed.encapContentInfo.eContent, let list = try? DeviationListContent(derEncoded: Array(content)) {
                exercise(list)
            }
        }
        if let list = try? DeviationListContent(derEncoded: bytes) { exercise(list) }
    }

    static func exercise(_ list: DeviationListContent) {
        for entry in list.deviations {
            _ = entry.signer?.description
            _ = entry.descriptions.map(\.deviationType)
        }
        _ = try? list.deviationList.derEncoded()
    }
}
