import LDS
import Testing

@Suite struct LDSErrorTests {
    @Test func errorsCompareByCode() {
        #expect(LDSError(.malformed, "a") == LDSError(.malformed, "b"))
        #expect(LDSError(.malformed, "a") != LDSError(.invalidValue, "a"))
        #expect(LDSError(.malformed, "DG1: tag 0x61 missing").description == "malformed: DG1: tag 0x61 missing")
    }
}
