// TensorBoard event files and the tidy CSV, checked with the real readers: the `tensorboard` package's
// EventAccumulator and record reader (from the virtual environment `make test` creates, .venv-tools/),
// h5py and Debian's pandas. A run with event files on writes bitwise the same result file as one
// without; every scalar TensorBoard reads back equals the HDF5 value (as float32); the export of the
// finished file equals what the live run wrote; a flipped data byte fails the reader's CRC check; the
// CSV's rows match the datasets; a resumed run's event files hold every step once.
import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

/// The package's tools environment (Makefile: `make test` creates it with `pip install tensorboard`).
let toolsPython = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(".venv-tools/bin/python").path

/// Whether the tools environment can read event files, CSV and HDF5 (asked once).
let tensorboardReadersPresent: Bool = {
    FileManager.default.isExecutableFile(atPath: toolsPython)
        && (try? runProcess(toolsPython, ["-c", "import tensorboard, h5py, pandas, numpy"]).status) == 0
}()

/// A probe, a DSNAS search with an eval pass per epoch, a single-level DARTS search (mixtures: `op_cost`)
/// and an eval phase, on two cells.
func eventsPlan(_ extra: [String] = [], sweep: String = "") throws -> ExperimentPlan {
    let yaml = tinyManifest.components(separatedBy: "phases:")[0].replacingOccurrences(
        of: "network: {cell: minimal, channels: 4}", with: "network: {cell: minimal, channels: 4, cells: 2}") + """
        phases:
          - {name: init, kind: probe, batches: 2}
          - {name: search, kind: search, algorithm: dsnas, epochs: 2, eval_every: 1}
          - {name: darts, kind: search, algorithm: darts, epochs: 1}
          - {name: test, kind: eval, epochs: 1}
        """ + sweep
    return try Manifest(yaml: yaml, file: "events.yaml", overrides: ["data.test_size=20"] + extra).plan(codeVersion: "test")
}

/// The event files of `folder`'s runs (the first run folder under `<folder>/tensorboard/`).
func eventFolder(_ folder: URL) throws -> URL {
    let base = folder.appendingPathComponent("tensorboard")
    let runs = try FileManager.default.contentsOfDirectory(atPath: base.path).sorted()
    return base.appendingPathComponent(runs[0])
}

@Suite(.serialized) struct EventFormatTests {
    @Test func crc32cMatchesPublishedVectors() {
        // "123456789" (the CRC catalogue's check value) and RFC 3720 B.4's 32-byte vectors.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map(UInt8.init)) == 0x113F_DB5C)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func protobufVarintsFollowTheWireFormat() {
        // Protocol Buffers encoding guide: field 1 = 150 is 08 96 01; a negative int64 takes ten bytes.
        var message = ProtobufMessage()
        message.varint(1, 150)
        #expect(message.bytes == [0x08, 0x96, 0x01])
        var negative = ProtobufMessage()
        negative.varint(2, -1)
        #expect(negative.bytes == [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        var text = ProtobufMessage()
        text.string(2, "testing")
        #expect(text.bytes == [0x12, 0x07] + Array("testing".utf8))
    }

    @Test func exportRefusesWhatIsNoResultInOneLine() throws {
        let folder = temporaryFolder("export-bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("notes.h5")
        try "not HDF5".write(to: text, atomically: true, encoding: .utf8)
        for (source, says) in [(folder.appendingPathComponent("missing").path, "no such result file or folder"),
                               (text.path, "not an HDF5 file"), (folder.path, "no result files")] {
            do {
                _ = try RunExport(sources: [source])
                Issue.record("\(source) was accepted")
            } catch let error as InvalidInput {
                let line = "\(error)"
                #expect(line.contains(source) && line.contains(says) && !line.contains("\n"), "\(line)")
            }
        }
    }

    @Test func eventFilesDoNotChangeTheResults() throws {
        let plan = try eventsPlan()
        let plain = temporaryFolder("events-off"), watched = temporaryFolder("events-on")
        defer { try? FileManager.default.removeItem(at: plain); try? FileManager.default.removeItem(at: watched) }
        guard case let .finished(a) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: plain)),
              case let .finished(b) = try executeRun(plan.runs[0], plan: plan,
                                                     options: RunOptions(outFolder: watched, tensorboard: true)) else {
            Issue.record("a run did not finish")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: plain.appendingPathComponent("tensorboard").path))
        let events = try FileManager.default.contentsOfDirectory(atPath: try eventFolder(watched).path)
        #expect(events.count == 1 && events[0].hasPrefix("events.out.tfevents."))
        let x = try allDatasets(a), y = try allDatasets(b)
        #expect(x.keys.sorted() == y.keys.sorted())
        for key in x.keys.sorted() {
            #expect(x[key]!.map(\.bitPattern) == y[key]?.map(\.bitPattern), "dataset \(key) differs")
        }
        // The manifest key does the same as the flag, and does not change the run id.
        let keyed = try eventsPlan(["record.tensorboard=true"])
        #expect(keyed.runs[0].id == plan.runs[0].id)
        #expect(keyed.runs[0].config.record.tensorboard)
    }
}

@Suite(.serialized, .enabled(if: tensorboardReadersPresent,
                             "needs .venv-tools/bin/python with tensorboard, h5py and pandas (`make deps-test` creates it)"))
struct TensorBoardReaderTests {
    /// Reads the live event folder, the exported one, a corrupted copy and the CSV against the result file.
    static let checker = #"""
        import sys, glob, os, shutil, struct, tempfile
        import numpy as np, h5py, pandas as pd
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        from tensorboard.compat.tensorflow_stub import pywrap_tensorflow, errors

        h5path, live, exported, csvpath = sys.argv[1:5]
        f = h5py.File(h5path, "r")
        labels = {n: [x.decode() if isinstance(x, bytes) else x for x in f[n][()]] for n in ["phases", "cells", "edges", "ops", "nodes"]}
        labels["subset"] = ["correct", "wrong", "all"]
        labels["quantity"] = ["loss", "entropy", "cost", "count"]
        def dims(ds):
            # Dimension scales themselves (steps/step, ...) have no scales attached.
            return [os.path.basename(d[0].name) for d in ds.dims] if "DIMENSION_LIST" in ds.attrs else []
        phase, epoch = f["steps/phase"][()], f["steps/epoch"][()]
        n = len(phase)
        def step_of(p, e):
            hit = np.nonzero((phase == p) & (epoch == e))[0]
            if len(hit): return int(hit[-1])
            before = np.nonzero(phase < p)[0]
            return int(before[-1]) if len(before) else 0
        index_columns = {"phase", "epoch", "epoch_batches"}

        # What TensorBoard must show, from the HDF5 file alone: tag -> [(step, float32 value)].
        expected = {}
        def add(tag, step, value):
            if not np.isnan(value): expected.setdefault(tag, []).append((step, np.float32(value)))
        for name in list(f["steps"]) + list(f["checks"]):
            path = ("steps/" if name in f["steps"] else "checks/") + name
            ds = f[path]
            if name in index_columns or dims(ds) != ["step"]: continue
            for s, v in enumerate(ds[()]): add(path, s, v)
        for group, row_dim, rows_phase, rows_epoch in [("search", "search_epoch", "search/phase", "search/epoch"), ("eval", "eval_epoch", "eval/phase", "eval/epoch")]:
            if group not in f: continue
            ps, es = f[rows_phase][()], f[rows_epoch][()]
            for name in f[group]:
                ds = f[group + "/" + name]
                d = dims(ds)
                if name in index_columns or not d or d[0] != row_dim or any(x not in labels for x in d[1:]): continue
                values = ds[()]
                for r in range(len(ps)):
                    step = step_of(ps[r], es[r])
                    for idx in np.ndindex(*values.shape[1:]):
                        add("/".join([group + "/" + name] + [labels[x][i] for x, i in zip(d[1:], idx)]), step, values[(r,) + idx])
        # Mean batch cost per (cell, edge, op) over each epoch's steps.
        edge_op, edge_cost = f["steps/edge_op"][()], f["steps/edge_cost"][()]
        op_cost = f["steps/op_cost"][()] if "op_cost" in f["steps"] else None
        ends = [s for s in range(n) if s + 1 == n or (phase[s + 1], epoch[s + 1]) != (phase[s], epoch[s])]
        for last in ends:
            rows = np.nonzero((phase == phase[last]) & (epoch == epoch[last]))[0]
            for c, cell in enumerate(labels["cells"]):
                for e, edge in enumerate(labels["edges"]):
                    for o, op in enumerate(labels["ops"]):
                        costs = [edge_cost[s, c, e] for s in rows if edge_op[s, c, e] == o] + \
                                [op_cost[s, c, e, o] for s in rows if edge_op[s, c, e] == -1]
                        if costs: expected.setdefault("cost_mean/%s/%s/%s" % (cell, edge, op), []).append((int(last), np.float32(np.mean(costs))))

        def load(folder):
            acc = EventAccumulator(folder, size_guidance={"scalars": 0, "tensors": 0})
            acc.Reload()
            return acc, {t: [(e.step, np.float32(e.value)) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}
        acc, got = load(live)
        missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
        assert not missing and not extra, ("tags", missing[:5], extra[:5])
        for tag, want in expected.items():
            have = got[tag]
            assert [s for s, _ in have] == [s for s, _ in want], (tag, "steps", have[:4], want[:4])
            if tag.startswith("cost_mean/"):
                assert np.allclose([v for _, v in have], [v for _, v in want], rtol=1e-6, atol=0), (tag, have, want)
            else:
                assert [v for _, v in have] == [v for _, v in want], (tag, have[:4], want[:4])
        settings = acc.Tensors("settings")[0].tensor_proto.string_val[0].decode()
        assert f.attrs["run_id"] in settings and '"seed"' in settings, settings[:200]
        print("live scalars", len(got), "tags", sum(len(v) for v in got.values()), "values")

        _, again = load(exported)
        assert again == got, "the export differs from the live files"

        # A flipped byte inside the third record's data: tensorboard's record reader reports the checksum.
        source = sorted(glob.glob(os.path.join(live, "events.out.tfevents.*")))[0]
        data = bytearray(open(source, "rb").read())
        offset = 0
        for _ in range(2):
            length = struct.unpack("<Q", data[offset:offset + 8])[0]
            offset += 8 + 4 + length + 4
        data[offset + 12 + 3] ^= 0x01
        corrupt = os.path.join(tempfile.mkdtemp(), "events.out.tfevents.0.corrupt")
        open(corrupt, "wb").write(bytes(data))
        reader = pywrap_tensorflow.PyRecordReader_New(corrupt, 0, None, None)
        read = 0
        try:
            while True:
                reader.GetNext()
                read += 1
        except errors.DataLossError as error:
            assert "crc" in str(error).lower(), str(error)
            assert read == 2, read
        else:
            raise AssertionError("the corrupted record was read without a checksum error")
        print("corrupt record reported after", read, "good records")

        # The tidy CSV: every row matches its dataset.
        table = pd.read_csv(csvpath, float_precision="round_trip")
        mine = table[table.run_id == f.attrs["run_id"]]
        checked = 0
        for quantity, rows in mine.groupby("quantity"):
            if quantity == "summary/cost_mean":
                mean, sem, count = f["summary/cost_mean"][()], f["summary/cost_sem"][()], f["summary/cost_count"][()]
                assert len(rows) == int((count > 0).sum()), (quantity, len(rows))
                for r in rows.itertuples():
                    i = (labels["phases"].index(r.phase), labels["cells"].index(r.cell), labels["edges"].index(r.edge), labels["ops"].index(r.op))
                    assert r.value == mean[i] and r.stderr == sem[i] and count[i] > 0, (quantity, r)
                    assert np.isnan(r.epoch) and np.isnan(r.step)
                checked += len(rows)
                continue
            ds = f[quantity]
            d = dims(ds)
            values = ds[()]
            assert len(rows) == values.size, (quantity, len(rows), values.shape)
            for r in rows.itertuples():
                if d[0] == "step":
                    row = int(r.step)
                    assert labels["phases"][phase[row]] == r.phase and epoch[row] == r.epoch
                else:
                    group = quantity.split("/")[0]
                    ps, es = f[group + "/phase"][()], f[group + "/epoch"][()]
                    hits = [k for k in range(len(ps)) if labels["phases"][ps[k]] == r.phase and es[k] == r.epoch]
                    assert len(hits) == 1, (quantity, r)
                    row = hits[0]
                    assert step_of(ps[row], es[row]) == r.step
                idx = [row] + [labels[x].index(getattr(r, {"cells": "cell", "edges": "edge", "ops": "op"}[x])) for x in d[1:]]
                want = values[tuple(idx)]
                assert (np.isnan(want) and np.isnan(r.value)) or r.value == want, (quantity, r, want)
                assert np.isnan(r.stderr)
                if quantity == "steps/edge_cost":
                    op = edge_op[tuple(idx)]
                    assert (labels["ops"][op] if op >= 0 else "") == (r.op if isinstance(r.op, str) else ""), (r, op)
            checked += len(rows)
        assert checked == len(mine)
        print("csv rows", checked, "columns", list(table.columns))
        print("ok")
        """#

    @Test func tensorboardAndPandasReadBackTheResultFile() throws {
        let plan = try eventsPlan()
        let folder = temporaryFolder("events-read")
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan,
                                                        options: RunOptions(outFolder: folder, tensorboard: true)) else {
            Issue.record("the run did not finish")
            return
        }
        let export = try RunExport(sources: [folder.path])
        let exported = folder.appendingPathComponent("exported").path
        let folders = try export.writeTensorBoard(to: exported)
        #expect(folders.count == 1)
        let csv = folder.appendingPathComponent("tidy.csv").path
        #expect(try export.writeCSV(to: csv) > 0)
        let live = try eventFolder(folder)
        #expect(URL(fileURLWithPath: folders[0]).lastPathComponent == live.lastPathComponent)
        let output = try runProcess(toolsPython, ["-c", Self.checker, path, live.path, folders[0], csv])
        #expect(output.status == 0, "\(output.text)")
        #expect(output.text.contains("ok"), "\(output.text)")
    }

    @Test func resumedRunWritesEveryStepOnce() throws {
        let plan = try eventsPlan()
        let straight = temporaryFolder("events-straight"), resumed = temporaryFolder("events-resumed")
        defer { try? FileManager.default.removeItem(at: straight); try? FileManager.default.removeItem(at: resumed) }
        _ = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: straight, tensorboard: true))
        // Stop mid-epoch of the search (after step 4); a second invocation writes steps 5-7 and then "crashes":
        // its checkpoint is replaced by the one of step 4, so the third resumes there and writes 5-7 again.
        // TensorBoard's reader must keep only the third's (the session start at step 5 drops the second's).
        let options = { (limit: Int) in RunOptions(outFolder: resumed, maxSteps: limit, tensorboard: true) }
        _ = try executeRun(plan.runs[0], plan: plan, options: options(5))
        let checkpoint = resumed.appendingPathComponent(RunFiles.checkpoint(plan.runs[0].id)).path
        let saved = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        _ = try executeRun(plan.runs[0], plan: plan, options: options(3))
        try saved.write(to: URL(fileURLWithPath: checkpoint))
        _ = try executeRun(plan.runs[0], plan: plan, options: options(100))
        let files = try FileManager.default.contentsOfDirectory(atPath: try eventFolder(resumed).path)
        #expect(files.count == 3, "one event file per invocation: \(files)")
        let script = """
            import sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            def load(folder):
                acc = EventAccumulator(folder, size_guidance={"scalars": 0})
                acc.Reload()
                return {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}
            a, b = load(sys.argv[1]), load(sys.argv[2])
            def first_difference(x, y):
                k = next((i for i, (u, v) in enumerate(zip(x, y)) if u != v), min(len(x), len(y)))
                return (len(x), len(y), x[k:k + 2], y[k:k + 2])
            assert a == b, [(t, first_difference(a[t], b.get(t, []))) for t in sorted(a) if a[t] != b.get(t)][:3]
            steps = [s for s, _ in b["steps/loss"]]
            assert steps == list(range(len(steps))), steps
            print("ok", len(steps), "steps")
            """
        let output = try runProcess(toolsPython, ["-c", script, try eventFolder(straight).path, try eventFolder(resumed).path])
        #expect(output.status == 0 && output.text.contains("ok"), "\(output.text)")
    }

    @Test func exportOfASweepNamesEachSettingAndItsGridColumns() throws {
        let plan = try eventsPlan(sweep: "\ngrid: {network.channels: [4, 6]}\n")
        let folder = temporaryFolder("events-sweep")
        defer { try? FileManager.default.removeItem(at: folder) }
        for spec in plan.runs { _ = try executeRun(spec, plan: plan, options: RunOptions(outFolder: folder)) }
        let export = try RunExport(sources: [folder.path])
        let folders = try export.writeTensorBoard(to: folder.appendingPathComponent("tb").path).map {
            URL(fileURLWithPath: $0).lastPathComponent
        }
        #expect(Set(folders) == Set(plan.runs.map { "\($0.setting(experiment: plan.name))-\($0.id)" }))
        #expect(folders.allSatisfy { $0.hasPrefix("4-") || $0.hasPrefix("6-") }, "\(folders)")
        let csv = folder.appendingPathComponent("sweep.csv").path
        _ = try export.writeCSV(to: csv)
        let script = """
            import sys, pandas as pd
            t = pd.read_csv(sys.argv[1])
            assert list(t.columns) == ["run_id", "channels", "seed", "phase", "epoch", "step", "cell", "edge", "op", "quantity", "value", "stderr"], list(t.columns)
            assert sorted(t.channels.unique()) == [4, 6], t.channels.unique()
            assert t.groupby("run_id").channels.nunique().max() == 1
            loss = t[t.quantity == "steps/loss"]
            assert len(loss) == 2 * loss.step.nunique()
            print("ok")
            """
        let output = try runProcess(toolsPython, ["-c", script, csv])
        #expect(output.status == 0 && output.text.contains("ok"), "\(output.text)")
    }
}
