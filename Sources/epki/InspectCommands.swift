import ArgumentParser
import Foundation
import PKICore
import SwiftASN1

enum Describe {
    static func certificate(_ certificate: Certificate) -> [String: Any] {
        var extensions: [[String: Any]] = []
        for ext in certificate.extensions {
            extensions.append(["oid": ext.oid.description, "name": ext.oid.displayName, "critical": ext.critical,
                               "value": extensionText(ext)])
        }
        let key = (try? certificate.publicKey)?.description ?? "unreadable"
        return [
            "subject": certificate.subject.description,
            "issuer": certificate.issuer.description,
            "serialNumber": certificate.serialNumberHex,
            "notBefore": Time.iso8601(certificate.notBefore),
            "notAfter": Time.iso8601(certificate.notAfter),
            "signatureAlgorithm": (try? certificate.signatureAlgorithmValue.description) ?? certificate.signatureAlgorithm.algorithm.displayName,
            "publicKey": key,
            "selfIssued": certificate.isSelfIssued,
            "extensions": extensions,
            "deviations": certificate.encodingDeviations,
        ]
    }

    static func extensionText(_ ext: Extension) -> String {
        do {
            switch ext.oid {
            case KeyUsage.oid: return try ext.decode(KeyUsage.self).description
            case BasicConstraints.oid:
                let value = try ext.decode(BasicConstraints.self)
                return "cA=\(value.isCertificateAuthority)" + (value.pathLengthConstraint.map { ", pathLen=\($0)" } ?? "")
            case SubjectKeyIdentifier.oid: return try ext.decode(SubjectKeyIdentifier.self).keyIdentifier.hexString
            case AuthorityKeyIdentifier.oid: return try ext.decode(AuthorityKeyIdentifier.self).keyIdentifier?.hexString ?? "(issuer/serial form)"
            case PrivateKeyUsagePeriod.oid:
                let value = try ext.decode(PrivateKeyUsagePeriod.self)
                return "\(value.notBeforeDate.map(Time.iso8601) ?? "-") to \(value.notAfterDate.map(Time.iso8601) ?? "-")"
            case ExtendedKeyUsage.oid: return try ext.decode(ExtendedKeyUsage.self).purposes.map(\.displayName).joined(separator: ", ")
            case DocumentTypeList.oid: return try ext.decode(DocumentTypeList.self).documentTypes.joined(separator: ", ")
            case NameChange.oid: return "name change"
            case SubjectAlternativeName.oid: return try ext.decode(SubjectAlternativeName.self).names.map(\.description).joined(separator: ", ")
            case IssuerAlternativeName.oid: return try ext.decode(IssuerAlternativeName.self).names.map(\.description).joined(separator: ", ")
            case CRLDistributionPoints.oid: return try ext.decode(CRLDistributionPoints.self).uris.joined(separator: ", ")
            case CRLNumber.oid: return try ext.decode(CRLNumber.self).bytes.hexString
            default: return ext.value.hexString
            }
        } catch {
            return "unreadable: \(error)"
        }
    }

    static func printText(_ object: [String: Any], order: [String]) {
        for key in order {
            guard let value = object[key] else { continue }
            switch value {
            case let list as [[String: Any]]:
                print("\(key):")
                for item in list {
                    let critical = (item["critical"] as? Bool) == true ? " (critical)" : ""
                    print("  \(item["name"] ?? ""): \(item["value"] ?? "")\(critical)")
                }
            case let list as [String]:
                if !list.isEmpty { print("\(key):"); list.forEach { print("  \($0)") } }
            default:
                print("\(key): \(value)")
            }
        }
    }
}

struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Inspect and verify X.509 certificates.", subcommands: [Show.self, VerifyIssuer.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a certificate (DER or PEM).")
        @Argument var file: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let certificate = try IO.decode(file, what: "certificate") { bytes in try Certificate(bytes: bytes) }
            let object = Describe.certificate(certificate)
            if json { try IO.printJSON(object); return }
            Describe.printText(object, order: ["subject", "issuer", "serialNumber", "notBefore", "notAfter", "signatureAlgorithm",
                                               "publicKey", "selfIssued", "extensions", "deviations"])
        }
    }

    struct VerifyIssuer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify", abstract: "Check a certificate's signature with its issuer's key (explicit EC parameters included).")
        @Argument var file: String
        @Option(help: "The issuer's certificate.") var issuer: String

        func run() throws {
            let certificate = try IO.decode(file, what: "certificate") { bytes in try Certificate(bytes: bytes) }
            let issuerCertificate = try IO.decode(issuer, what: "issuer certificate") { bytes in try Certificate(bytes: bytes) }
            guard try certificate.isSignatureValid(issuerKey: issuerCertificate.publicKey) else {
                throw CLIFailure(message: "signature of \(certificate.subject) does NOT verify with the key of \(issuerCertificate.subject)")
            }
            print("signature of \(certificate.subject) verifies with the key of \(issuerCertificate.subject)")
        }
    }
}

struct CRLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crl", abstract: "Inspect and verify CRLs.", subcommands: [Show.self, VerifyIssuer.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a CRL (DER or PEM); entries are streamed.")
        @Argument var file: String
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "List every revoked serial number.") var entries = false

        func run() throws {
            let crl = try IO.decode(file, what: "CRL") { bytes in try CertificateRevocationList(bytes: bytes) }
            var object: [String: Any] = [
                "issuer": crl.issuer.description, "thisUpdate": crl.thisUpdate.description,
                "nextUpdate": crl.nextUpdate?.description ?? "absent",
                "version": crl.version.map { "v\($0 + 1)" } ?? "v1",
                "crlNumber": crl.crlNumber?.value.map(String.init) ?? crl.crlNumber?.bytes.hexString ?? "absent",
                "authorityKeyIdentifier": crl.authorityKeyIdentifier?.hexString ?? "absent",
                "signatureAlgorithm": (try? crl.signatureAlgorithmValue.description) ?? crl.signatureAlgorithm.algorithm.displayName,
                "revokedCount": try crl.entryCount(),
            ]
            if entries {
                var list: [[String: String]] = []
                try crl.forEachEntry { list.append(["serialNumber": $0.serialNumber.hexString, "revocationDate": $0.revocationDate.description]) }
                object["revoked"] = list
            }
            if json { try IO.printJSON(object); return }
            for key in ["issuer", "version", "thisUpdate", "nextUpdate", "crlNumber", "authorityKeyIdentifier", "signatureAlgorithm", "revokedCount"] {
                print("\(key): \(object[key] ?? "")")
            }
            (object["revoked"] as? [[String: String]])?.forEach { print("  \($0["serialNumber"] ?? "") \($0["revocationDate"] ?? "")") }
        }
    }

    struct VerifyIssuer: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check a CRL's signature with its issuer's key.")
        @Argument var file: String
        @Option(help: "The issuing CSCA's certificate.") var issuer: String

        func run() throws {
            let crl = try IO.decode(file, what: "CRL") { bytes in try CertificateRevocationList(bytes: bytes) }
            let issuerCertificate = try IO.decode(issuer, what: "issuer certificate") { bytes in try Certificate(bytes: bytes) }
            guard try crl.isSignatureValid(issuerKey: issuerCertificate.publicKey) else {
                throw CLIFailure(message: "CRL signature does NOT verify with the key of \(issuerCertificate.subject)")
            }
            print("CRL of \(crl.issuer) verifies with the key of \(issuerCertificate.subject)")
        }
    }
}

struct CMSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cms", abstract: "Verify CMS SignedData (SOD, master list, deviation list).", subcommands: [VerifyCMS.self])

    struct VerifyCMS: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify", abstract: "Verify a CMS SignedData; exit 0 only when every check passes.")
        @Argument(help: "ContentInfo (DER/BER/PEM), or an EF.SOD wrapped in tag 0x77.") var file: String
        @Option(help: "The signer's certificate; the embedded one is used when omitted.") var signer: String?
        @Flag(help: "Print JSON.") var json = false
        @Option(name: .customLong("content-out"), help: "Write the encapsulated content to this file.") var contentOut: String?
        @Flag(name: .customLong("print-content"), help: "Print the encapsulated content as hex.") var printContent = false

        func run() throws {
            let bytes = try IO.read(file, what: "CMS file")
            // EF.SOD's 0x77 wrapper is taken off by SignedData itself.
            let signedData = try SignedData(contentInfoBytes: bytes)
            let certificate = try signer.map { try IO.decode($0, what: "signer certificate") { bytes in try Certificate(bytes: bytes) } }
            let report = signedData.verify(signerCertificate: certificate)
            let content = signedData.encapContentInfo.eContent.map(Array.init) ?? []
            if let contentOut { try IO.write(content, to: contentOut) }
            if json {
                var object = try JSONSerialization.jsonObject(with: Data(report.jsonString().utf8)) as? [String: Any] ?? [:]
                object["eContentType"] = signedData.encapContentInfo.eContentType.description
                object["eContentTypeName"] = signedData.encapContentInfo.eContentType.displayName
                object["contentLength"] = content.count
                if printContent { object["content"] = content.hexString }
                try IO.printJSON(object)
            } else {
                print("eContentType: \(signedData.encapContentInfo.eContentType) (\(signedData.encapContentInfo.eContentType.displayName))")
                print("content: \(content.count) bytes")
                if printContent { print(content.hexString) }
                print(report)
            }
            guard report.isValid else { throw CLIFailure(message: "CMS verification failed") }
        }
    }
}

