/// What the SPOC asks of the country's CVCA. The SPOC imports no other service; `epki` wires the CVCA here.
public protocol SPOCCertificateAuthority: Sendable {
    /// Decides a foreign DV's request with all of the CVCA's checks (inner and outer signature, the foreign
    /// CVCA's registration, domain parameters, sequence, rights ANDed). `callerID` is the country the mutual TLS
    /// authenticated: an initial request must be countersigned by a CVCA of that country.
    func certify(_ request: [UInt8], callerID: String) -> SPOCCertification
    /// Every valid CVCA certificate, self-signed and link, by effective date.
    func caCertificates() throws -> [[UInt8]]
}

/// The CVCA's decision on one request: the result code, and for ok_cert_available the DV certificate first, then
/// the CVCA certificates by effective date.
public struct SPOCCertification: Sendable, Hashable {
    public let result: SPOCResultCode
    public let certificates: [[UInt8]]
    /// The request's CHR when it could be read.
    public let chr: String?
    public let detail: String

    public init(result: SPOCResultCode, certificates: [[UInt8]] = [], chr: String? = nil, detail: String) {
        self.result = result
        self.certificates = certificates
        self.chr = chr
        self.detail = detail
    }
}

/// What the SPOC hands to the country's DVCA: certificates a foreign CVCA returned for our DV's request, or new
/// foreign CVCA certificates it announced.
public protocol SPOCDocumentVerifier: Sendable {
    /// `request` is our DV's request the answer belongs to (nil for a notification). Returns a line for the log;
    /// throws when the certificates are not acceptable (then the answer to the pushing SPOC says failure_syntax).
    func receive(certificates: [[UInt8]], request: [UInt8]?, from country: String) throws -> String
}

/// What the TR-03129 CVCA service asks of the CVCA beyond the SPOC's needs.
public protocol NationalCertificateAuthority: SPOCCertificateAuthority {
    /// The CVCA's outer signature on an initial request of one of its DVs for a foreign CVCA (unchanged when the
    /// request is already authenticated). Throws with a reason when the CVCA refuses; `code` is its result code.
    func countersign(_ request: [UInt8]) throws -> [UInt8]
}
