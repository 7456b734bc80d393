import Foundation
import PKICore
import SwiftASN1

/// What a file holds, told from its content (never from its name): ICAO PKD LDIF, a signed master list or deviation
/// list (CMS), a CRL or certificates, in DER or PEM.
///
/// ```
/// LDIF          text starting with "version:", "dn:" or "#" (RFC 2849)
/// PEM           "-----BEGIN CERTIFICATE-----", "X509 CRL", "CMS" / "PKCS7" blocks (RFC 7468); a bundle may mix them
/// ContentInfo   SEQUENCE { OBJECT IDENTIFIER 1.2.840.113549.1.7.2, [0] SignedData }  → eContentType 2.23.136.1.1.2 or .7
/// Certificate   SEQUENCE { SEQUENCE { [0] version ... } ... }   CertificateList: SEQUENCE { SEQUENCE { INTEGER 1, ... } }
/// ```
public enum ImportFormat: String, Sendable, Codable {
    case ldif
    case masterList = "master list"
    case deviationList = "deviation list"
    case certificate
    case crl
    case pem = "PEM bundle"

    /// Decides from the content: text markers first, then the shape of the DER, read header by header so that a
    /// million-entry CRL is never parsed into a tree just to learn what it is.
    public static func detect(_ bytes: [UInt8]) throws -> ImportFormat {
        guard let first = bytes.first else { throw NPKDError(.unknownFormat, "the file is empty") }
        let text = String(decoding: bytes.prefix(2048), as: UTF8.self)
        let trimmed = text.drop(while: { $0 == "\u{FEFF}" || $0.isWhitespace })
        if trimmed.hasPrefix("-----BEGIN ") { return .pem }
        if looksLikeLDIF(bytes) { return .ldif }
        guard first == 0x30 else {
            throw NPKDError(.unknownFormat, "the content is not LDIF, PEM or DER (first byte 0x\(String(first, radix: 16)))")
        }
        return try detectDER(bytes)
    }

    /// Whether the first bytes of a file are LDIF text, so it can be streamed rather than read whole.
    public static func looksLikeLDIF(_ head: [UInt8]) -> Bool {
        let text = String(decoding: head.prefix(2048), as: UTF8.self)
        let lower = text.drop(while: { $0 == "\u{FEFF}" || $0.isWhitespace }).prefix(16).lowercased()
        return lower.hasPrefix("version:") || lower.hasPrefix("dn:") || lower.hasPrefix("#")
    }

    static func detectDER(_ bytes: [UInt8]) throws -> ImportFormat {
        do {
            try OuterSequence.check(bytes, what: "DER")
        } catch let error as PKIError {
            // A truncated download is the common case: say so, with the offset and the length it claims.
            throw NPKDError(.malformedObject, error.reason)
        }
        let unknown = NPKDError(.unknownFormat, "a DER SEQUENCE that is neither a certificate, a CRL nor a CMS ContentInfo")
        guard let outer = header(bytes, at: 0), let inner = header(bytes, at: outer.contentStart) else { throw unknown }
        if inner.tag == 0x06 {
            let signed: SignedData
            do {
                signed = try SignedData(contentInfoBytes: bytes)
            } catch {
                throw NPKDError(.malformedObject, "the CMS ContentInfo cannot be read: \(error)")
            }
            switch signed.encapContentInfo.eContentType {
            case .ICAO.cscaMasterList: return .masterList
            case .ICAO.deviationList: return .deviationList
            default:
                throw NPKDError(.unknownFormat, "a CMS SignedData with eContentType \(signed.encapContentInfo.eContentType.displayName): neither a master list nor a deviation list")
            }
        }
        guard inner.tag == 0x30, let field = header(bytes, at: inner.contentStart) else { throw unknown }
        switch field.tag {
        case 0xA0: return .certificate
        case 0x30: return .crl  // a v1 CRL starts with its signature AlgorithmIdentifier
        case 0x02:
            // Certificate v1: serial, signature, issuer, Validity (SEQUENCE); CRL v2: version, signature, issuer, thisUpdate (Time).
            var position = field.contentEnd
            for _ in 0..<2 {
                guard let next = header(bytes, at: position) else { throw unknown }
                position = next.contentEnd
            }
            guard let fourth = header(bytes, at: position) else { throw unknown }
            return fourth.tag == 0x17 || fourth.tag == 0x18 ? .crl : .certificate
        default: throw unknown
        }
    }

    /// The tag and content bounds of the TLV at `offset`; nil when it cannot be read.
    static func header(_ bytes: [UInt8], at offset: Int) -> (tag: UInt8, contentStart: Int, contentEnd: Int)? {
        guard offset + 1 < bytes.count else { return nil }
        let tag = bytes[offset]
        guard tag & 0x1F != 0x1F else { return nil }
        let first = bytes[offset + 1]
        var start = offset + 2
        var length = 0
        if first == 0x80 {
            return (tag, start, bytes.count)  // BER indefinite length: the content runs to its end-of-contents octets
        } else if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count > 0, count <= 4, start + count <= bytes.count else { return nil }
            for index in start..<(start + count) { length = length << 8 | Int(bytes[index]) }
            start += count
        }
        guard start + length <= bytes.count else { return nil }
        return (tag, start, start + length)
    }
}
