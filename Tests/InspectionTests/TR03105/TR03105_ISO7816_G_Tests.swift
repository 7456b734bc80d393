import ChipAccess
import Foundation
import Inspection
import LDS
import PKICore
import SwiftASN1
import Testing
import VirtualChip

/// BSI TR-03105 Part 5.1, unit ISO7816_G: PACE. Of its 41 cases only G_36 is still specified in this document:
/// G_01–G_35 and G_38–G_41 moved to ICAO's test specification (as ISO7816_C_01–C_39) and G_37 was deleted. The
/// CAM negatives among the moved ones (ICAO ISO7816_C_29–C_38) are covered by ChipAuthenticationMappingFaultTests;
/// see README.md for the mapping.
@Suite struct TR03105_ISO7816_G_Tests {
    @Test("ISO7816_G_36 An invalid PACE-CAM OID in EF.CardAccess: PACE without CAM") func iso7816_G_36() throws {
        // EF.CardAccess holds two PACEInfos, the first a "DH-CAM" protocol that does not exist (CAM is defined for
        // ECDH only; 0.4.0.127.0.7.2.2.4.5 is no PACE protocol), the second a valid one. The IS must skip the first
        // and run PACE with the second, without the Chip Authentication Mapping, and the inspection must succeed.
        // The valid PACEInfo is the plan's id-PACE-ECDH-GM-3DES-CBC-CBC, here on brainpoolP256r1: the session, and
        // the reads after it, are 3DES secure messaging.
        let invalid = PACEInfo(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 5, 2], version: 2, parameterId: 2)
        let valid = PACEInfo(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 1], version: 2, parameterId: 13)
        var lab = try TRLab(dg4: false)
        lab.cardAccess = try SecurityInfos([.pace(invalid), .pace(valid)]).encode()
        // EF.CardSecurity: the CA public key PACE-CAM would need, and EF.CardAccess's SecurityInfos.
        let workedExample = try EFCardSecurity(bytes: lab.cardSecurity)
        lab.cardSecurity = try lab.signedCardSecurity(SecurityInfos(workedExample.securityInfos.chipAuthenticationPublicKeyInfos.map { .chipAuthenticationPublicKey($0) }
            + [.pace(invalid), .pace(valid)]))
        // BAC refused, so that only PACE can open the chip.
        let report = try lab.inspect(wrap: { chip in
            RefusingTransport(chip) { command in command.count >= 2 && command[0] == 0x00 && (command[1] == 0x84 || command[1] == 0x82) }
        })
        #expect(Expect.status(report, "PACE") == .passed, "\(report)")
        #expect(report.access?.hasPrefix("PACE") == true && report.access?.contains("3DES") == true, "\(report)")
        #expect(report.steps.check(named: "PACE-CAM") == nil, "no CAM was run: \(report)")
        #expect(Expect.status(report, "Chip Authentication") == .passed, "\(report)")
        Expect.successful(report)
    }
}
