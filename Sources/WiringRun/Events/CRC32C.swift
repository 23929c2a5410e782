// WiringLab: presentation only (not part of the code version)
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing: TensorBoard's
// event files checksum each record's length and data with it, masked so that a CRC stored inside checked
// data does not checksum to a fixed value. Table-driven, one byte at a time (event files are small).

/// CRC-32C and the masked form TFRecord stores.
enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { byte -> UInt32 in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes` (CRC-32C("123456789") = 0xE3069283).
    static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The checksum as TFRecord stores it: rotated right by 15 bits plus a constant.
    static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
