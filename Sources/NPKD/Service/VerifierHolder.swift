import Foundation
import LDS
import PKICore

/// Passive authentication with a chain cache that is dropped every `lifetime` seconds, so a trust decision taken
/// while the service runs (a CSCA withdrawn) reaches the answers within a minute. Revocation is never cached.
final class VerifierHolder: Sendable {
    private let state: Locked<(created: Date, verifier: PassiveAuthentication)>
    private let trustSource: NPKDTrustSource
    private let clock: any PKIClock
    private let lifetime: TimeInterval

    init(trustSource: NPKDTrustSource, clock: any PKIClock, lifetime: TimeInterval) {
        self.trustSource = trustSource
        self.clock = clock
        self.lifetime = lifetime
        state = Locked((Date(), PassiveAuthentication(trustSource: trustSource, clock: clock)))
    }

    func current() -> PassiveAuthentication {
        state.withLock { state in
            if Date().timeIntervalSince(state.created) > lifetime {
                state = (Date(), PassiveAuthentication(trustSource: trustSource, clock: clock))
            }
            return state.verifier
        }
    }
}
