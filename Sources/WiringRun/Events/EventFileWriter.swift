// WiringLab: presentation only (not part of the code version)
// One TensorBoard event file: TFRecord framing (uint64 length, masked CRC-32C of the length, the data,
// masked CRC-32C of the data, all little-endian) around serialized `tensorflow.Event` protobufs. The
// first record names the format ("brain.Event:2"); each later one holds a summary of scalars (the
// `simple_value` TensorBoard's scalar dashboard plots), a text (the text plugin's string tensor) or a
// session start (after which TensorBoard's reader drops the events of earlier files at later steps).
// Records are buffered and written out at least every `flushInterval` seconds, so a live run shows up
// while it works.
import Foundation

/// Appends event records to a new `events.out.tfevents.<time>.<host>` file of a folder.
package final class EventFileWriter {
    /// The file being written.
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var lastFlush = Date()
    let flushInterval: TimeInterval

    /// Creates the folder if needed and a new event file in it (never appending to an older file, so
    /// that each invocation of a resumed run has its own).
    /// - Throws: `RunError.cannotWrite` when the folder or file cannot be created.
    package init(folder: URL, wallTime: Date = Date(), flushInterval: TimeInterval = 2) throws {
        self.flushInterval = flushInterval
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw RunError.cannotWrite(path: folder.path, reason: describeFileError(error))
        }
        // TensorBoard reads a folder's files in name order: a later file of the same second sorts after.
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        let base = "events.out.tfevents.\(String(format: "%010d", Int(wallTime.timeIntervalSince1970))).\(host)"
        var name = base
        var counter = 0
        while FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
            counter += 1
            name = "\(base).\(counter)"
        }
        path = folder.appendingPathComponent(name).path
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw RunError.cannotWrite(path: path, reason: "cannot create the event file")
        }
        self.handle = handle
        var version = ProtobufMessage()
        version.double(1, wallTime.timeIntervalSince1970)
        version.string(3, "brain.Event:2")
        append(version)
        try flush()
    }

    deinit {
        try? flush()
        try? handle.close()
    }

    /// Scalars of one step, as one event.
    func scalars(_ values: [(tag: String, value: Double)], step: Int, wallTime: Date = Date()) throws {
        guard !values.isEmpty else { return }
        var summary = ProtobufMessage()
        for (tag, value) in values {
            var entry = ProtobufMessage()
            entry.string(1, tag)
            entry.float(2, Float(value))
            summary.message(1, entry)
        }
        try event(step: step, wallTime: wallTime) { $0.message(5, summary) }
    }

    /// A text (Markdown) for TensorBoard's text dashboard: a scalar string tensor with the "text" plugin tag.
    func text(_ tag: String, _ text: String, step: Int, wallTime: Date = Date()) throws {
        var pluginData = ProtobufMessage()
        pluginData.string(1, "text")
        var metadata = ProtobufMessage()
        metadata.message(1, pluginData)
        var tensor = ProtobufMessage()
        tensor.varint(1, 7)  // DT_STRING
        tensor.message(2, ProtobufMessage())  // a scalar: no dimensions
        tensor.string(8, text)
        var entry = ProtobufMessage()
        entry.string(1, tag)
        entry.message(9, metadata)
        entry.message(8, tensor)
        var summary = ProtobufMessage()
        summary.message(1, entry)
        try event(step: step, wallTime: wallTime) { $0.message(5, summary) }
    }

    /// A session start at `step`: TensorBoard's reader discards what earlier files recorded at `step` and
    /// later (a resumed run's steps after its checkpoint that a crashed invocation had already written).
    func sessionStart(step: Int, wallTime: Date = Date()) throws {
        var log = ProtobufMessage()
        log.varint(1, 1)  // SessionLog.START
        try event(step: step, wallTime: wallTime) { $0.message(7, log) }
    }

    private func event(step: Int, wallTime: Date, _ fill: (inout ProtobufMessage) -> Void) throws {
        var event = ProtobufMessage()
        event.double(1, wallTime.timeIntervalSince1970)
        event.varint(2, Int64(step))
        fill(&event)
        append(event)
        if Date().timeIntervalSince(lastFlush) >= flushInterval { try flush() }
    }

    private func append(_ message: ProtobufMessage) { buffer += Self.record(message.bytes) }

    /// One TFRecord: length, masked CRC of the length bytes, data, masked CRC of the data.
    static func record(_ data: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { length += $0 }
        var out = length
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { out += $0 }
        out += data
        withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { out += $0 }
        return out
    }

    /// Writes the buffered records to the file.
    func flush() throws {
        lastFlush = Date()
        guard !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: Data(buffer))
        } catch {
            throw RunError.cannotWrite(path: path, reason: describeFileError(error))
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
