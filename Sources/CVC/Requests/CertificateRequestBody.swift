/// The body of a CV certificate request (TR-03110-3 C.2, Table 24): a reduced certificate body.
///
/// ```
/// 7F4E Certificate Body
///   5F29 01 00        Certificate Profile Identifier (version 1 = 0)
///   42   CAR          OPTIONAL (recommended): the CA key the applicant expects to sign
///   7F49 Public Key   the requested key, WITH its domain parameters (D.3.3: requests MUST always carry them)
///   5F20 CHR          the reference of the requested key
///   65   extensions   OPTIONAL
/// ```
/// No CHAT and no dates: the certificate authority decides them.
public struct CertificateRequestBody: Hashable, Sendable {
    public var profileIdentifier: UInt8
    public var car: String?
    public var publicKey: CVPublicKey
    public var chr: String
    public var extensions: CertificateExtensions?

    public init(car: String?, publicKey: CVPublicKey, chr: String, extensions: CertificateExtensions? = nil) {
        self.profileIdentifier = 0
        self.car = car
        self.publicKey = publicKey
        self.chr = chr
        self.extensions = extensions
    }

    init(_ object: TLVObject, context: String) throws {
        let where_ = "\(context), request body at offset \(object.offset)"
        var reader = try object.children(where_)
        profileIdentifier = try CertificateBody.readProfileIdentifier(&reader, context: where_)
        car = try reader.optional(.certificationAuthorityReference).map {
            try ReferenceField.decode($0, .certificationAuthorityReference, context: where_)
        }
        publicKey = try CVPublicKey(reader.expect(.publicKey), context: where_)
        chr = try ReferenceField.decode(reader.expect(.certificateHolderReference), .certificateHolderReference, context: where_)
        extensions = try reader.optional(.certificateExtensions).map { try CertificateExtensions($0, context: where_) }
        try reader.expectEnd()
    }

    func write(into writer: inout TLVWriter) throws {
        try writer.appendConstructed(.certificateBody) { writer in
            try writer.append(.profileIdentifier, [profileIdentifier])
            if let car { try writer.append(.certificationAuthorityReference, ReferenceField.encode(car, .certificationAuthorityReference)) }
            try publicKey.write(into: &writer)
            try writer.append(.certificateHolderReference, ReferenceField.encode(chr, .certificateHolderReference))
            try extensions?.write(into: &writer)
        }
    }

    /// The 7F4E data object: the bytes the inner signature covers.
    public var encoded: [UInt8] {
        get throws {
            var writer = TLVWriter()
            try write(into: &writer)
            return writer.bytes
        }
    }
}
