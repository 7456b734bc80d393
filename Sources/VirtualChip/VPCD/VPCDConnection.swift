import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The virtual chip in a reader of pcscd: a TCP connection to vsmartcard's vpcd driver, which pcscd shows as a
/// reader ("Virtual PCD 00 00") holding a card for as long as the connection lasts.
///
/// ```
/// frame (both ways)   length (2 bytes, big-endian) ‖ payload
/// vpcd → card         1 byte: 00 power off, 01 power on, 02 reset (no answer), 04 get ATR (answer: the ATR)
///                     more bytes: a command APDU (answer: response data ‖ SW1 SW2)
/// ```
/// The card is the client: vpcd listens on its port (35963 for the first slot unless configured otherwise).
public final class VPCDConnection: @unchecked Sendable {
    /// T=1, no historical bytes (ISO/IEC 7816-3): an ATR pcscd accepts.
    public static let defaultATR: [UInt8] = [0x3B, 0x80, 0x80, 0x01, 0x01]

    public let host: String
    public let port: UInt16
    private let socket: Int32
    private let stopped = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    /// Connects to vpcd; the card is "inserted" once `run` serves the connection.
    public init(host: String = "127.0.0.1", port: UInt16 = 35963) throws {
        self.host = host
        self.port = port
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw VirtualChipError(.connectionFailed, "socket(): \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(descriptor)
            throw VirtualChipError(.connectionFailed, "'\(host)' is not an IPv4 address")
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw VirtualChipError(.connectionFailed, "cannot reach vpcd at \(host):\(port): \(reason) (is pcscd running with vsmartcard-vpcd?)")
        }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        socket = descriptor
    }

    deinit { close(socket) }

    /// Serves `chip` on a thread of its own until `stop()` or until vpcd closes the connection.
    public func start(_ chip: EMRTDChip, atr: [UInt8] = VPCDConnection.defaultATR) {
        let worker = Thread { [self] in
            try? serve(chip, atr: atr)
            done.signal()
        }
        worker.name = "vpcd \(host):\(port)"
        started.store(true, ordering: .releasing)
        worker.start()
    }

    /// Removes the card: closes the connection (pcscd sees the card leave) and waits for the thread.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(socket, Int32(SHUT_RDWR))
        if started.load(ordering: .acquiring) { done.wait() }
    }

    /// The loop: read a frame, answer it. Returns when vpcd closes the connection.
    public func serve(_ chip: EMRTDChip, atr: [UInt8] = VPCDConnection.defaultATR) throws {
        while !stopped.load(ordering: .acquiring) {
            let header = try read(2)
            let length = Int(header[0]) << 8 | Int(header[1])
            let message = try read(length)
            if length == 1 {
                switch message[0] {
                case 0x00, 0x01, 0x02: chip.reset()
                case 0x04: try write(atr)
                default: break
                }
                continue
            }
            try write(chip.process(message))
        }
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            // Acknowledge at once. With Linux's delayed ACKs every APDU through pcscd took about 80 ms (a blank chip
            // personalized with 250 commands: 20 s; with this, 1.7 s): vpcd's next frame waited on our ACK. Linux
            // clears the flag after use, so it is set before every read.
            var one: Int32 = 1
            setsockopt(socket, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
            let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + received, count - received, 0) }
            guard n > 0 else { throw VirtualChipError(.connectionClosed, "vpcd at \(host):\(port) closed the connection") }
            received += n
        }
        return buffer
    }

    private func write(_ payload: [UInt8]) throws {
        let frame = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        var sent = 0
        while sent < frame.count {
            let n = frame.withUnsafeBytes { send(socket, $0.baseAddress! + sent, frame.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw VirtualChipError(.connectionClosed, "vpcd at \(host):\(port): \(String(cString: strerror(errno)))") }
            sent += n
        }
    }
}
