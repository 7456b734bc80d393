/// Character strings of TR-03110-3 D.2.1.4: one ISO/IEC 8859-1 character per octet; the codes 00–1F and 7F–9F are
/// unassigned and "SHALL result in an error". Used for the CAR and CHR.
enum CharacterString {
    /// Every octet is its own Unicode scalar in ISO 8859-1, so decoding and encoding give back the same octets.
    static func decode(_ bytes: ArraySlice<UInt8>, _ what: String, context: String, offset: Int) throws -> String {
        if let bad = bytes.firstIndex(where: { !isAssigned($0) }) {
            throw CVCError(
                .invalidValue,
                "\(context): \(what) at offset \(offset) holds the unassigned character code 0x\(CVTag.hex(UInt32(bytes[bad])))",
                offset: offset)
        }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    static func encode(_ text: String, _ what: String) throws -> [UInt8] {
        var octets: [UInt8] = []
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF, isAssigned(UInt8(scalar.value)) else {
                throw CVCError(.invalidValue, "\(what) '\(text)' contains '\(scalar)', which ISO/IEC 8859-1 does not assign")
            }
            octets.append(UInt8(scalar.value))
        }
        return octets
    }

    static func isAssigned(_ octet: UInt8) -> Bool {
        !(octet < 0x20 || (0x7F...0x9F).contains(octet))
    }
}

/// Certificate references (CAR, CHR) as the profile bounds them: 1 to 16 characters (Table 27, "16V").
enum ReferenceField {
    static func decode(_ object: TLVObject, _ tag: CVTag, context: String) throws -> String {
        guard (1...16).contains(object.value.count) else {
            throw CVCError(
                .invalidValue, "\(context): \(tag) at offset \(object.offset) has \(object.value.count) characters; 1 to 16 are allowed",
                offset: object.offset)
        }
        return try CharacterString.decode(object.value, tag.name, context: context, offset: object.offset)
    }

    static func encode(_ text: String, _ tag: CVTag) throws -> [UInt8] {
        let octets = try CharacterString.encode(text, tag.name)
        guard (1...16).contains(octets.count) else {
            throw CVCError(.invalidReference, "\(tag.name) '\(text)' has \(octets.count) characters; 1 to 16 are allowed")
        }
        return octets
    }
}
