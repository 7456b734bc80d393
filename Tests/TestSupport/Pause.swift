import Foundation

extension TestSupport {
    /// Waits about `milliseconds` without a Dispatch timer. `Task.sleep` arms libdispatch's timer with an absolute
    /// CLOCK_MONOTONIC deadline (`timerfd_settime` with TFD_TIMER_ABSTIME), which libfaketime 0.9.10 rewrites as if
    /// it were a wall-clock time: under `faketime -f +365d` the timer is due decades from now, and the task wakes
    /// only if something else happens to wake the Dispatch manager. The suite runs under libfaketime, so its waits
    /// sleep on a thread of their own (nanosleep, which libfaketime passes through) instead.
    public static func pause(milliseconds: Int) async {
        await withCheckedContinuation { (resumed: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
                resumed.resume()
            }
            thread.start()
        }
    }
}
