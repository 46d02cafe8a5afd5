import Foundation
import Testing
@testable import RemoteAdapter

/// Reads XOR chunks as `tsdb/docs/format/chunks.md` describes them, written independently of the
/// encoder (bit by bit, no shared helpers), so a round trip checks the encoder against the spec.
struct XORChunkSpecDecoder {
    struct Malformed: Error, CustomStringConvertible { let description: String }

    private let bytes: [UInt8]
    private var bit = 16  // after the 2-byte sample count

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private mutating func readBit() throws -> UInt64 {
        guard bit / 8 < bytes.count else { throw Malformed(description: "chunk ends early at bit \(bit)") }
        let value = bytes[bit / 8] >> (7 - UInt8(bit % 8)) & 1
        bit += 1
        return UInt64(value)
    }

    private mutating func readBits(_ n: Int) throws -> UInt64 {
        var v: UInt64 = 0
        for _ in 0..<n { v = v << 1 | (try readBit()) }
        return v
    }

    private mutating func readUvarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readBits(8)
            result |= (byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            guard shift < 70 else { throw Malformed(description: "varint too long") }
        }
    }

    /// Every sample of the chunk.
    static func decode(_ bytes: [UInt8]) throws -> [WireSample] {
        guard bytes.count >= 2 else { throw Malformed(description: "no header") }
        let count = Int(bytes[0]) << 8 | Int(bytes[1])
        var r = XORChunkSpecDecoder(bytes)
        var out = [WireSample]()
        var t: Int64 = 0, delta: Int64 = 0
        var valueBits: UInt64 = 0
        var leading = 0, trailing = 0
        for i in 0..<count {
            if i == 0 {
                let zigzag = try r.readUvarint()
                t = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
                valueBits = try r.readBits(64)
                out.append(WireSample(timestamp: t, value: Double(bitPattern: valueBits)))
                continue
            }
            if i == 1 {
                delta = Int64(bitPattern: try r.readUvarint())
            } else {
                var prefix = 0
                while prefix < 4, try r.readBit() == 1 { prefix += 1 }
                var dod: Int64 = 0
                let width = [0, 14, 17, 20, 64][prefix]
                if width == 64 {
                    dod = Int64(bitPattern: try r.readBits(64))
                } else if width > 0 {
                    var raw = Int64(try r.readBits(width))
                    if raw > 1 << (width - 1) { raw -= 1 << width }
                    dod = raw
                }
                delta += dod
            }
            t += delta
            if try r.readBit() == 1 {
                if try r.readBit() == 1 {
                    leading = Int(try r.readBits(5))
                    var significant = Int(try r.readBits(6))
                    if significant == 0 { significant = 64 }
                    trailing = 64 - leading - significant
                }
                let significant = 64 - leading - trailing
                valueBits ^= try r.readBits(significant) << UInt64(trailing)
            }
            out.append(WireSample(timestamp: t, value: Double(bitPattern: valueBits)))
        }
        return out
    }
}

@Suite struct XORChunkTests {
    static func encode(_ samples: [WireSample]) -> [UInt8] {
        var e = XORChunkEncoder()
        for s in samples { e.append(timestamp: s.timestamp, value: s.value) }
        return e.bytes
    }

    /// Bit patterns, not `==`: NaN payloads (stale markers) and -0.0 must come back exactly.
    static func expectRoundTrip(_ samples: [WireSample], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = encode(samples)
        let back = try XORChunkSpecDecoder.decode(bytes)
        #expect(back.map(\.timestamp) == samples.map(\.timestamp), sourceLocation: sourceLocation)
        #expect(back.map(\.value.bitPattern) == samples.map(\.value.bitPattern), sourceLocation: sourceLocation)
        #expect(Int(bytes[0]) << 8 | Int(bytes[1]) == samples.count, sourceLocation: sourceLocation)
    }

    static func samples(_ pairs: [(Int64, Double)]) -> [WireSample] {
        pairs.map { WireSample(timestamp: $0.0, value: $0.1) }
    }

    @Test func specialValues() throws {
        try Self.expectRoundTrip(Self.samples([
            (1_700_000_000_000, 1), (1_700_000_015_000, .nan), (1_700_000_030_000, .staleMarker),
            (1_700_000_045_000, .infinity), (1_700_000_060_000, -.infinity), (1_700_000_075_000, -0.0),
            (1_700_000_090_000, 0), (1_700_000_105_000, .leastNonzeroMagnitude), (1_700_000_120_000, .greatestFiniteMagnitude),
            (1_700_000_135_000, Double(bitPattern: 0x7FF8_0000_0000_0001)), (1_700_000_150_000, 0.1),
        ]))
    }

    @Test func equalValuesAndRegularSteps() throws {
        try Self.expectRoundTrip((0..<120).map { WireSample(timestamp: 1_000 + Int64($0) * 15_000, value: 42) })
    }

    @Test func oneAndTwoSamples() throws {
        try Self.expectRoundTrip(Self.samples([(1_700_000_000_000, 3.5)]))
        try Self.expectRoundTrip(Self.samples([(-5_000, -3.5)]))
        try Self.expectRoundTrip(Self.samples([(0, 0)]))
        try Self.expectRoundTrip(Self.samples([(0, 1), (Int64(1) << 40, 2)]))
        // One sample: 2 header bytes, a varint, 8 bytes of value, and the empty byte Prometheus'
        // bit stream leaves after whole bytes that end aligned.
        #expect(Self.encode(Self.samples([(1, 7)])) == [0, 1, 2, 0x40, 0x1C, 0, 0, 0, 0, 0, 0, 0])
    }

    /// Deltas of deltas at every width boundary, both signs, including the 64-bit escape and
    /// jumps back (negative deltas of deltas after a long gap).
    @Test func irregularGaps() throws {
        var t: Int64 = 1_700_000_000_000
        var delta: Int64 = 15_000
        var out = [WireSample(timestamp: t, value: 0)]
        t += delta
        out.append(WireSample(timestamp: t, value: 1))
        let dods: [Int64] = [
            0, 1, -1, 8_191, 8_192, -8_191, -8_192, 8_193, 65_535, 65_536, -65_535, -65_536, 65_537,
            524_287, 524_288, -524_287, -524_288, 524_289, 86_400_000 * 30, -86_400_000 * 30, 3, -14_999,
        ]
        for (k, dod) in dods.enumerated() {
            delta += dod
            precondition(delta > 0)
            t += delta
            out.append(WireSample(timestamp: t, value: Double(k) * 1.5 - 7))
        }
        try Self.expectRoundTrip(out)
    }

    @Test func boundaryOfFieldWidths() {
        #expect(XORChunkEncoder.fits(8_192, 14))
        #expect(!XORChunkEncoder.fits(-8_192, 14))
        #expect(XORChunkEncoder.fits(-8_191, 14))
        #expect(!XORChunkEncoder.fits(8_193, 14))
    }

    /// Values whose XOR windows grow, shrink and reuse: random doubles, small integers, a
    /// counter, and sign flips (64 meaningful bits, written as 0).
    @Test func randomValues() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var t = Int64.random(in: -1_000_000...1_000_000_000_000, using: &generator)
            let out = (0..<Int.random(in: 1...400, using: &generator)).map { i -> WireSample in
                t += Int64.random(in: 1...120_000, using: &generator)
                let v: Double = switch i % 4 {
                case 0: Double(bitPattern: UInt64.random(in: .min ... .max, using: &generator))
                case 1: Double(Int.random(in: -3...3, using: &generator))
                case 2: Double(i) * 0.25
                default: i % 8 == 3 ? -1.0 : 1.0
                }
                return WireSample(timestamp: t, value: v)
            }
            try Self.expectRoundTrip(out)
        }
    }

    /// A bit pattern chosen by hand: one sample at t=1000 (zig-zag 2000 = 0xD0 0x0F) with value
    /// 1.0, then t=2000 (delta 1000 = 0xE8 0x07) with the same value (a single 0 bit).
    @Test func knownBytes() {
        let bytes = Self.encode(Self.samples([(1_000, 1), (2_000, 1)]))
        #expect(bytes == [0x00, 0x02, 0xD0, 0x0F, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0xE8, 0x07, 0x00])
    }
}
