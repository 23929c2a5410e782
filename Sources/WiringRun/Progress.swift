// WiringLab: presentation only (not part of the code version)
// Progress of long work: one updating line on a terminal, plain periodic lines otherwise (logs, CI).
// Shows step, time left, epoch (from 0), loss, accuracy, phase, speed and run, as many as fit the terminal.
import Foundation
import WiringSpec

/// Reports a run's progress on standard error.
public final class ProgressReporter {
    let quiet: Bool
    let interactive: Bool
    /// Seconds between lines when not on a terminal.
    let interval: Double
    var runLabel = ""
    var totalSteps = 0
    var startStep = 0
    var started = Date()
    var lastPrint = Date.distantPast
    var smoothedLoss: Double?
    var smoothedAccuracy: Double?

    /// Columns of the terminal the updating line must fit.
    let width: Int

    /// - Parameter interactive: one updating line (default: when stderr is a terminal); a sweep's children
    ///   print plain periodic lines instead, so that they never redraw over each other.
    public init(quiet: Bool = false, interval: Double = 10, interactive: Bool? = nil) {
        self.quiet = quiet
        self.interactive = interactive ?? (isatty(STDERR_FILENO) != 0)
        self.interval = interval
        width = Terminal.width(STDERR_FILENO)
    }

    func emit(_ line: String, transient: Bool = false) {
        guard !quiet else { return }
        let line = line.count < width ? line : String(line.prefix(max(1, width - 2))) + "…"
        let text = interactive && transient ? "\r\u{1B}[2K" + line : (interactive ? "\r\u{1B}[2K" : "") + line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    public func note(_ message: String) { emit(message) }

    /// Clears a transient progress line so the next output starts on a clean line.
    func clearLine() {
        if !quiet && interactive { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }

    public func start(run: RunSpec, totalSteps: Int, alreadyDone: Int) {
        runLabel = "[\(run.index)] \(run.id)" + (run.name.isEmpty ? "" : " \(run.name)")
        self.totalSteps = totalSteps
        startStep = alreadyDone
        started = Date()
        lastPrint = .distantPast
        smoothedLoss = nil
        smoothedAccuracy = nil
        emit("\(runLabel): \(totalSteps) steps" + (alreadyDone > 0 ? ", \(alreadyDone) already done" : ""))
    }

    public func step(phase: String, epoch: Int, epochs: Int, done: Int, loss: Double, accuracy: Double) {
        // Exponential moving averages make the per-batch noise readable.
        smoothedLoss = smoothedLoss.map { 0.95 * $0 + 0.05 * loss } ?? loss
        smoothedAccuracy = smoothedAccuracy.map { 0.95 * $0 + 0.05 * accuracy } ?? accuracy
        let now = Date()
        let finished = done == totalSteps
        guard finished || now.timeIntervalSince(lastPrint) >= (interactive ? 0.2 : interval) else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(started)
        let rate = Double(done - startStep) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(totalSteps - done) / rate : 0
        // The most useful parts first; whatever does not fit the terminal is left out (a wrapped updating
        // line would leave a stale row per redraw).
        let parts = [
            "\(done)/\(totalSteps)", "ETA \(ProgressReporter.duration(eta))",
            "epoch \(epoch) of \(epochs)", String(format: "loss %.3f", smoothedLoss!),
            String(format: "acc %.3f", smoothedAccuracy!), phase, String(format: "%.1f steps/s", rate), runLabel,
        ]
        var line = ""
        for part in parts {
            let next = line.isEmpty ? part : line + "  " + part
            if next.count > width - 1 { break }
            line = next
        }
        emit(line, transient: true)
    }

    public func finish(message: String) { emit("\(runLabel): \(message)") }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
            : String(format: "%dm%02ds", s / 60, s % 60)
    }
}
