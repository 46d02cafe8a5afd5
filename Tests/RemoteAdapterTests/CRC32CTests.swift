import Testing
@testable import RemoteAdapter

@Suite struct CRC32CTests {
    struct Vector: Sendable, CustomStringConvertible {
        let input: [UInt8]
        let expected: UInt32
        var description: String { String(expected, radix: 16) }
    }

    /// Published check values: the CRC catalogue's "123456789", and RFC 3720 (iSCSI) B.4.
    static let vectors: [Vector] = [
        Vector(input: Array("123456789".utf8), expected: 0xE306_9283),
        Vector(input: Array(repeating: 0, count: 32), expected: 0x8A91_36AA),
        Vector(input: Array(repeating: 0xFF, count: 32), expected: 0x62A8_AB43),
        Vector(input: (0..<32).map { UInt8($0) }, expected: 0x46DD_794E),
        Vector(input: (0..<32).map { UInt8(31 - $0) }, expected: 0x113F_DB5C),
        Vector(input: [], expected: 0),
    ]

    @Test(arguments: vectors)
    func knownVectors(_ v: Vector) {
        #expect(CRC32C.checksum(v.input) == v.expected)
    }

    /// Eight bytes at a time must agree with the plain bit-by-bit definition at every length
    /// (so every tail length after the 8-byte steps).
    @Test func matchesBitwiseDefinition() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var crc: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            #expect(CRC32C.checksum(bytes) == ~crc, "length \(length)")
        }
    }
}
