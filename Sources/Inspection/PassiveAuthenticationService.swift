import Foundation
import LDS
import PKICore

/// Who verifies the data of a document: the inspection system itself against a trust source (the NPKD's store on
/// the same machine, CSCA files), or the national PKD's border control service over its REST API. Both answer
/// with the same checks, so the inspection report and its verdict do not depend on which one a post uses.
public protocol PassiveAuthenticationService: Sendable {
    func verify(sod: [UInt8], dataGroups: [Int: [UInt8]], efCOM: [UInt8]?) throws -> PassiveAuthenticationVerdict
}

/// The checks of passive authentication, whether the document is genuine, and whether the issuing CSCA was found —
/// a failure only because it was not is "data not verified", not a forgery.
public struct PassiveAuthenticationVerdict: Sendable {
    public var checks: [VerificationReport.Check]
    public var isGenuine: Bool
    public var issuerFound: Bool
    /// "local" or the service's URL.
    public var source: String

    public init(checks: [VerificationReport.Check], isGenuine: Bool, issuerFound: Bool, source: String) {
        self.checks = checks
        self.isGenuine = isGenuine
        self.issuerFound = issuerFound
        self.source = source
    }
}

/// Passive authentication in process, against a trust source.
public struct LocalPassiveAuthentication: PassiveAuthenticationService {
    public let verifier: PassiveAuthentication

    public init(_ verifier: PassiveAuthentication) {
        self.verifier = verifier
    }

    public func verify(sod: [UInt8], dataGroups: [Int: [UInt8]], efCOM: [UInt8]?) throws -> PassiveAuthenticationVerdict {
        let result = verifier.verify(sod: sod, dataGroups: dataGroups, efCOM: efCOM)
        return PassiveAuthenticationVerdict(checks: result.report.checks, isGenuine: result.isGenuine, issuerFound: result.issuer != nil, source: "local")
    }
}

/// Passive authentication by the NPKD's border control service: `POST /v1/pa/verify` with EF.SOD, the data groups
/// and EF.COM in Base64, answered 200 (genuine) or 422 with the same checks as JSON.
///
/// ```
/// request   {"sod": b64, "dataGroups": {"1": b64, …}, "efCOM": b64}
/// answer    {"subject", "checks": [{"name", "status", "detail"}], "genuine": bool, "csca": {…} when the issuer was found, …}
/// ```
/// The HTTP exchange itself is given (`post`), so that this module needs no HTTP client and a test can use any:
/// the CLI posts with AsyncHTTPClient over (mutual) TLS.
public struct RemotePassiveAuthentication: PassiveAuthenticationService {
    public typealias Post = @Sendable (_ url: URL, _ body: [UInt8]) throws -> (status: Int, body: [UInt8])
    public let url: URL
    public let post: Post

    public init(url: URL, post: @escaping Post) {
        self.url = url
        self.post = post
    }

    public func verify(sod: [UInt8], dataGroups: [Int: [UInt8]], efCOM: [UInt8]?) throws -> PassiveAuthenticationVerdict {
        var groups: [(String, JSONValue)] = []
        for (number, bytes) in dataGroups.sorted(by: { $0.key < $1.key }) {
            groups.append((String(number), .string(Data(bytes).base64EncodedString())))
        }
        var members: [(String, JSONValue)] = [("sod", .string(Data(sod).base64EncodedString())), ("dataGroups", .object(groups))]
        if let efCOM { members.append(("efCOM", .string(Data(efCOM).base64EncodedString()))) }
        let endpoint = url.appendingPathComponent("v1").appendingPathComponent("pa").appendingPathComponent("verify")
        let (status, body) = try post(endpoint, JSONValue.object(members).encoded())
        guard status == 200 || status == 422 else {
            throw InspectionError(.remoteService, "\(endpoint) answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return try Self.verdict(json: body, source: url.absoluteString)
    }

    /// Reads the service's answer.
    public static func verdict(json body: [UInt8], source: String) throws -> PassiveAuthenticationVerdict {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let checks = object["checks"] as? [[String: Any]], let genuine = object["genuine"] as? Bool else {
            throw InspectionError(.remoteService, "\(source): the answer is not a passive authentication report")
        }
        var parsed: [VerificationReport.Check] = []
        for check in checks {
            guard let name = check["name"] as? String, let statusText = check["status"] as? String,
                  let status = VerificationReport.Status(rawValue: statusText) else {
                throw InspectionError(.remoteService, "\(source): a check without a name or a known status")
            }
            parsed.append(VerificationReport.Check(name, status, check["detail"] as? String ?? ""))
        }
        return PassiveAuthenticationVerdict(checks: parsed, isGenuine: genuine, issuerFound: object["csca"] != nil, source: source)
    }
}
