@testable import CVC
import LDS
import PKICore

/// The three TLV readers under every structure epki reads: ISO/IEC 7816-4 BER-TLV of the LDS files
/// (`LDS.BERTLV`), the TR-03110 data objects of CV certificates (`CVC.TLVReader`) and the definite-length DER
/// walker under CRLs and CMS (`PKICore.TLVReader`). Each walks the input down to its primitive elements.
enum TLVTargets {
    static let all: [FuzzTarget] = [berTLV, cvcTLV, derTLV]

    static let berTLV = FuzzTarget("ber-tlv", "LDS BERTLV.parseAll, recursively; each element must encode back to the bytes read", seeds: {
        [("dg1.bin", try SeedDocument.dg1()), ("dg2.bin", SeedDocument.dg2()), ("dg11.bin", SeedDocument.dg11()),
         ("long-length.bin", [0x61, 0x82, 0x00, 0x05, 0x5F, 0x1F, 0x02, 0x41, 0x42])]
    }) { bytes in
        walkBER(bytes[...], depth: 0)
    }

    /// Every element is re-encoded and compared with its bytes: the LDS promises that a file read and written again
    /// is the file read (its hash is in the SOD), long length forms included.
    static func walkBER(_ bytes: ArraySlice<UInt8>, depth: Int) {
        guard depth < 64, let elements = try? BERTLV.parseAll(bytes, what: "fuzz") else { return }
        var position = bytes.startIndex
        for element in elements {
            let encoded = element.encoded
            let read = bytes[position..<(position + encoded.count)]
            precondition(read.elementsEqual(encoded),
                         "BERTLV at offset \(element.offset) re-encodes as \(encoded.hexString), read \(Array(read).hexString)")
            position += encoded.count
            _ = element.tagHex
            _ = element.hasNonMinimalLength
            if element.isConstructed { walkBER(element.value, depth: depth + 1) }
        }
    }

    static let cvcTLV = FuzzTarget("cvc-tlv", "CVC TLVReader (TR-03110-3 D), recursively, and the CAR/CHR reader", seeds: {
        [("cvca.bin", [0x7F, 0x21, 0x09, 0x7F, 0x4E, 0x03, 0x5F, 0x29, 0x00, 0x5F, 0x37, 0x00].prefix(12).map { $0 }),
         ("car.bin", Array("DECVCAeID00102".utf8))]
    }) { bytes in
        walkCVC(CVC.TLVReader(bytes[...], context: "fuzz"), depth: 0)
        _ = try? CertificationAuthorityReference(encoded: bytes)
        _ = try? CVC.TLVReader.single(bytes, .cvCertificate, context: "fuzz")
    }

    static func walkCVC(_ start: CVC.TLVReader, depth: Int) {
        guard depth < 64 else { return }
        var reader = start
        while let object = try? reader.next() {
            _ = CVTag.named(object.tag)
            if object.isConstructed, let children = try? object.children("fuzz") { walkCVC(children, depth: depth + 1) }
        }
    }

    static let derTLV = FuzzTarget("der-tlv", "PKICore TLVReader (definite-length DER under CRLs and CMS), recursively", seeds: {
        let pki = try SeedPKI()
        return [("crl.der", try pki.crl(entries: 2).derEncoded), ("certificate.der", pki.csca.derEncoded)]
    }) { bytes in
        walkDER(PKICore.TLVReader(bytes[...], what: "fuzz"), depth: 0)
    }

    static func walkDER(_ start: PKICore.TLVReader, depth: Int) {
        guard depth < 64 else { return }
        var reader = start
        while let element = try? reader.next() {
            if element.isConstructed { walkDER(PKICore.TLVReader(element.content, what: "fuzz"), depth: depth + 1) }
        }
    }
}
