import CVC
import CVCA
import Testing

@Suite struct CertificationAuthorityReferenceTests {
    /// References of real CV certificates in the shared vectors: German, Czech and Swedish CVCAs and DVs.
    @Test(arguments: [
        ("DECVCAEPASS00102", "DE", "CVCAEPASS", "00102"),
        ("CZCVCADCZ000", "CZ", "CVCAD", "CZ000"),
        ("SEDVDPK00001", "SE", "DVDPK", "00001"),
        ("ZZATTERM00001", "ZZ", "ATTERM", "00001"),
    ])
    func splitsAndRebuilds(_ text: String, _ country: String, _ mnemonic: String, _ sequence: String) throws {
        let reference = try CertificationAuthorityReference(encoded: Array(text.utf8))
        #expect(reference.countryCode == country)
        #expect(reference.holderMnemonic == mnemonic)
        #expect(reference.sequenceNumber == sequence)
        #expect(reference.description == text)
        #expect(reference.encoded == Array(text.utf8))
    }

    @Test func successorIncrementsTheNumericPart() throws {
        #expect(try CertificationAuthorityReference(encoded: Array("DECVCAEPASS00102".utf8)).successor().description == "DECVCAEPASS00103")
        #expect(try CertificationAuthorityReference(encoded: Array("CZCVCADCZ009".utf8)).successor().description == "CZCVCADCZ010")
        #expect(throws: CVCAError.self) { try CertificationAuthorityReference(encoded: Array("UTCVCA99999".utf8)).successor() }
    }

    @Test(arguments: ["", "DE", "de CVCA00001", "DECVCAEPASSPORT00001", "DE\u{1}CVCA0001"])
    func rejectsMalformedReferences(_ text: String) {
        #expect(throws: CVCAError.self) { try CertificationAuthorityReference(encoded: Array(text.utf8)) }
    }
}
