/// The entries of one CRL as its index wants them, packed: the serial numbers (leading zero octets dropped, as
/// `RevocationKey` does) end to end in one array, each with its revocation date. About 30 bytes an entry for the
/// 16-octet serials CAs write today, against a tree of objects per entry.
///
/// They are written sorted, in the order SQLite compares BLOBs, so the index of a million entries grows at its end
/// instead of at random places of a tree larger than the page cache: the writes stay sequential and the cache small.
struct CRLEntryBuffer {
    private(set) var serials: [UInt8] = []
    /// Where each serial starts in `serials`; it ends where the next one starts.
    private(set) var starts: [UInt32] = []
    private(set) var dates: [Double] = []

    init(capacity: Int) {
        starts.reserveCapacity(capacity)
        dates.reserveCapacity(capacity)
        serials.reserveCapacity(capacity * 16)
    }

    var count: Int { starts.count }

    mutating func append(serial: ArraySlice<UInt8>, date: Double) {
        starts.append(UInt32(serials.count))
        let significant = serial.drop(while: { $0 == 0 })
        if significant.isEmpty {
            serials.append(0)
        } else {
            serials.append(contentsOf: significant)
        }
        dates.append(date)
    }

    func range(_ index: Int) -> Range<Int> {
        Int(starts[index])..<(index + 1 < starts.count ? Int(starts[index + 1]) : serials.count)
    }

    /// The entries' positions in SQLite's BLOB order: bytes compared as unsigned over the shorter length, then the
    /// shorter first. Sorted on the first eight bytes as one big-endian number, the rest compared only on a tie.
    func sortedOrder() -> [UInt32] {
        struct Key {
            let prefix: UInt64
            let index: UInt32
        }
        var keys: [Key] = []
        keys.reserveCapacity(count)
        for index in 0..<count {
            var prefix: UInt64 = 0
            let bytes = range(index)
            for offset in 0..<8 {
                prefix <<= 8
                if offset < bytes.count { prefix |= UInt64(serials[bytes.lowerBound + offset]) }
            }
            keys.append(Key(prefix: prefix, index: UInt32(index)))
        }
        serials.withUnsafeBufferPointer { arena in
            keys.sort { a, b in
                if a.prefix != b.prefix { return a.prefix < b.prefix }
                let left = range(Int(a.index)), right = range(Int(b.index))
                let common = min(left.count, right.count)
                for offset in 0..<common where arena[left.lowerBound + offset] != arena[right.lowerBound + offset] {
                    return arena[left.lowerBound + offset] < arena[right.lowerBound + offset]
                }
                if left.count != right.count { return left.count < right.count }
                return a.index < b.index
            }
        }
        return keys.map(\.index)
    }
}
