import CLDAP
import Foundation

/// One LDAP v3 session (RFC 4511) through OpenLDAP's libldap: bind, paged search, add, modify, delete — what
/// publication to and synchronisation from an ICAO-PKD-shaped directory need, and no more.
///
/// Synchronous: each call waits for the directory's answer, on the calling thread. libldap's session is not safe to
/// share between threads, so the connection is used by one thread at a time and closed by `close()` (or deinit).
final class LDAPConnection {
    private var handle: OpaquePointer?
    let url: String

    /// Search scopes of RFC 4511 §4.5.1.2 (libldap spells them as cast macros, which Swift does not import).
    enum Scope: Int32 {
        case base = 0
        case oneLevel = 1
        case subtree = 2
    }

    /// Result codes the callers tell apart (RFC 4511 §4.1.9).
    static let noSuchObject: Int32 = 0x20
    static let alreadyExists: Int32 = 0x44

    /// Opens `url` (ldap:// or ldaps://) and binds: simply with `bindDN` and `password` when given, anonymously
    /// otherwise. The password is held only for the bind and never appears in an error.
    init(url: String, bindDN: String?, password: [UInt8]?, timeoutSeconds: Int32 = 30) throws {
        guard url.lowercased().hasPrefix("ldap://") || url.lowercased().hasPrefix("ldaps://") else {
            throw NPKDError(.badRequest, "directory URL '\(url)' is not ldap:// or ldaps://")
        }
        self.url = url
        var session: OpaquePointer?
        let opened = epki_ldap_open(url, timeoutSeconds, &session)
        guard opened == LDAP_SUCCESS, let session else {
            throw NPKDError(.directoryFailure, "cannot open directory \(url): \(Self.message(opened))")
        }
        handle = session
        let dn = bindDN ?? ""
        let secret = password ?? []
        let bound = secret.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: buffer.count) { epki_ldap_simple_bind(session, dn, $0, buffer.count) }
            } ?? epki_ldap_simple_bind(session, dn, "", 0)
        }
        guard bound == LDAP_SUCCESS else {
            close()
            throw NPKDError(.directoryFailure, "bind to \(url) as '\(dn.isEmpty ? "anonymous" : dn)' refused: \(Self.message(bound))")
        }
    }

    deinit { close() }

    func close() {
        if let handle { ldap_unbind_ext_s(handle, nil, nil) }
        handle = nil
    }

    private func session() throws -> OpaquePointer {
        guard let handle else { throw NPKDError(.directoryFailure, "the connection to \(url) is closed") }
        return handle
    }

    static func message(_ code: Int32) -> String {
        "\(String(cString: ldap_err2string(code))) (LDAP result \(code))"
    }

    private func failure(_ code: Int32, _ what: String) -> NPKDError {
        let detail = handle.map { String(cString: epki_ldap_diagnostic($0)) } ?? ""
        return NPKDError(.directoryFailure, "\(what) at \(url): \(Self.message(code))\(detail.isEmpty ? "" : ": \(detail)")")
    }

    // MARK: - Search

    /// Every entry under `base` matching `filter`, read in pages of `pageSize` (RFC 2696) so that a directory's size
    /// limit does not cut a 30,000-entry branch short. `body` sees each entry once; nil `attributes` asks for all
    /// user attributes. A base that does not exist reads as empty when `missingBaseIsEmpty`.
    func search(base: String, scope: Scope = .subtree, filter: String = "(objectClass=*)", attributes: [String]? = nil,
                pageSize: Int32 = 1000, missingBaseIsEmpty: Bool = true, _ body: (LDAPEntry) throws -> Void) throws {
        let session = try session()
        var names: [UnsafeMutablePointer<CChar>?] = (attributes ?? []).map { strdup($0) } + [nil]
        defer { for name in names { free(name) } }
        var cookie = berval(bv_len: 0, bv_val: nil)
        defer { if cookie.bv_val != nil { ber_memfree(cookie.bv_val) } }
        repeat {
            var result: OpaquePointer?
            let code = names.withUnsafeMutableBufferPointer { buffer in
                epki_ldap_search_page(session, base, scope.rawValue, filter, attributes == nil ? nil : buffer.baseAddress, pageSize, &cookie, &result)
            }
            defer { if result != nil { ldap_msgfree(result) } }
            if code == Self.noSuchObject && missingBaseIsEmpty { return }
            guard code == LDAP_SUCCESS else { throw failure(code, "search of '\(base)' for \(filter)") }
            var message = ldap_first_entry(session, result)
            while let current = message {
                try body(try entry(session, current))
                message = ldap_next_entry(session, current)
            }
        } while cookie.bv_len > 0
    }

    private func entry(_ session: OpaquePointer, _ message: OpaquePointer) throws -> LDAPEntry {
        guard let rawDN = ldap_get_dn(session, message) else { throw NPKDError(.directoryFailure, "an entry without a DN from \(url)") }
        let dn = String(cString: rawDN)
        ldap_memfree(rawDN)
        var attributes: [String: [[UInt8]]] = [:]
        var position: OpaquePointer?
        var name = ldap_first_attribute(session, message, &position)
        while let current = name {
            let type = String(cString: current)
            if let values = ldap_get_values_len(session, message, current) {
                var index = 0
                var collected: [[UInt8]] = []
                while let value = values[index] {
                    let length = Int(value.pointee.bv_len)
                    if length == 0 {
                        collected.append([])
                    } else if let bytes = value.pointee.bv_val {
                        collected.append(bytes.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) })
                    }
                    index += 1
                }
                ldap_value_free_len(values)
                attributes[type, default: []] += collected
            }
            ldap_memfree(current)
            name = ldap_next_attribute(session, message, position)
        }
        if let position { ber_free(position, 0) }
        return LDAPEntry(dn: dn, attributes: attributes)
    }

    // MARK: - Updates

    /// Result codes with which the directory refuses one entry's content rather than the session (RFC 4511 §4.1.9):
    /// a publication reports that entry and goes on with the others.
    static let contentRefusals: Set<Int32> = [
        0x13,  // constraintViolation
        0x15,  // invalidAttributeSyntax: slapd checks certificate and CRL syntax, and a non-DER certificate fails it
        0x41,  // objectClassViolation
    ]

    /// Adds `entry`. Returns LDAP_SUCCESS, or the code when it is one of `tolerated`; throws on any other.
    @discardableResult
    func add(_ entry: LDAPEntry, tolerating tolerated: Set<Int32> = []) throws -> Int32 {
        let session = try session()
        let code = withModifications(entry.attributes.map { (LDAP_MOD_ADD, $0.key, $0.value) }) { mods in
            ldap_add_ext_s(session, entry.dn, mods, nil, nil)
        }
        guard code == LDAP_SUCCESS || tolerated.contains(code) else { throw failure(code, "adding '\(entry.dn)'") }
        return code
    }

    /// Replaces the named attributes of `dn` with the given values (an empty list removes the attribute). Returns as `add`.
    @discardableResult
    func replace(dn: String, _ attributes: [String: [[UInt8]]], tolerating tolerated: Set<Int32> = []) throws -> Int32 {
        let session = try session()
        let code = withModifications(attributes.map { (LDAP_MOD_REPLACE, $0.key, $0.value) }) { mods in
            ldap_modify_ext_s(session, dn, mods, nil, nil)
        }
        guard code == LDAP_SUCCESS || tolerated.contains(code) else { throw failure(code, "modifying '\(dn)'") }
        return code
    }

    func delete(dn: String) throws {
        let code = ldap_delete_ext_s(try session(), dn, nil, nil)
        guard code == LDAP_SUCCESS else { throw failure(code, "deleting '\(dn)'") }
    }

    /// Builds the NULL-terminated LDAPMod array libldap takes, with every value as a berval (LDAP_MOD_BVALUES), and
    /// frees it after `body`.
    private func withModifications(_ changes: [(Int32, String, [[UInt8]])], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?>) -> Int32) -> Int32 {
        var allocations: [UnsafeMutableRawPointer] = []
        defer { for pointer in allocations { free(pointer) } }
        // One allocator for everything freed below: malloc, zero-filled.
        func allocate<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
            let raw: UnsafeMutableRawPointer = calloc(max(count, 1), MemoryLayout<T>.stride) ?? { fatalError("out of memory") }()
            allocations.append(raw)
            return raw.bindMemory(to: T.self, capacity: max(count, 1))
        }
        func copy(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar> {
            let pointer = allocate(CChar.self, bytes.count)
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { memcpy(pointer, base, bytes.count) }
            }
            return pointer
        }
        let mods = UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?>.allocate(capacity: changes.count + 1)
        defer { mods.deallocate() }
        for (index, (operation, type, values)) in changes.enumerated() {
            let bervals = allocate(UnsafeMutablePointer<berval>?.self, values.count + 1)
            let cells = allocate(berval.self, values.count)
            for (position, value) in values.enumerated() {
                cells[position] = berval(bv_len: ber_len_t(value.count), bv_val: copy(value))
                bervals[position] = cells + position
            }
            bervals[values.count] = nil
            let mod = allocate(LDAPMod.self, 1)
            mod.pointee.mod_op = operation | LDAP_MOD_BVALUES
            mod.pointee.mod_type = copy(Array(type.utf8) + [0])
            epki_ldap_mod_set_values(mod, values.isEmpty ? nil : bervals)
            mods[index] = mod
        }
        mods[changes.count] = nil
        return body(mods)
    }
}
