import Foundation
import PKICore
import Testing

/// Keys keep their OpenSSL signature contexts and lend them to one thread at a time; these tests hammer one key
/// from several threads and check every result.
@Suite struct SignatureContextTests {
    @Test("one key signs and verifies from four threads at once, every signature valid", arguments: [
        KeySpecification.ec(.p256, parameters: .namedCurve), .ec(.brainpoolP256r1, parameters: .explicit), .rsa(bits: 2048),
    ])
    func concurrentUseOfOneKey(_ specification: KeySpecification) throws {
        let key = try PrivateKey.generate(specification)
        let signer = SoftwareSigner(key: key)
        let algorithm: SignatureAlgorithm = if case .rsa = specification { .rsaPSS(.sha256) } else { .ecdsa(.sha256) }
        let perThread = 40
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<perThread {
                let message = Array("thread \(thread) message \(index)".utf8)
                do {
                    let signature = try signer.sign(message, algorithm: algorithm)
                    guard try key.publicKey.isValidSignature(signature, for: message, algorithm: algorithm),
                          try !key.publicKey.isValidSignature(signature, for: message + [0], algorithm: algorithm) else {
                        failures.add("thread \(thread) message \(index): the signature does not check out")
                        continue
                    }
                } catch {
                    failures.add("thread \(thread) message \(index): \(error)")
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(5))")
    }

    @Test("a key used with two algorithms keeps a context for each")
    func twoAlgorithmsOnOneKey() throws {
        let key = try PrivateKey.generate(.rsa(bits: 2048))
        let signer = SoftwareSigner(key: key)
        let message = Array("one key, two paddings".utf8)
        for _ in 0..<3 {
            let pss = try signer.sign(message, algorithm: .rsaPSS(.sha256))
            let pkcs1 = try signer.sign(message, algorithm: .rsaPKCS1v15(.sha384))
            #expect(try key.publicKey.isValidSignature(pss, for: message, algorithm: .rsaPSS(.sha256)))
            #expect(try key.publicKey.isValidSignature(pkcs1, for: message, algorithm: .rsaPKCS1v15(.sha384)))
            #expect(try !key.publicKey.isValidSignature(pss, for: message, algorithm: .rsaPKCS1v15(.sha256)))
        }
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ text: String) { lock.lock(); items.append(text); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
