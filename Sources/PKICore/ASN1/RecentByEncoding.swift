
/// Values read recently, kept by the bytes they were read from: the same few algorithm identifiers, content types,
/// signer names and DS certificates come in every SOD a border lane reads, and reading them again for each passport
/// cost more than a look-up. Bounded: when `limit` entries are held, the whole set is dropped and refilled.
final class RecentByEncoding<Value: Sendable>: Sendable {
    private let entries = Locked<[EncodingKey: Value]>([:])
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// The value read from `encoded` before, or `read()`'s, then kept. The key is a copy of the bytes, so that the
    /// cache does not keep a whole SOD's buffer alive through a slice.
    func value(for encoded: ArraySlice<UInt8>, read: () throws -> Value) rethrows -> Value {
        if let hit = entries.withLock({ $0[EncodingKey(encoded)] }) { return hit }
        let value = try read()
        entries.withLock { entries in
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[EncodingKey(Array(encoded))] = value
        }
        return value
    }
}

/// Values computed recently from a hashable input (parsed parameters, not bytes), bounded like `RecentByEncoding`.
final class RecentValues<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Locked<[Key: Value]>([:])
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func value(_ key: Key, compute: () -> Value) -> Value {
        if let hit = entries.withLock({ $0[key] }) { return hit }
        let value = compute()
        entries.withLock { entries in
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
        return value
    }
}
