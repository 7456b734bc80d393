/// The body of a CV certificate (TR-03110-3 C.1, Table 23): what the issuer signs.
///
/// ```
/// 7F4E Certificate Body
///   5F29 01 00        Certificate Profile Identifier (version 1 = 0)
///   42   CAR          Certification Authority Reference, 1–16 characters: the issuer's CHR
///   7F49 Public Key   see CVPublicKey
///   5F20 CHR          Certificate Holder Reference, 1–16 characters
///   7F4C CHAT         see CertificateHolderAuthorizationTemplate
///   5F25 06 YYMMDD    Certificate Effective Date (the date of generation)
///   5F24 06 YYMMDD    Certificate Expiration Date
///   65   extensions   OPTIONAL, see CertificateExtensions
/// ```
/// The order is fixed; nothing else may appear.
public struct CertificateBody: Hashable, Sendable {
    public var profileIdentifier: UInt8
    /// The CAR: the CHR of the certificate whose key signed this one.
    public var car: String
    public var publicKey: CVPublicKey
    /// The CHR: names the key in this certificate.
    public var chr: String
    public var chat: CertificateHolderAuthorizationTemplate
    public var effectiveDate: CVDate
    public var expirationDate: CVDate
    public var extensions: CertificateExtensions?

    public init(
        car: String, publicKey: CVPublicKey, chr: String, chat: CertificateHolderAuthorizationTemplate,
        effectiveDate: CVDate, expirationDate: CVDate, extensions: CertificateExtensions? = nil
    ) {
        self.profileIdentifier = 0
        self.car = car
        self.publicKey = publicKey
        self.chr = chr
        self.chat = chat
        self.effectiveDate = effectiveDate
        self.expirationDate = expirationDate
        self.extensions = extensions
    }

    init(_ object: TLVObject, context: String) throws {
        let where_ = "\(context), certificate body at offset \(object.offset)"
        var reader = try object.children(where_)
        profileIdentifier = try Self.readProfileIdentifier(&reader, context: where_)
        car = try ReferenceField.decode(reader.expect(.certificationAuthorityReference), .certificationAuthorityReference, context: where_)
        publicKey = try CVPublicKey(reader.expect(.publicKey), context: where_)
        chr = try ReferenceField.decode(reader.expect(.certificateHolderReference), .certificateHolderReference, context: where_)
        chat = try CertificateHolderAuthorizationTemplate(reader.expect(.certificateHolderAuthorizationTemplate), context: where_)
        effectiveDate = try CVDate(reader.expect(.effectiveDate), .effectiveDate, context: where_)
        expirationDate = try CVDate(reader.expect(.expirationDate), .expirationDate, context: where_)
        extensions = try reader.optional(.certificateExtensions).map { try CertificateExtensions($0, context: where_) }
        try reader.expectEnd()
    }

    /// 5F29 holds one octet; only version 1 (value 0) is defined, and another version could lay out the body
    /// differently, so it is refused rather than guessed at.
    static func readProfileIdentifier(_ reader: inout TLVReader, context: String) throws -> UInt8 {
        let object = try reader.expect(.profileIdentifier)
        guard object.value.count == 1, let value = object.value.first else {
            throw CVCError(
                .invalidValue, "\(context): \(CVTag.profileIdentifier) at offset \(object.offset) has \(object.value.count) octets instead of 1",
                offset: object.offset)
        }
        guard value == 0 else {
            throw CVCError(
                .invalidValue, "\(context): certificate profile identifier \(value) at offset \(object.offset) is not version 1 (0)",
                offset: object.offset)
        }
        return value
    }

    func write(into writer: inout TLVWriter) throws {
        try writer.appendConstructed(.certificateBody) { writer in
            try writer.append(.profileIdentifier, [profileIdentifier])
            try writer.append(.certificationAuthorityReference, ReferenceField.encode(car, .certificationAuthorityReference))
            try publicKey.write(into: &writer)
            try writer.append(.certificateHolderReference, ReferenceField.encode(chr, .certificateHolderReference))
            try chat.write(into: &writer)
            try writer.append(.effectiveDate, effectiveDate.encoded)
            try writer.append(.expirationDate, expirationDate.encoded)
            try extensions?.write(into: &writer)
        }
    }

    /// The 7F4E data object: the bytes the signature covers.
    public var encoded: [UInt8] {
        get throws {
            var writer = TLVWriter()
            try write(into: &writer)
            return writer.bytes
        }
    }

    /// A self-signed certificate names itself as its issuer.
    public var isSelfSigned: Bool { car == chr }

    /// Whether `date` falls within the validity period, whole GMT days inclusive.
    public func isValid(on date: CVDate) -> Bool {
        effectiveDate <= date && date <= expirationDate
    }
}
