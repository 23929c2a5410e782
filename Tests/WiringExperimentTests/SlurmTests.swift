// `wiringlab submit` and the Slurm status in `plan`. Two kinds of tests:
// - always: the generated batch script, the squeue parser, and the CLI against stand-in `sbatch` / `squeue`
//   scripts on PATH (what is submitted, what a resubmission leaves out, what `plan` shows, sbatch missing);
// - with WIRINGLAB_SLURM=1 (set by .ci/run and `make slurm-test` once tools/slurm-cluster.sh has a one-node
//   cluster up): real job arrays, whose results must be bitwise those of a local run, also across a requeue.
import Foundation
import Testing
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// Three runs of a few seconds each.
private let threeRunManifest = tinyManifest + "\ngrid: {seed: [1, 2, 3]}\n"

/// Writes an executable shell script.
private func writeTool(_ name: String, in folder: URL, _ body: String) throws {
    let url = folder.appendingPathComponent(name)
    try ("#!/bin/sh\n" + body + "\n").write(to: url, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
}

/// The environment with `folder` first on PATH (or PATH replaced by it).
private func path(_ folder: URL, only: Bool = false) -> [String: String] {
    let inherited = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return ["PATH": only ? folder.path : folder.path + ":" + inherited]
}

@Suite struct SlurmScriptTests {
    @Test func theScriptRunsEachTaskAsOneRunWithItsCPUsAndAsksForASignalAndARequeue() throws {
        let plan = try Manifest(yaml: threeRunManifest, file: "three.yaml").plan(codeVersion: "v'1")
        var settings = SlurmSettings()
        settings.partition = "short"
        settings.time = "2:00:00"
        settings.cpusPerTask = 4
        settings.memory = "2G"
        settings.maxParallel = 2
        settings.extraArguments = ["--account=lab"]
        let array = SlurmJobArray(plan: plan, runs: Array(plan.runs.dropFirst()), manifestPath: "/m/three.yaml",
                                  overrides: ["data.batch_size=4"], folder: URL(fileURLWithPath: "/r/three"),
                                  executable: "/opt/wl/wiringlab", workingDirectory: "/home/u", settings: settings)
        let s = array.script
        for line in ["#SBATCH --array=0-1%2", "#SBATCH --cpus-per-task=4", "#SBATCH --time=2:00:00",
                     "#SBATCH --partition=short", "#SBATCH --mem=2G", "#SBATCH --account=lab", "#SBATCH --requeue",
                     "#SBATCH --signal=B:USR1@120", "#SBATCH --chdir=/home/u", "#SBATCH --job-name=wiringlab-tiny",
                     "run_ids=(\(plan.runs[1].id) \(plan.runs[2].id))",
                     "'/opt/wl/wiringlab' 'run' '/m/three.yaml' 'data.batch_size=4' --threads \"${SLURM_CPUS_PER_TASK:-1}\" --out '/r/three' --only \"$run_id\" --code-version 'v'\\''1'",
                     "scontrol requeue", "trap request_stop USR1 TERM"] {
            #expect(s.contains(line), "missing: \(line)\n\(s)")
        }
        #expect(array.taskMap == "0\t\(plan.runs[1].id)\t\(plan.runs[1].name)\n1\t\(plan.runs[2].id)\t\(plan.runs[2].name)\n")
        #expect(array.scriptURL.path == "/r/three/slurm/tiny.sbatch")
        #expect(array.taskMapURL.path == "/r/three/slurm/tiny.tasks")
        // bash itself must accept the script.
        let dir = temporaryFolder("slurm-syntax")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("x.sbatch")
        try s.write(to: file, atomically: true, encoding: .utf8)
        let syntax = try runTool("/bin/bash", ["-n", file.path])
        #expect(syntax.status == 0, "\(syntax.stderr)")
    }

    @Test func squeueLinesBecomeTasks() {
        let tasks = parseQueue("17|0|RUNNING\n17|1|PENDING\n 18|2|REQUEUED \ngarbage\n19|N/A|PENDING\n")
        #expect(tasks == [QueuedTask(jobID: "17", taskIndex: 0, running: true),
                          QueuedTask(jobID: "17", taskIndex: 1, running: false),
                          QueuedTask(jobID: "18", taskIndex: 2, running: false)])
    }

    @Test func submitSendsTheRunsNotDoneAndPlanShowsQueuedAndFailedTasks() throws {
        let dir = temporaryFolder("slurm-fake")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tools = dir.appendingPathComponent("bin"), out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: tools, withIntermediateDirectories: true)
        let manifest = dir.appendingPathComponent("three.yaml")
        try threeRunManifest.write(to: manifest, atomically: true, encoding: .utf8)
        let binary = try wiringlabBinary()
        let plan = try Manifest(yaml: threeRunManifest, file: "three.yaml").plan(codeVersion: "t")
        let ids = plan.runs.map(\.id)
        // A stand-in sbatch that keeps the script it was given; squeue shows task 1 of job 42 pending.
        try writeTool("sbatch", in: tools, "cp \"$2\" '\(dir.path)/submitted.sbatch'; echo 42")
        try writeTool("squeue", in: tools, "echo '42|1|PENDING'")
        // Run 0 is done already (a stand-in result file): only runs 1 and 2 are submitted.
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: out.appendingPathComponent("\(ids[0]).h5").path, contents: Data())
        let submit = try runTool(binary, ["submit", manifest.path, "--out", out.path, "--code-version", "t",
                                          "--max-parallel", "1"], in: dir, environment: path(tools))
        #expect(submit.status == 0, "\(submit.stderr)")
        #expect(submit.stdout.contains("submitted job array 42 with 2 of 3 runs"), "\(submit.stdout)")
        let script = try String(contentsOf: dir.appendingPathComponent("submitted.sbatch"), encoding: .utf8)
        #expect(script.contains("run_ids=(\(ids[1]) \(ids[2]))") && script.contains("--array=0-1%1"), "\(script)")
        let ledger = try String(contentsOf: out.appendingPathComponent("slurm/jobs.tsv"), encoding: .utf8)
        #expect(ledger == "42\t0\t\(ids[1])\n42\t1\t\(ids[2])\n")

        // squeue knows task 1 (run 2) only: run 1 ended without a result.
        let shown = try runTool(binary, ["plan", manifest.path, "--out", out.path, "--code-version", "t"],
                                in: dir, environment: path(tools))
        #expect(shown.status == 0, "\(shown.stderr)")
        let rows = shown.stdout.split(separator: "\n")
        func row(_ id: String) -> String { String(rows.first { $0.contains(id) } ?? "") }
        #expect(row(ids[0]).contains(" done "), "\(shown.stdout)")
        #expect(row(ids[1]).contains(" failed "), "\(shown.stdout)")
        #expect(row(ids[2]).contains(" queued "), "\(shown.stdout)")
        #expect(shown.stdout.contains("failed: \(ids[1]): log \(out.path)/slurm/\(ids[1]).log"), "\(shown.stdout)")

        // A resubmission sends the failed run again, not the queued one.
        try writeTool("sbatch", in: tools, "cp \"$2\" '\(dir.path)/resubmitted.sbatch'; echo '43;cluster'")
        let again = try runTool(binary, ["submit", manifest.path, "--out", out.path, "--code-version", "t"],
                                in: dir, environment: path(tools))
        #expect(again.status == 0 && again.stdout.contains("job array 43 with 1 of 3 runs"), "\(again.stdout)\(again.stderr)")
        let second = try String(contentsOf: dir.appendingPathComponent("resubmitted.sbatch"), encoding: .utf8)
        #expect(second.contains("run_ids=(\(ids[1]))") && second.contains("--array=0-0\n"), "\(second)")
    }

    @Test func withoutSbatchSubmitSaysSoAndDryRunStillPrintsTheScript() throws {
        let dir = temporaryFolder("slurm-nosbatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("three.yaml")
        try threeRunManifest.write(to: manifest, atomically: true, encoding: .utf8)
        let binary = try wiringlabBinary()
        let empty = dir.appendingPathComponent("empty-bin")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let missing = try runTool(binary, ["submit", manifest.path, "--code-version", "t"], in: dir,
                                  environment: path(empty, only: true))
        #expect(missing.status == 2)
        #expect(missing.stderr == "sbatch: not found on PATH; submit from a Slurm login node, or use --dry-run to print the script\n")
        let dry = try runTool(binary, ["submit", manifest.path, "--code-version", "t", "--dry-run",
                                       "--sbatch-arg=--qos=low"], in: dir, environment: path(empty, only: true))
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.hasPrefix("#!/bin/bash\n") && dry.stdout.contains("#SBATCH --array=0-2\n")
                && dry.stdout.contains("#SBATCH --qos=low\n"), "\(dry.stdout)")
        #expect(dry.stdout.contains("/wiringlab' 'run' '\(manifest.path)'"), "\(dry.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("results/tiny/slurm").path))
        // sbatch refusing the job is one line too: the line that says why.
        try writeTool("sbatch", in: empty, "echo 'sbatch: error: x'; echo 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2; exit 1")
        let refused = try runTool(binary, ["submit", manifest.path, "--code-version", "t", "--partition", "nope"], in: dir,
                                  environment: path(empty))
        #expect(refused.status == 2)
        #expect(refused.stderr == "sbatch refused the job: sbatch: error: Batch job submission failed: Invalid partition name specified\n",
                "\(refused.stderr)")
        let bad = try runTool(binary, ["submit", manifest.path, "--sbatch-arg", "account=lab", "--dry-run"], in: dir)
        #expect(bad.status == 2 && bad.stderr.contains("--sbatch-arg 'account=lab'"), "\(bad.stderr)")
    }
}

/// Whether the CI script has a Slurm cluster up for these tests.
private let clusterIsUp = ProcessInfo.processInfo.environment["WIRINGLAB_SLURM"] == "1"

@Suite(.serialized, .enabled(if: clusterIsUp, "needs the one-node cluster of tools/slurm-cluster.sh (WIRINGLAB_SLURM=1)"))
struct SlurmClusterTests {
    /// Polls until `done` holds or `seconds` pass; false on timeout.
    func wait(_ seconds: Double, _ done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if done() { return true }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return done()
    }

    func results(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".h5") }
    }

    func expectSameResults(_ reference: URL, _ cluster: URL, count: Int) throws {
        let expected = try resultsIn(reference), got = try resultsIn(cluster)
        #expect(expected.count == count && got.keys == expected.keys, "\(got.keys) vs \(expected.keys)")
        for (name, datasets) in expected {
            for (path, values) in datasets { #expect(got[name]?[path] == values, "\(name) \(path) differs from a local run's") }
        }
    }

    func logs(_ folder: URL) -> String {
        let slurm = folder.appendingPathComponent("slurm")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: slurm.path)) ?? []).filter { $0.hasSuffix(".log") }
        return names.map { "== \($0)\n" + ((try? String(contentsOf: slurm.appendingPathComponent($0), encoding: .utf8)) ?? "") }
            .joined()
    }

    @Test func aThreeRunSweepOnTheClusterEqualsALocalRun() throws {
        let dir = temporaryFolder("slurm-three")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("three.yaml")
        try threeRunManifest.write(to: manifest, atomically: true, encoding: .utf8)
        let binary = try wiringlabBinary()
        let local = dir.appendingPathComponent("local"), cluster = dir.appendingPathComponent("cluster")
        let started = Date()
        let run = try runTool(binary, ["run", manifest.path, "--out", local.path, "--quiet", "--code-version", "t"])
        #expect(run.status == 0, "\(run.stderr)")
        let localSeconds = Date().timeIntervalSince(started)

        let submitted = Date()
        let submit = try runTool(binary, ["submit", manifest.path, "--out", cluster.path, "--code-version", "t",
                                          "--max-parallel", "2", "--time", "10"], in: dir)
        // Without a cluster there is nothing to wait for: stop here, loudly.
        try #require(submit.status == 0, "\(submit.stdout)\(submit.stderr)")
        let finished = wait(180) { results(cluster).count == 3 }
        #expect(finished, "the array did not finish in 180 s; logs:\n\(logs(cluster))")
        print("SLURM three-run sweep: local \(String(format: "%.1f", localSeconds)) s, "
              + "cluster \(String(format: "%.1f", Date().timeIntervalSince(submitted))) s from submit to 3 results")
        try expectSameResults(local, cluster, count: 3)
        // Every task's log names its job and the run's exit.
        // The batch script logs the exit status after the run has renamed its result into place: wait for it.
        for id in results(cluster).map({ String($0.dropLast(3)) }) {
            let logFile = cluster.appendingPathComponent("slurm/\(id).log")
            _ = wait(30) { ((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").contains("run \(id) exited with") }
            let log = try String(contentsOf: logFile, encoding: .utf8)
            #expect(log.contains("run \(id) exited with 0"), "\(log)")
        }
        // Everything is done: plan says so and a resubmission has nothing to send.
        let plan = try runTool(binary, ["plan", manifest.path, "--out", cluster.path, "--code-version", "t"], in: dir)
        #expect(plan.stdout.contains("slurm: 3 done (of 3 submitted)"), "\(plan.stdout)")
        let again = try runTool(binary, ["submit", manifest.path, "--out", cluster.path, "--code-version", "t"], in: dir)
        #expect(again.status == 0 && again.stdout.contains("nothing to submit"), "\(again.stdout)\(again.stderr)")
    }

    @Test func aTaskStoppedWithSIGTERMIsRequeuedAndFinishesBitwiseAsIfUninterrupted() throws {
        let dir = temporaryFolder("slurm-requeue")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("long.yaml")
        try longManifest.write(to: manifest, atomically: true, encoding: .utf8)
        let binary = try wiringlabBinary()
        let local = dir.appendingPathComponent("local"), cluster = dir.appendingPathComponent("cluster")
        let run = try runTool(binary, ["run", manifest.path, "--out", local.path, "--quiet", "--code-version", "t"])
        #expect(run.status == 0, "\(run.stderr)")

        let started = Date()
        let submit = try runTool(binary, ["submit", manifest.path, "--out", cluster.path, "--code-version", "t",
                                          "--checkpoint-every", "0.2"], in: dir)
        // Without a cluster there is nothing to wait for: stop here, loudly.
        try #require(submit.status == 0, "\(submit.stdout)\(submit.stderr)")
        let job = try #require(submit.stdout.split(separator: " ").firstIndex(of: "array").map {
            String(submit.stdout.split(separator: " ")[$0 + 1]) })
        let id = try #require(try Manifest.load(contentsOf: manifest.path).plan(codeVersion: "t").runs.first?.id)
        // The first checkpoint shows the run is inside its step loop.
        let checkpointed = wait(120) {
            FileManager.default.fileExists(atPath: cluster.appendingPathComponent(RunFiles.checkpoint(id)).path)
        }
        #expect(checkpointed, "no checkpoint in 120 s; logs:\n\(logs(cluster))")
        #expect(results(cluster).isEmpty, "the run finished before it could be stopped")
        // --batch: the signal goes to the batch shell, which passes it on to the run (as Slurm's own
        // --signal=B:... does before the time limit).
        let scancel = try runTool("/usr/bin/env", ["scancel", "--batch", "--signal=TERM", "\(job)_0"])
        #expect(scancel.status == 0, "\(scancel.stderr)")
        // Slurm makes a requeued task eligible only after a delay (reason BeginTime, about two minutes);
        // start it at once to keep the test short. The resume it then does is the same.
        let task = "\(job)_0"
        var reason = ""
        let pending = wait(60) {
            reason = (try? runTool("/usr/bin/env", ["squeue", "--noheader", "--array", "--jobs", task, "--format=%T %r"]))?
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return reason.hasPrefix("PENDING")
        }
        #expect(pending, "the task was not requeued (squeue: '\(reason)'); logs:\n\(logs(cluster))")
        print("SLURM requeue: the task is back in the queue: \(reason)")
        // slurmd revoked the first attempt's credential when it killed it, and refuses a credential of the
        // same job created in that same second ("Killing non-startable batch JobId=4: Job credential
        // revoked" in slurmctld.log of a fresh-clone CI run, where the release came 0.5 s after the kill;
        // the job then ends with exit 1 and no result). Slurm's own requeue delay avoids this; wait past it.
        Thread.sleep(forTimeInterval: 2)
        let release = try runTool("/usr/bin/env", ["scontrol", "update", "JobId=\(task)", "StartTime=now"])
        #expect(release.status == 0, "\(release.stdout)\(release.stderr)")
        // The requeue is finished by slurmctld when the batch shell has exited, which can set the delay again
        // after the update above (seen once in a fresh-clone CI run: the task stayed pending for 240 s); release
        // it again whenever it waits on BeginTime.
        var lastRelease = Date()
        let finished = wait(240) {
            if results(cluster).count == 1 { return true }
            if Date().timeIntervalSince(lastRelease) > 5 {
                lastRelease = Date()
                let state = (try? runTool("/usr/bin/env", ["squeue", "--noheader", "--array", "--jobs", task, "--format=%T %r"]))?
                    .stdout ?? ""
                if state.contains("BeginTime") {
                    _ = try? runTool("/usr/bin/env", ["scontrol", "update", "JobId=\(task)", "StartTime=now"])
                }
            }
            return false
        }
        // The result is renamed into place before the run prints its summary and exits, and the batch
        // script logs the exit status after that: wait for that line too. The stopped first attempt already
        // logged "exited with 143", so look only at what the restart wrote.
        let logFile = cluster.appendingPathComponent("slurm/\(id).log")
        _ = wait(30) {
            let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            guard let restart = text.range(of: "restart 1: run \(id)") else { return false }
            return text[restart.upperBound...].contains("run \(id) exited with")
        }
        let log = try String(contentsOf: logFile, encoding: .utf8)
        #expect(finished, "no result 240 s after the SIGTERM; log:\n\(log)")
        print("SLURM requeue: \(String(format: "%.1f", Date().timeIntervalSince(started))) s from submit to the result")
        #expect(log.contains("interrupted at step"), "\(log)")
        #expect(log.contains("requeueing \(job)_0"), "\(log)")
        #expect(log.contains("restart 1: run \(id)"), "\(log)")
        #expect(log.contains("run \(id) exited with 0"), "\(log)")
        try expectSameResults(local, cluster, count: 1)
    }
}
