// WiringLab: presentation only (not part of the code version)
// The few protocol-buffer wire encodings an event record needs (varint, 64- and 32-bit little-endian,
// length-delimited), written by hand so that WiringLab writes TensorBoard files without TensorFlow or a
// protobuf library. Fields are appended in the order the caller gives; readers accept any order.

/// One protobuf message being encoded.
struct ProtobufMessage {
    private(set) var bytes: [UInt8] = []

    /// Wire types of the protobuf encoding.
    private enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    private mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func appendKey(_ field: Int, _ type: WireType) { appendVarint(UInt64(field) << 3 | type.rawValue) }

    /// An int64, enum or bool field (negative values take ten bytes, as protobuf's int64 does).
    mutating func varint(_ field: Int, _ value: Int64) {
        appendKey(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    mutating func double(_ field: Int, _ value: Double) {
        appendKey(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    mutating func float(_ field: Int, _ value: Float) {
        appendKey(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        appendKey(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ value: ProtobufMessage) { bytes(field, value.bytes) }
}
