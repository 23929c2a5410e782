// WiringLab: presentation only (not part of the code version)
// TensorBoard event files while a run works (`record.tensorboard: true` or `wiringlab run --tensorboard`):
// after every step the runner hands its logs here and whatever they gained since the last call is written
// (RunEvents decides what), flushed at least every two seconds. Each invocation writes a new file in the
// run's folder `<results>/tensorboard/<setting>-<id>/`; a resumed one starts at the checkpoint's step
// with a session start, so TensorBoard drops any steps a crashed invocation wrote after that checkpoint.
// It only reads the logs: results are bitwise the same with and without.
import Foundation
import WiringSpec

/// The event file of one invocation of a run.
final class LiveEvents {
    let writer: EventFileWriter
    /// Rows of the logs already written.
    private var steps: Int, searchEpochs: Int, evalPasses: Int

    /// The folder of run `spec`'s event files in results folder `folder`.
    static func folder(for spec: RunSpec, plan: ExperimentPlan, in folder: URL) -> URL {
        folder.appendingPathComponent("tensorboard", isDirectory: true).appendingPathComponent(
            RunEvents.folderName(setting: spec.setting(experiment: plan.name), seed: spec.replicateSeed, runID: spec.id),
            isDirectory: true)
    }

    /// Starts a new event file; `records` are the logs as resumed (empty for a fresh run).
    init(folder: URL, records: RunRecords, settings: String) throws {
        writer = try EventFileWriter(folder: folder)
        (steps, searchEpochs, evalPasses) = (records.log.count, records.searchLog.epochs, records.evalLog.count)
        if steps == 0 && searchEpochs == 0 && evalPasses == 0 {
            try writer.text(RunEvents.settingsTag, settings, step: 0)
        } else {
            try writer.sessionStart(step: steps)
        }
        try writer.flush()
    }

    /// Writes what the logs gained: new steps, then, when `epochEnded`, the mean costs of the epoch that the
    /// last step closed, then new search-epoch and eval rows.
    func update(_ records: RunRecords, epochEnded: Bool) throws {
        while steps < records.log.count {
            let row = RunEvents.step(steps, of: records)
            try writer.scalars(row.values, step: row.step)
            steps += 1
        }
        if epochEnded && records.log.count > 0 {
            try writer.scalars(RunEvents.epochCost(endingAt: records.log.count - 1, of: records).values,
                               step: records.log.count - 1)
        }
        while searchEpochs < records.searchLog.epochs {
            let row = RunEvents.searchEpoch(searchEpochs, of: records)
            try writer.scalars(row.values, step: row.step)
            searchEpochs += 1
        }
        while evalPasses < records.evalLog.count {
            let row = RunEvents.evalPass(evalPasses, of: records)
            try writer.scalars(row.values, step: row.step)
            evalPasses += 1
        }
        if epochEnded { try writer.flush() }
    }
}
