// Runs one planned run: its phases in order, every step's probes into the step log, periodic
// checkpoints, and at the end the finished run as a plain `RunResult`, handed to `RunOptions.writeResult`
// (the report layer's writer). Resumable at any step: see Checkpoint.swift.
//
// Each phase kind has its runner (ProbePhase, TrainPhase, SearchPhase: one file each, behind
// `PhaseRunner`); this file owns what they share: the data order, the step loop, the logs, the
// optimiser, the thread count and the checkpoints.
import Foundation
import WiringData
import WiringEngine
import WiringModel
import WiringResults
import WiringSearch
import WiringSpec

/// What `executeRun` did.
public enum RunOutcome: Equatable, Sendable {
    /// The result file was written.
    case finished(path: String)
    /// Stopped early on request (`maxSteps`), leaving a checkpoint to resume from.
    case stopped(checkpoint: String, steps: Int)
    /// Stopped by SIGINT or SIGTERM at a step boundary, leaving a checkpoint to resume from.
    case interrupted(checkpoint: String, steps: Int, signal: Int32)
    /// Another process is running it (holds its lock); nothing was done.
    case busy(pid: Int32?)
    /// Another process finished it meanwhile.
    case alreadyDone(path: String)
}

/// Settings of one execution that do not change its results.
public struct RunOptions {
    public var outFolder: URL
    /// Stop after this many steps in this invocation, leaving a checkpoint (resume later).
    public var maxSteps: Int?
    /// Seconds between checkpoints (`--checkpoint-every`); SIGINT, SIGTERM and `maxSteps` also write one.
    public var checkpointInterval: Double
    public var progress: ProgressReporter
    /// Write TensorBoard event files while the run works (`--tensorboard`; also `record.tensorboard`).
    public var tensorboard: Bool
    /// Worker threads of the run, given by whoever starts it (`run --threads`: a sweep's child, a Slurm task);
    /// nil: the manifest's `threads`. Results are bitwise the same for any count, so it is not part of a run id.
    public var threads: Int?
    /// In a `--jobs N` sweep's child: the share of cores its parent hands on as siblings finish
    /// (`run --thread-share-file`); the run raises its threads to it between steps. Nil elsewhere.
    public var threadShare: SweepThreadShare.Follower?
    /// Writes the result file of the finished run (the report layer's writer; `WiringExperiment` passes it).
    package var writeResult: RunResultWriter

    package init(outFolder: URL, maxSteps: Int? = nil, checkpointInterval: Double = 60,
                 progress: ProgressReporter = ProgressReporter(quiet: true), tensorboard: Bool = false,
                 threads: Int? = nil, threadShare: SweepThreadShare.Follower? = nil,
                 writeResult: @escaping RunResultWriter) {
        self.threads = threads
        self.threadShare = threadShare
        self.outFolder = outFolder
        self.maxSteps = maxSteps
        self.checkpointInterval = checkpointInterval
        self.progress = progress
        self.tensorboard = tensorboard
        self.writeResult = writeResult
    }
}

/// Runs `spec` of `plan` to completion (or to `options.maxSteps`), resuming from its checkpoint.
/// - Throws: `DataError` (missing data), `ResultsError` (unwritable results), `RunError`.
public func executeRun(_ spec: RunSpec, plan: ExperimentPlan, options: RunOptions) throws -> RunOutcome {
    let folder = options.outFolder
    do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
        throw RunError.cannotWrite(path: folder.path, reason: describeFileError(error))
    }
    // One process per run id: a second invocation of the sweep skips it.
    let lock: RunLock
    switch try RunLock.acquire(id: spec.id, in: folder) {
    case let .acquired(held): lock = held
    case let .busy(pid): return .busy(pid: pid)
    }
    defer { lock.release() }
    let result = folder.appendingPathComponent(RunFiles.result(spec.id)).path
    if try DamagedFiles.hasIntactResult(spec.id, in: folder, progress: options.progress) { return .alreadyDone(path: result) }
    // Partial files of earlier writers are dead: only the lock holder writes.
    let checkpoint = folder.appendingPathComponent(RunFiles.checkpoint(spec.id)).path
    for stale in HDF5File.partialFiles(of: result) + HDF5File.partialFiles(of: checkpoint) {
        try? FileManager.default.removeItem(atPath: stale)
    }
    switch spec.config.precision {
    case .float32: return try RunExecutor<Float>(spec: spec, plan: plan, options: options).run()
    case .float64: return try RunExecutor<Double>(spec: spec, plan: plan, options: options).run()
    }
}

/// The reason of a Foundation file error in a few words ("Permission denied", "Not a directory").
func describeFileError(_ error: Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    switch ns.code {
    case NSFileWriteNoPermissionError: return "permission denied"
    case NSFileWriteOutOfSpaceError: return "no space left on device"
    case NSFileWriteVolumeReadOnlyError: return "read-only file system"
    case NSFileWriteFileExistsError: return "a file is in the way"
    default: return ns.localizedDescription
    }
}

final class RunExecutor<T: TensorElement> {
    let spec: RunSpec
    let plan: ExperimentPlan
    let options: RunOptions
    let config: RunConfig
    let data: RunData
    let net: Supernet<T>
    let domains: [EdgeDomain]
    /// The theta optimiser of the current phase, momentum buffers included (a new phase starts a new one; a
    /// checkpoint keeps its buffers). Probe phases leave it untouched.
    var optimizer = SGD<T>(config: SGDConfig())
    var log: StepLog
    var splits = SplitSums()
    /// Alpha per epoch of search phases, and the search-batch costs of bi-level DARTS.
    var searchLog = SearchLog()
    /// One row per eval pass over the test images.
    var evalLog = EvalLog()
    /// One row per probe phase with `exact_cost`.
    var probeLog = ProbeLog()
    /// The shape of the search diagnostics rows; nil when no search phase has `diagnostics`.
    lazy var diagnosticsLayout = DiagnosticsLayout(config: config, edges: net.topology.edges.count)
    var cursor: RunCursor
    let tape = Tape<T>()
    /// Steps taken by this invocation (for `maxSteps`), and when the last checkpoint was written.
    var stepsThisInvocation = 0
    var lastCheckpoint = Date()
    /// The worker threads the steps of this invocation use now: `RunOptions.threads` or the manifest's `threads`,
    /// raised between steps by a sweep's tail (`RunOptions.threadShare`). Each step binds it as the engine's
    /// `Parallel.threads` for its extent (`withThreads`); nothing sets a process-wide count.
    private(set) var threads: Int
    /// When this invocation started, and the wall seconds earlier invocations of the run spent (checkpoint).
    let invocationStart = Date()
    var earlierSeconds = 0.0
    /// Wall seconds the run has taken so far, resumed invocations included (the results' `compute_seconds`).
    var computeSeconds: Double { earlierSeconds + Date().timeIntervalSince(invocationStart) }
    /// The TensorBoard event file of this invocation, when asked for; it only reads the logs.
    var liveEvents: LiveEvents?
    /// The labels of the run's dimensions (as in the result file).
    var labels: [String: [String]] {
        RunRecords.labels(phases: config.phases.map(\.name), cells: config.network.cells,
                          edges: net.topology.edges.map(\.label), ops: config.network.ops.map(\.rawValue),
                          nodes: config.network.steps)
    }
    /// The finished run as plain values, for the result file.
    var result: RunResult {
        RunResult(spec: spec, plan: plan, config: config, log: log, splits: splits, searchLog: searchLog,
                  evalLog: evalLog, probeLog: probeLog, labels: labels, edges: net.topology.edges.count,
                  singleOpEdges: domains.map { !$0.deleted && $0.allowed.count == 1 }, dataRoot: data.root,
                  dataChecksum: data.checksum, dataMean: data.mean, dataStd: data.std, precision: T.precisionName,
                  computeSeconds: computeSeconds, threads: cursor.threadsUsed ?? threads)
    }
    /// The logs so far, for the event file.
    var records: RunRecords { RunRecords(log: log, searchLog: searchLog, evalLog: evalLog, labels: labels) }

    var checkpointPath: String { options.outFolder.appendingPathComponent(RunFiles.checkpoint(spec.id)).path }
    var resultPath: String { options.outFolder.appendingPathComponent(RunFiles.result(spec.id)).path }

    init(spec: RunSpec, plan: ExperimentPlan, options: RunOptions) throws {
        self.spec = spec
        self.plan = plan
        self.options = options
        config = spec.config
        data = try RunData(config.data, seed: config.seed, loadsTest: config.phases.contains { $0.evaluates })
        var initRNG = RNG(seed: config.seed, stream: "init")
        net = Supernet<T>(config: config.network, rng: &initRNG)
        domains = try config.network.edgeDomains()
        log = StepLog(cells: config.network.cells, edges: net.topology.edges.count, ops: config.network.ops.count,
                      steps: config.network.steps, recordsSamples: config.record.perSample)
        cursor = RunCursor(runID: spec.id, sampleRNG: RNG(seed: config.seed, stream: "sample"))
        threads = max(1, options.threads ?? config.threads)
    }

    /// Steps from now on use `count` threads; the run records the most it used (`RunCursor.threadsUsed`).
    func use(threads count: Int) {
        threads = count
        cursor.threadsUsed = max(cursor.threadsUsed ?? 0, count)
    }

    /// Runs `body` with the engine's kernels on this run's current `threads`.
    func withThreads<R>(_ body: () throws -> R) rethrows -> R {
        try Parallel.$threads.withValue(threads, operation: body)
    }

    // MARK: - Phases

    func run() throws -> RunOutcome {
        try resumeFromTheLatestGoodCheckpoint()
        use(threads: threads)  // after the resume: the checkpoint's cursor holds what earlier invocations used
        if options.tensorboard || config.record.tensorboard {
            liveEvents = try LiveEvents(folder: LiveEvents.folder(for: spec, plan: plan, in: options.outFolder),
                                        records: records, settings: try settingsText())
        }
        options.progress.start(run: spec, totalSteps: config.totalSteps, alreadyDone: log.count)

        while cursor.phaseIndex < config.phases.count {
            let p = cursor.phaseIndex
            // Each kind's runner, as its concrete type, so the step loop below is specialised for it.
            let finished: Bool
            switch config.phases[p].work {
            case let .probe(settings):
                var phase = ProbePhase(executor: self, phase: p, settings: settings)
                finished = try runSteps(of: p, &phase)
            case let .train(settings):
                var phase = TrainPhase(executor: self, settings: settings)
                finished = try runSteps(of: p, &phase)
            case let .search(settings):
                var rng = RNG(seed: config.seed, stream: "alpha\(p)")
                finished = try withSearchStrategy(config: settings.search, network: config.network, domains: domains,
                                                  rng: &rng, SearchPhaseLoop(executor: self, phase: p, settings: settings))
            case let .eval(settings):
                try withThreads { try runEvalPhase(p, settings: settings) }
                try liveEvents?.update(records, epochEnded: false)
                finished = true
            }
            if !finished {
                if let signal = Interruption.pending {
                    return .interrupted(checkpoint: checkpointPath, steps: log.count, signal: signal)
                }
                return .stopped(checkpoint: checkpointPath, steps: log.count)
            }
            cursor.phaseIndex += 1
            cursor.stepInPhase = 0
            cursor.loader = nil
            cursor.searchLoader = nil
            cursor.searchState = nil
        }
        try liveEvents?.writer.flush()
        try options.writeResult(result, resultPath)
        try? FileManager.default.removeItem(atPath: checkpointPath)
        try? FileManager.default.removeItem(atPath: Checkpoint.previous(of: checkpointPath))
        options.progress.finish(message: "wrote \(RunFiles.result(spec.id))")
        return .finished(path: resultPath)
    }

    /// Restores the last checkpoint, or the one before it when the last cannot be used; a checkpoint that cannot be
    /// used (damaged, unsealed, of another layout or configuration) is moved aside with a note. With neither, the
    /// run starts from the beginning. Nothing of a refused checkpoint reaches the run's state.
    func resumeFromTheLatestGoodCheckpoint() throws {
        for path in [checkpointPath, Checkpoint.previous(of: checkpointPath)]
        where FileManager.default.fileExists(atPath: path) {
            var parameters = net.parameters, momentum = optimizer.momentum, log = log, splits = splits
            var searchLog = searchLog, evalLog = evalLog, probeLog = probeLog
            do {
                // Checkpoint.read checks the seal before it reads a value.
                cursor = try Checkpoint.read(from: path, runID: spec.id, parameters: &parameters, momentum: &momentum,
                                             log: &log, splits: &splits, searchLog: &searchLog, evalLog: &evalLog,
                                             probeLog: &probeLog)
            } catch let error as InvalidInput {
                let reason = if case let RunError.unusableCheckpoint(reason) = error { reason } else { DamagedFiles.reason(error) }
                guard let aside = DamagedFiles.moveAside(path) else {
                    throw RunError.cannotWrite(path: path, reason: "unusable checkpoint cannot be moved aside: \(reason)")
                }
                // What was done first, so that a line cut to the terminal's width still says it.
                options.progress.note("checkpoint moved aside, not resumed from: \((path as NSString).lastPathComponent) -> "
                                      + "\((aside as NSString).lastPathComponent): \(reason)")
                continue
            }
            net.parameters = parameters
            (optimizer.momentum, self.log, self.splits, self.searchLog, self.evalLog) = (momentum, log, splits, searchLog, evalLog)
            self.probeLog = probeLog
            earlierSeconds = cursor.computeSeconds ?? 0
            options.progress.note("resuming \(spec.id) at step \(log.count)"
                                  + (path == checkpointPath ? "" : " from the checkpoint before the last"))
            return
        }
    }

    /// Runs the remaining steps of phase `p` with `phase`, recording every step.
    /// - Returns: false when stopped early (`maxSteps`, or SIGINT/SIGTERM), after writing a checkpoint.
    func runSteps<Phase: PhaseRunner>(of p: Int, _ phase: inout Phase) throws -> Bool where Phase.Element == T {
        let config = self.config.phases[p]
        var loader = try BatchLoader<T>(dataset: data.train, batchSize: self.config.data.batchSize, mode: .shuffled,
                                        augmentation: self.config.data.augment ? .standard : .none,
                                        seed: phaseSeed(p))
        if let position = cursor.loader { try loader.restore(position) }
        // A new phase starts a new optimiser; a resumed one keeps the checkpoint's momentum.
        let momentum = cursor.stepInPhase == 0 ? [:] : optimizer.momentum
        optimizer = SGD(config: config.work.optimizer ?? SGDConfig())
        optimizer.momentum = momentum
        let steps = stepCount(phase: p)
        let epochs = epochCount(phase: p)
        while cursor.stepInPhase < steps {
            // The step's kernels, epoch end and eval pass on the run's threads of this step.
            guard let (epoch, lr, result) = try withThreads({ () throws -> (Int, Double, PhaseStepResult)? in
                guard let batch = loader.next() else { return nil }  // nil once at each epoch's end
                let epoch = cursor.stepInPhase / loader.batchesPerEpoch
                let lr = config.work.optimizer?.learningRate(epoch: epoch, of: epochs) ?? 0
                return (epoch, lr, try phase.step(images: batch.images, labels: batch.labels, epoch: epoch, epochs: epochs,
                                                  lr: lr))
            }) else { continue }
            log.append(phase: p, epoch: epoch, lr: lr, probe: result.probe, architecture: result.architecture,
                       noneIndex: net.noneIndex, skipIndex: self.config.network.ops.firstIndex(of: .skipConnect),
                       topology: net.topology)
            splits.add(phase: p, epoch: epoch, samples: result.probe.samples)
            let stops = phase.stopsHere
            let endsEpoch = stops || cursor.stepInPhase + 1 == steps || (cursor.stepInPhase + 1) % loader.batchesPerEpoch == 0
            if endsEpoch {
                try withThreads {
                    try phase.endEpoch(epoch)
                    if evaluatesAfter(epoch: epoch, of: epochs, every: config.work.evalEvery) {
                        try evaluate(phase: p, epoch: epoch) { rng in phase.evaluationArchitecture(rng: &rng) }
                    }
                }
            }
            try liveEvents?.update(records, epochEnded: endsEpoch)
            cursor.stepInPhase = stops ? steps : cursor.stepInPhase + 1  // stopped: the phase is done
            cursor.loader = loader.position
            stepsThisInvocation += 1
            if let threads = options.threadShare?.poll(current: threads) {
                use(threads: threads)
                options.progress.note("\(spec.id): \(threads) threads from now on (cores that finished runs freed)")
            }
            options.progress.step(phase: config.name, epoch: epoch, epochs: epochs, done: log.count,
                                  loss: result.probe.loss, accuracy: result.probe.accuracy)
            if Interruption.pending != nil {
                try saveCheckpoint()
                // Said even with --quiet: it is the answer to the user's Ctrl-C.
                options.progress.clearLine()
                FileHandle.standardError.write(Data("\(spec.id): interrupted at step \(log.count); run again to continue\n".utf8))
                return false
            }
            if let limit = options.maxSteps, stepsThisInvocation >= limit {
                try saveCheckpoint()
                options.progress.finish(message: "stopped after \(stepsThisInvocation) steps; checkpoint \(RunFiles.checkpoint(spec.id))")
                return false
            }
            if Date().timeIntervalSince(lastCheckpoint) > options.checkpointInterval {
                try saveCheckpoint()
                lastCheckpoint = Date()
            }
        }
        return true
    }

    /// The data-order seed of phase `p`, derived from the run seed.
    func phaseSeed(_ p: Int) -> UInt64 {
        var rng = RNG(seed: config.seed, stream: "phase\(p)")
        return rng.next()
    }

    /// Training steps of phase `p` (`PhaseConfig.steps`: the one place for a phase's length).
    func stepCount(phase p: Int) -> Int { config.steps(ofPhase: p) }

    /// Epochs of phase `p` (`PhaseConfig.epochs`).
    func epochCount(phase p: Int) -> Int { config.epochs(ofPhase: p) }

    /// One architecture for a probe or train step.
    func sample(_ sampling: WiringSpec.SamplingMode) -> Architecture { sample(sampling, rng: &cursor.sampleRNG) }

    /// One architecture drawn with `rng`.
    func sample(_ sampling: WiringSpec.SamplingMode, rng: inout RNG) -> Architecture {
        switch sampling {
        case .uniform:
            var sampler = UniformSampler(perCell: config.sampling.perCell)
            return sampler.sample(domains: domains, cells: config.network.cells, rng: &rng)
        case .fixed:
            // Each edge takes the first op its constraints allow (fix every edge to choose them).
            return .shared(domains.map { $0.deleted ? .deleted : .op($0.allowed[0]) }, cells: config.network.cells)
        }
    }

    /// The run's settings for TensorBoard's text dashboard (the config as the result file stores it).
    func settingsText() throws -> String {
        RunEvents.settingsText(experiment: plan.name, runID: spec.id, name: spec.name, codeVersion: plan.codeVersion,
                               config: config.manifestJSON.prettyText)
    }

    func saveCheckpoint() throws {
        try liveEvents?.writer.flush()  // what the checkpoint holds is in the event file too
        cursor.computeSeconds = computeSeconds
        try Checkpoint.keepAsPrevious(checkpointPath)
        try Checkpoint.write(to: checkpointPath, cursor: cursor, parameters: net.parameters, momentum: optimizer.momentum,
                             log: log, splits: splits, searchLog: searchLog, evalLog: evalLog,
                             probeLog: probeLog)
    }
}
