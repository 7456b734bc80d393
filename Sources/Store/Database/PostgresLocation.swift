import Foundation

/// Where a PostgreSQL store lives, from a libpq-style URL:
///
/// ```
/// postgres://USER[:PASSWORD]@HOST[:PORT][,HOST[:PORT]…]/DATABASE[?target_session_attrs=read-write|any]
///     [&schema=NAME][&connect_timeout=SECONDS][&application_name=NAME]
///     [&sslmode=disable|require|verify-full][&sslrootcert=FILE][&passfile=FILE]
/// ```
/// Several hosts are tried in order, as libpq does; with `read-write` (the default) a server whose
/// `transaction_read_only` is on (a standby in recovery) is passed over, so that after a failover the nodes find the
/// promoted standby by themselves.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public struct Host: Sendable, Hashable {
        public var name: String
        public var port: Int
    }

    public var hosts: [Host]
    public var user: String
    public var password: String?
    public var database: String
    public var schema: String?
    public var requiresWritable: Bool
    public var connectTimeout: Int
    public var applicationName: String
    /// TLS to the server, as libpq's sslmode: `disable`, `require` (encrypted, the server unverified) or
    /// `verify-full` (its certificate chains to `sslrootcert` and names the host).
    public var tls: TLSMode = .disable
    public var rootCertificatePath: String?

    public enum TLSMode: String, Sendable, Hashable {
        case disable
        case require
        case verifyFull = "verify-full"
    }

    /// The URL without its password, for messages and logs.
    public var description: String {
        var text = "postgres://\(user)@" + hosts.map { "\($0.name):\($0.port)" }.joined(separator: ",") + "/\(database)"
        if let schema { text += "?schema=\(schema)" }
        return text
    }

    public init(hosts: [Host], user: String, password: String? = nil, database: String, schema: String? = nil,
                requiresWritable: Bool = true, connectTimeout: Int = 5, applicationName: String = "epki") {
        self.hosts = hosts
        self.user = user
        self.password = password
        self.database = database
        self.schema = schema
        self.requiresWritable = requiresWritable
        self.connectTimeout = connectTimeout
        self.applicationName = applicationName
    }

    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(url text: String) throws {
        func invalid(_ why: String) -> StoreError {
            StoreError(.cannotOpen, "the store location '\(Self.redacted(text))' is not a PostgreSQL URL: \(why) "
                + "(postgres://USER@HOST:PORT[,HOST:PORT]/DATABASE)")
        }
        guard let schemeEnd = text.range(of: "://"), Self.isPostgresURL(text) else { throw invalid("it must begin with postgres://") }
        var rest = String(text[schemeEnd.upperBound...])
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = String(rest[..<mark])
        }
        var user = "postgres"
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = String(rest[..<at])
            rest = String(rest[rest.index(after: at)...])
            if let colon = credentials.firstIndex(of: ":") {
                user = Self.decode(String(credentials[..<colon]))
                password = Self.decode(String(credentials[credentials.index(after: colon)...]))
            } else {
                user = Self.decode(credentials)
            }
        }
        var database = user
        if let slash = rest.firstIndex(of: "/") {
            let name = Self.decode(String(rest[rest.index(after: slash)...]))
            if !name.isEmpty { database = name }
            rest = String(rest[..<slash])
        }
        var hosts: [Host] = []
        for part in rest.split(separator: ",", omittingEmptySubsequences: false) {
            var name = String(part)
            var port = 5432
            if name.hasPrefix("["), let close = name.firstIndex(of: "]") {
                let after = name[name.index(after: close)...]
                if after.hasPrefix(":") {
                    guard let value = Int(after.dropFirst()), (1...65535).contains(value) else { throw invalid("the port of '\(part)' is not a number from 1 to 65535") }
                    port = value
                }
                name = String(name[name.index(after: name.startIndex)..<close])
            } else if let colon = name.lastIndex(of: ":") {
                guard let value = Int(name[name.index(after: colon)...]), (1...65535).contains(value) else {
                    throw invalid("the port of '\(part)' is not a number from 1 to 65535")
                }
                port = value
                name = String(name[..<colon])
            }
            guard !name.isEmpty else { throw invalid("a host is empty") }
            hosts.append(Host(name: name, port: port))
        }
        guard !hosts.isEmpty else { throw invalid("no host") }
        var location = PostgresLocation(hosts: hosts, user: user, password: password, database: database)
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let key = parts[0]
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            switch key {
            case "target_session_attrs":
                switch value {
                case "read-write", "primary": location.requiresWritable = true
                case "any": location.requiresWritable = false
                default: throw invalid("target_session_attrs '\(value)' is not read-write, primary or any")
                }
            case "schema":
                guard Self.isIdentifier(value) else { throw invalid("the schema '\(value)' is not a plain identifier ([a-z_][a-z0-9_]*)") }
                location.schema = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else { throw invalid("connect_timeout '\(value)' is not a positive number of seconds") }
                location.connectTimeout = seconds
            case "application_name":
                location.applicationName = value
            case "passfile":
                // The password from a file of its own (its first line), so that it is in neither argv nor the URL.
                guard let text = try? String(contentsOfFile: value, encoding: .utf8) else {
                    throw invalid("the passfile '\(value)' cannot be read")
                }
                location.password = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            case "sslmode":
                switch value {
                case "disable": location.tls = .disable
                case "require": location.tls = .require
                case "verify-full", "verify-ca": location.tls = .verifyFull
                default: throw invalid("sslmode '\(value)' is not disable, require or verify-full (epki does not fall back to plain text)")
                }
            case "sslrootcert":
                location.rootCertificatePath = value
            default:
                throw invalid("the parameter '\(key)' is not one epki knows (target_session_attrs, schema, connect_timeout, application_name, passfile, sslmode, sslrootcert)")
            }
        }
        if location.tls == .verifyFull, location.rootCertificatePath == nil {
            throw invalid("sslmode=verify-full needs sslrootcert=FILE, the CA certificate the server's chains to")
        }
        self = location
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || ("a"..."z").contains(first) else { return false }
        return text.count <= 63 && text.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    static func decode(_ text: String) -> String {
        text.removingPercentEncoding ?? text
    }

    /// The URL with any password replaced, for error messages: secrets never reach logs.
    public static func redacted(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text[schemeEnd.upperBound...].lastIndex(of: "@") else { return text }
        let credentials = text[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
