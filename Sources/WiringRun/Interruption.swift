// Ctrl-C and a cluster's SIGTERM: the first SIGINT or SIGTERM asks the running work to stop at the next
// step boundary (the runner then writes a checkpoint and says how to continue); a second one exits at
// once. Under `--jobs` the parent passes the request on to its children as SIGTERM (they ignore the
// terminal's SIGINT, so one Ctrl-C is one request), and a second signal ends the children too.
import Foundation

/// The pending stop request of this process.
public enum Interruption {
    /// The signal that asked to stop, or nil.
    public static var pending: Int32? {
        let s = pendingSignal.pointee
        return s == 0 ? nil : s
    }

    /// Installs the handlers for SIGINT and SIGTERM (idempotent). A sweep child ignores SIGINT: its parent
    /// forwards the request as SIGTERM.
    public static func install(asChild: Bool = false) {
        pendingSignal.pointee = 0
        setChildren([])  // both buffers exist before a handler can read them
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handleSignal
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        if asChild {
            signal(SIGINT, SIG_IGN)
        } else {
            sigaction(SIGINT, &action, nil)
        }
        sigaction(SIGTERM, &action, nil)
        // A process started from a thread that blocks signals (a Dispatch worker, some launchers) inherits
        // that mask; unblock these two, or the request would wait forever.
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGINT)
        sigaddset(&mask, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &mask, nil)
    }

    /// Children to pass a request on to (at most `childSlots`, written before they can be signalled).
    static func setChildren(_ pids: [Int32]) {
        for i in 0..<childSlots { childPIDs[i] = i < pids.count ? pids[i] : 0 }
    }

    /// Exit status for an interruption by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM).
    public static func exitStatus(_ signal: Int32) -> Int32 { 128 + signal }

    /// Forgets a pending request (tests).
    static func reset() { pendingSignal.pointee = 0 }
}

/// Written by the handler, read by the step loop; plain memory, as a handler may touch nothing else.
private let pendingSignal: UnsafeMutablePointer<Int32> = {
    let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
}()

private let childSlots = 256
private let childPIDs: UnsafeMutablePointer<Int32> = {
    let p = UnsafeMutablePointer<Int32>.allocate(capacity: childSlots)
    p.initialize(repeating: 0, count: childSlots)
    return p
}()

/// First signal: remember it and tell the children. Second: end the children and exit now.
private func handleSignal(_ signal: Int32) {
    let second = pendingSignal.pointee != 0
    pendingSignal.pointee = signal
    for i in 0..<childSlots where childPIDs[i] > 0 { kill(childPIDs[i], SIGTERM) }
    if second {
        // async-signal-safe exit: no atexit handlers, no buffered output.
        _exit(128 + signal)
    }
}
