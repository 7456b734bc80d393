import LDS
import Testing
import TestSupport

@Suite struct MRZTests {
    // The specimens of Doc 9303 Parts 4 (TD3), 5 (TD1) and 6 (TD2).
    static let td3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    static let td1 = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
    static let td2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]

    @Test func checkDigitsOfTheWorkedExample() {
        #expect(MRZCheckDigit.compute("L898902C3") == "6")
        #expect(MRZCheckDigit.compute("740812") == "2")
        #expect(MRZCheckDigit.compute("120415") == "9")
        #expect(MRZCheckDigit.compute("ZE184226B<<<<<") == "1")
        #expect(MRZCheckDigit.compute("D23145890") == "7")
        #expect(MRZCheckDigit.compute("<<<") == "0")
        #expect(MRZCheckDigit.compute("l898") == nil, "lower case is outside the MRZ set")
    }

    @Test func td3SpecimenReadsWithAllCheckDigitsCorrect() throws {
        let mrz = try MRZ(lines: Self.td3)
        #expect(mrz.format == .td3)
        #expect(mrz.documentCode == "P" && mrz.documentCodeField == "P<")
        #expect(mrz.issuingState == "UTO" && mrz.nationality == "UTO")
        #expect(mrz.primaryIdentifier == "ERIKSSON")
        #expect(mrz.secondaryIdentifier == "ANNA MARIA")
        #expect(mrz.documentNumber == "L898902C3" && mrz.documentNumberCheckDigit == "6")
        #expect(mrz.dateOfBirth == "740812" && mrz.sex == "F" && mrz.dateOfExpiry == "120415")
        #expect(mrz.optionalData == "ZE184226B" && mrz.optionalDataCheckDigit == "1")
        #expect(mrz.compositeCheckDigit == "0")
        #expect(mrz.checkDigits.count == 5)
        #expect(mrz.checkDigits.filter { !$0.isValid }.isEmpty, "\(mrz.checkDigits)")
        #expect(mrz.isValid)
        #expect(try MRZ(string: mrz.string) == mrz)
    }

    @Test func td1AndTD2SpecimensRead() throws {
        let td1 = try MRZ(lines: Self.td1)
        #expect(td1.format == .td1)
        #expect(td1.documentNumber == "D23145890" && td1.documentNumberCheckDigit == "7")
        #expect(td1.primaryIdentifier == "ERIKSSON" && td1.secondaryIdentifier == "ANNA MARIA")
        #expect(td1.nationality == "UTO" && td1.dateOfBirth == "740812" && td1.compositeCheckDigit == "6")
        #expect(td1.isValid, "\(td1.findings)")

        let td2 = try MRZ(lines: Self.td2)
        #expect(td2.format == .td2)
        #expect(td2.documentNumber == "D23145890" && td2.compositeCheckDigit == "6")
        #expect(td2.isValid, "\(td2.findings)")
    }

    @Test func buildingFromFieldsGivesTheSpecimens() throws {
        let td3 = try MRZ(fields: MRZFields(
            format: .td3, documentCode: "P", issuingState: "UTO", primaryIdentifier: "Eriksson", secondaryIdentifier: "Anna Maria",
            documentNumber: "L898902C3", nationality: "UTO", dateOfBirth: "740812", sex: "F", dateOfExpiry: "120415", optionalData: "ZE184226B"))
        #expect(td3.lines == Self.td3)
        let td1 = try MRZ(fields: MRZFields(
            format: .td1, documentCode: "I", issuingState: "UTO", primaryIdentifier: "ERIKSSON", secondaryIdentifier: "ANNA MARIA",
            documentNumber: "D23145890", nationality: "UTO", dateOfBirth: "740812", sex: "F", dateOfExpiry: "120415"))
        #expect(td1.lines == Self.td1)
        let td2 = try MRZ(fields: MRZFields(
            format: .td2, documentCode: "I", issuingState: "UTO", primaryIdentifier: "ERIKSSON", secondaryIdentifier: "ANNA MARIA",
            documentNumber: "D23145890", nationality: "UTO", dateOfBirth: "740812", sex: "F", dateOfExpiry: "120415"))
        #expect(td2.lines == Self.td2)
        // And the fields of a zone rebuild the same zone.
        for lines in [Self.td1, Self.td2, Self.td3] {
            let mrz = try MRZ(lines: lines)
            #expect(try MRZ(fields: MRZFields(mrz)) == mrz)
        }
    }

    @Test func longTD1DocumentNumberContinuesInTheOptionalData() throws {
        // Doc 9303-5: "D23145890734" (check digit 9) puts "<" in the check-digit position and "7349" after it.
        let mrz = try MRZ(fields: MRZFields(
            format: .td1, documentCode: "I", issuingState: "UTO", primaryIdentifier: "ERIKSSON", secondaryIdentifier: "ANNA MARIA",
            documentNumber: "D23145890734", nationality: "UTO", dateOfBirth: "740812", sex: "F", dateOfExpiry: "120415"))
        #expect(mrz.lines[0] == "I<UTOD23145890<7349<<<<<<<<<<<")
        #expect(mrz.documentNumber == "D23145890734")
        #expect(mrz.documentNumberCheckDigit == "9")
        #expect(mrz.optionalData == "")
        #expect(mrz.lines[1].last == "6")
        #expect(mrz.isValid, "\(mrz.findings)")
    }

    @Test func dg1OfEveryFormatRoundTrips() throws {
        for lines in [Self.td1, Self.td2, Self.td3] {
            let bytes = DG1(mrz: try MRZ(lines: lines)).encode()
            #expect(bytes.count == 5 + lines.joined().count, "61 L 5F1F L <MRZ>, short lengths")
            let read = try DG1(bytes: bytes)
            #expect(read.mrz.lines == lines)
            #expect(read.encode() == bytes)
            #expect(try LDSFile(bytes: bytes).dataGroup?.value == 1)
        }
    }

    @Test func realDG1OfTheBSIReferenceDataReads() throws {
        let dg1 = try DG1(bytes: TestSupport.vector("pymrtd/DG1_BSI_TR03105-5.bin"))
        #expect(dg1.mrz.format == .td3)
        #expect(dg1.mrz.documentCode == "P" && dg1.mrz.issuingState == "D")
        #expect(dg1.mrz.primaryIdentifier == "MUSTERMANN" && dg1.mrz.secondaryIdentifier == "ERIKA")
        #expect(dg1.mrz.documentNumber == "C11T002JM")
        #expect(dg1.mrz.isValid, "\(dg1.mrz.findings)")
    }

    @Test func wrongCheckDigitsAreFoundNotFatal() throws {
        var lines = Self.td3
        lines[1] = "L898902C37UTO7408122F1204159ZE184226B<<<<<10"
        let mrz = try MRZ(lines: lines)
        let failed = mrz.checkDigits.filter { !$0.isValid }.map(\.field)
        #expect(failed == ["document number", "composite"])
        #expect(mrz.findings.first == "document number check digit is 7, expected 6")
        #expect(!mrz.isValid)
    }

    @Test func badInputIsRefusedWithTheFieldNamed() throws {
        expectError(LDSError(.invalidValue, "2 line(s) of 5, 4 characters match none of TD1")) { try MRZ(lines: ["P<UTO", "L898"]) }
        expectError(LDSError(.invalidValue, "87 characters match none of TD1 (90), TD2 (72) or TD3 (88)")) { try MRZ(string: String(repeating: "<", count: 87)) }
        func fields(_ change: (inout MRZFields) -> Void) -> MRZFields {
            var f = MRZFields(format: .td3, documentCode: "P", issuingState: "UTO", primaryIdentifier: "ERIKSSON", secondaryIdentifier: "ANNA",
                              documentNumber: "L898902C3", nationality: "UTO", dateOfBirth: "740812", sex: "F", dateOfExpiry: "120415")
            change(&f)
            return f
        }
        let cases: [(MRZFields, String)] = [
            (fields { $0.primaryIdentifier = "Ström" }, "primary identifier"),
            (fields { $0.dateOfBirth = "7408" }, "date of birth"),
            (fields { $0.sex = "Q" }, "sex"),
            (fields { $0.documentNumber = "L898902C3XY" }, "document number"),
            (fields { $0.issuingState = "UTOPIA" }, "issuing state"),
            (fields { $0.primaryIdentifier = String(repeating: "A", count: 40) }, "name"),
            (fields { $0.optionalData = String(repeating: "1", count: 15) }, "optional data"),
        ]
        for (input, field) in cases {
            do {
                _ = try MRZ(fields: input)
                Issue.record("\(field) accepted")
            } catch let error as LDSError {
                #expect(error.code == .invalidValue)
                #expect(error.reason.contains(field), "\(error.reason)")
            }
        }
    }
}
