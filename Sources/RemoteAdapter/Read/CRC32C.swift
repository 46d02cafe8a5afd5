/// CRC-32C (Castagnoli polynomial, reflected 0x82F63B78), the checksum of each frame of a
/// streamed remote read response. Table-driven, eight bytes a step ("slicing by 8"); frames
/// are up to 1 MiB, so this runs over every byte Prescient streams.
public enum CRC32C {
    private static let tables: [[UInt32]] = {
        var t = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k][i] = (t[k - 1][i] >> 8) ^ t[0][Int(t[k - 1][i] & 0xFF)] }
        }
        return t
    }()

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { tables in
            tables[0].withUnsafeBufferPointer { t0 in
            tables[1].withUnsafeBufferPointer { t1 in
            tables[2].withUnsafeBufferPointer { t2 in
            tables[3].withUnsafeBufferPointer { t3 in
            tables[4].withUnsafeBufferPointer { t4 in
            tables[5].withUnsafeBufferPointer { t5 in
            tables[6].withUnsafeBufferPointer { t6 in
            tables[7].withUnsafeBufferPointer { t7 in
                var crc: UInt32 = 0xFFFF_FFFF
                var i = 0
                let n = bytes.count
                while i + 8 <= n {
                    let lo = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
                    let x = crc ^ lo
                    crc = t7[Int(x & 0xFF)] ^ t6[Int(x >> 8 & 0xFF)] ^ t5[Int(x >> 16 & 0xFF)] ^ t4[Int(x >> 24)]
                        ^ t3[Int(bytes[i + 4])] ^ t2[Int(bytes[i + 5])] ^ t1[Int(bytes[i + 6])] ^ t0[Int(bytes[i + 7])]
                    i += 8
                }
                while i < n {
                    crc = (crc >> 8) ^ t0[Int((crc ^ UInt32(bytes[i])) & 0xFF)]
                    i += 1
                }
                return ~crc
            }}}}}}}}
        }
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }
}
