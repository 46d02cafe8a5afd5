/// A compact binary `Codable` format for the model state in snapshots (`SeriesModeler.SavedState`).
///
/// Written by hand because the encoders Foundation has do not fit: JSON and property lists
/// write every key and every number one by one, and a modelled series holds thousands of
/// doubles (its window, calibration errors and recent anomaly errors), so 100k series would be
/// billions of keyed numbers per snapshot. Here a value is written by position, without keys
/// (the types and the snapshot's format version fix the layout), and `[Double]`/`[Int]` are one
/// length and their bytes (`[Float]` 4 bytes each). Decoding never trusts the input: every read is bounds-checked
/// (`ByteReader`) and a short or malformed state throws.
///
/// Limits of a positional format, which the saved types respect: keyed containers cannot be
/// decoded by `allKeys` (enums with associated values, dictionaries with string keys), and a
/// single-value container cannot hold nil (optionals are saved as keyed or unkeyed members).
///
/// `userInfo` reaches the saved types' `Codable` code: a snapshot of an older format passes
/// what that format laid out differently (`CodingUserInfoKey.samplesAsDoubles`).
enum ModelStateCoder {
    static func encode<T: Encodable>(_ value: T, into writer: inout ByteWriter,
                                     userInfo: [CodingUserInfoKey: Any] = [:]) throws {
        let sink = Sink(writer: writer, userInfo: userInfo)
        writer = ByteWriter()  // hand the buffer over without a copy
        defer { writer = sink.writer }
        try value.encode(to: StateEncoder(sink: sink))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer,
                                     userInfo: [CodingUserInfoKey: Any] = [:]) throws -> T {
        let source = Source(reader: ByteReader(bytes), userInfo: userInfo)
        let value = try T(from: StateDecoder(source: source))
        guard source.reader.isAtEnd else { throw corrupt("\(source.reader.remaining) bytes left after the state") }
        return value
    }

    static func corrupt(_ what: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "saved model state: \(what)"))
    }

    final class Sink {
        var writer: ByteWriter
        let userInfo: [CodingUserInfoKey: Any]
        init(writer: ByteWriter, userInfo: [CodingUserInfoKey: Any]) {
            self.writer = writer
            self.userInfo = userInfo
        }
    }

    final class Source {
        var reader: ByteReader
        let userInfo: [CodingUserInfoKey: Any]
        init(reader: ByteReader, userInfo: [CodingUserInfoKey: Any]) {
            self.reader = reader
            self.userInfo = userInfo
        }

        func read<R>(_ body: (inout ByteReader) throws(ByteReader.Malformed) -> R) throws -> R {
            do {
                return try body(&reader)
            } catch {
                throw ModelStateCoder.corrupt(error.description)
            }
        }
    }
}

// MARK: Encoding

private struct StateEncoder: Encoder {
    let sink: ModelStateCoder.Sink
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { sink.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedStateWriter<Key>(sink: sink))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { UnkeyedStateWriter(sink: sink) }
    func singleValueContainer() -> any SingleValueEncodingContainer { ValueStateWriter(sink: sink) }
}

/// Writes one value of any supported type: the shared core of the three containers.
private struct ValueStateWriter: SingleValueEncodingContainer {
    let sink: ModelStateCoder.Sink
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws {
        throw EncodingError.invalidValue(Optional<Int>.none as Any, .init(codingPath: [], debugDescription: "a positional state cannot hold a bare nil"))
    }

    mutating func encode(_ value: Bool) throws { sink.writer.u8(value ? 1 : 0) }
    mutating func encode(_ value: String) throws { sink.writer.string(value) }
    mutating func encode(_ value: Double) throws { sink.writer.f64(value) }
    mutating func encode(_ value: Float) throws { sink.writer.f64(Double(value)) }
    mutating func encode(_ value: Int) throws { sink.writer.i64(Int64(value)) }
    mutating func encode(_ value: Int8) throws { sink.writer.i64(Int64(value)) }
    mutating func encode(_ value: Int16) throws { sink.writer.i64(Int64(value)) }
    mutating func encode(_ value: Int32) throws { sink.writer.i64(Int64(value)) }
    mutating func encode(_ value: Int64) throws { sink.writer.i64(value) }
    mutating func encode(_ value: UInt) throws { sink.writer.u64(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { sink.writer.u64(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { sink.writer.u64(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { sink.writer.u64(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { sink.writer.u64(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        // Bulk arrays: one length and the raw values.
        if T.self == [Double].self {
            sink.writer.f64s(value as! [Double])
        } else if T.self == [Float].self {
            sink.writer.f32s(value as! [Float])
        } else if T.self == [Int].self {
            let ints = value as! [Int]
            sink.writer.uvarint(ints.count)
            for v in ints { sink.writer.i64(Int64(v)) }
        } else {
            try value.encode(to: StateEncoder(sink: sink))
        }
    }
}

/// Elements follow a 4-byte count, patched as each element is written (a container is never
/// told that it is finished).
private struct UnkeyedStateWriter: UnkeyedEncodingContainer {
    let sink: ModelStateCoder.Sink
    private let slot: Int
    private(set) var count = 0
    var codingPath: [any CodingKey] { [] }

    init(sink: ModelStateCoder.Sink) {
        self.sink = sink
        slot = sink.writer.bytes.count
        sink.writer.u32(0)
    }

    private mutating func counted(_ body: (inout ValueStateWriter) throws -> Void) throws {
        var value = ValueStateWriter(sink: sink)
        try body(&value)
        count += 1
        withUnsafeBytes(of: UInt32(count).littleEndian) { raw in
            for i in 0..<4 { sink.writer.bytes[slot + i] = raw[i] }
        }
    }

    mutating func encodeNil() throws { try counted { try $0.encodeNil() } }
    mutating func encode<T: Encodable>(_ value: T) throws { try counted { try $0.encode(value) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        try? counted { _ in }
        return KeyedEncodingContainer(KeyedStateWriter<NestedKey>(sink: sink))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        try? counted { _ in }
        return UnkeyedStateWriter(sink: sink)
    }

    mutating func superEncoder() -> any Encoder {
        try? counted { _ in }
        return StateEncoder(sink: sink)
    }
}

/// Values in the order they are encoded; keys are not written. Optionals get a presence byte.
private struct KeyedStateWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: ModelStateCoder.Sink
    var codingPath: [any CodingKey] { [] }

    private var value: ValueStateWriter { ValueStateWriter(sink: sink) }

    mutating func encodeNil(forKey key: Key) throws { sink.writer.u8(0) }
    mutating func encode(_ v: Bool, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: String, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: Double, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: Float, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: Int, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: Int8, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: Int16, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: Int32, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: Int64, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: UInt, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: UInt8, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: UInt16, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: UInt32, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode(_ v: UInt64, forKey key: Key) throws { var w = value; try w.encode(v) }
    mutating func encode<T: Encodable>(_ v: T, forKey key: Key) throws { var w = value; try w.encode(v) }

    // Every overload: the defaults skip nil, which a positional reader could not tell apart.
    private mutating func present<T: Encodable>(_ v: T?) throws {
        guard let v else { return sink.writer.u8(0) }
        sink.writer.u8(1)
        var w = value
        try w.encode(v)
    }
    mutating func encodeIfPresent(_ v: Bool?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: String?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: Double?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: Float?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: Int?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: Int8?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: Int16?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: Int32?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: Int64?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: UInt?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: UInt8?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: UInt16?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: UInt32?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent(_ v: UInt64?, forKey key: Key) throws { try present(v) }
    mutating func encodeIfPresent<T: Encodable>(_ v: T?, forKey key: Key) throws { try present(v) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedStateWriter<NestedKey>(sink: sink))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { UnkeyedStateWriter(sink: sink) }
    mutating func superEncoder() -> any Encoder { StateEncoder(sink: sink) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { StateEncoder(sink: sink) }
}

// MARK: Decoding

private struct StateDecoder: Decoder {
    let source: ModelStateCoder.Source
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { source.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedStateReader<Key>(source: source))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { try UnkeyedStateReader(source: source) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { ValueStateReader(source: source) }
}

private struct ValueStateReader: SingleValueDecodingContainer {
    let source: ModelStateCoder.Source
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool { false }

    private func int<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let v = try source.read { r throws(ByteReader.Malformed) in try r.i64() }
        guard let i = I(exactly: v) else { throw ModelStateCoder.corrupt("\(v) does not fit \(I.self)") }
        return i
    }

    private func uint<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let v = try source.read { r throws(ByteReader.Malformed) in try r.u64() }
        guard let i = I(exactly: v) else { throw ModelStateCoder.corrupt("\(v) does not fit \(I.self)") }
        return i
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        switch try source.read({ r throws(ByteReader.Malformed) in try r.u8() }) {
        case 0: false
        case 1: true
        case let b: throw ModelStateCoder.corrupt("boolean byte \(b)")
        }
    }

    func decode(_ type: String.Type) throws -> String { try source.read { r throws(ByteReader.Malformed) in try r.string() } }
    func decode(_ type: Double.Type) throws -> Double { try source.read { r throws(ByteReader.Malformed) in try r.f64() } }
    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int { try int(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try int(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try int(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try int(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try int(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try uint(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try uint(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try uint(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try uint(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try uint(UInt64.self) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == [Double].self {
            return try source.read { r throws(ByteReader.Malformed) in try r.f64s() } as! T
        }
        if T.self == [Float].self {
            return try source.read { r throws(ByteReader.Malformed) in try r.f32s() } as! T
        }
        if T.self == [Int].self {
            let ints = try source.read { r throws(ByteReader.Malformed) -> [Int] in
                let n = try r.count(minimumBytesEach: 8)
                var out = [Int]()
                out.reserveCapacity(n)
                for _ in 0..<n { out.append(Int(try r.i64())) }
                return out
            }
            return ints as! T
        }
        return try T(from: StateDecoder(source: source))
    }
}

private struct UnkeyedStateReader: UnkeyedDecodingContainer {
    let source: ModelStateCoder.Source
    let count: Int?
    private(set) var currentIndex = 0
    var codingPath: [any CodingKey] { [] }
    var isAtEnd: Bool { currentIndex >= count ?? 0 }

    init(source: ModelStateCoder.Source) throws {
        self.source = source
        let n = try source.read { r throws(ByteReader.Malformed) in Int(try r.u32()) }
        // Every element takes at least one byte: a count beyond what is left is corrupt.
        guard n <= source.reader.remaining else { throw ModelStateCoder.corrupt("\(n) elements in \(source.reader.remaining) bytes") }
        count = n
    }

    private mutating func next() throws -> ValueStateReader {
        guard !isAtEnd else { throw ModelStateCoder.corrupt("read past the \(count ?? 0) elements of a list") }
        currentIndex += 1
        return ValueStateReader(source: source)
    }

    mutating func decodeNil() throws -> Bool { false }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(T.self) }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decode(Bool.self) }
    mutating func decode(_ type: String.Type) throws -> String { try next().decode(String.self) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().decode(Double.self) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().decode(Int.self) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        _ = try next()
        return KeyedDecodingContainer(KeyedStateReader<NestedKey>(source: source))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        _ = try next()
        return try UnkeyedStateReader(source: source)
    }

    mutating func superDecoder() throws -> any Decoder {
        _ = try next()
        return StateDecoder(source: source)
    }
}

private struct KeyedStateReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let source: ModelStateCoder.Source
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    private var value: ValueStateReader { ValueStateReader(source: source) }

    func contains(_ key: Key) -> Bool { true }

    /// The presence byte `encodeIfPresent` wrote: the default `decodeIfPresent` asks this first.
    func decodeNil(forKey key: Key) throws -> Bool {
        switch try source.read({ r throws(ByteReader.Malformed) in try r.u8() }) {
        case 0: return true
        case 1: return false
        case let b: throw ModelStateCoder.corrupt("presence byte \(b)")
        }
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value.decode(Bool.self) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try value.decode(String.self) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try value.decode(Double.self) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try value.decode(Float.self) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value.decode(Int.self) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try value.decode(Int8.self) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try value.decode(Int16.self) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try value.decode(Int32.self) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value.decode(Int64.self) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try value.decode(UInt.self) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try value.decode(UInt8.self) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try value.decode(UInt16.self) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try value.decode(UInt32.self) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try value.decode(UInt64.self) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try value.decode(T.self) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(KeyedStateReader<NestedKey>(source: source))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try UnkeyedStateReader(source: source) }
    func superDecoder() throws -> any Decoder { StateDecoder(source: source) }
    func superDecoder(forKey key: Key) throws -> any Decoder { StateDecoder(source: source) }
}
