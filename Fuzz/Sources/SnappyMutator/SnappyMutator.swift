import CFuzzerMutate
import RemoteAdapter

/// A libFuzzer custom mutator for snappy-compressed protobuf bodies.
///
/// libFuzzer mutates bytes; on a compressed body nearly every mutation breaks the compression, so
/// the protobuf decoder and the store behind snappy would rarely see anything new. This one
/// decompresses the input, lets libFuzzer mutate the protobuf bytes (with the dictionary), and
/// compresses the result again. One time in eight it mutates the compressed bytes as they are,
/// so snappy's own decoder and its error paths are fuzzed too.
public func mutateSnappyBody(_ data: UnsafeMutablePointer<UInt8>, size: Int, maxSize: Int, seed: UInt32) -> Int {
    if seed % 8 != 0,
       let decoded = try? Snappy.decompress(UnsafeRawBufferPointer(start: data, count: size), limit: 4 * maxSize) {
        // Room to grow to maxSize decoded bytes; compression usually keeps it under maxSize.
        var buffer = decoded + [UInt8](repeating: 0, count: max(0, maxSize - decoded.count))
        let mutated = buffer.withUnsafeMutableBufferPointer { b in
            LLVMFuzzerMutate(b.baseAddress!, decoded.count, b.count)
        }
        let compressed = buffer.withUnsafeBytes { Snappy.compress(UnsafeRawBufferPointer(rebasing: $0[..<mutated])) }
        if compressed.count <= maxSize {
            compressed.withUnsafeBytes { UnsafeMutableRawPointer(data).copyMemory(from: $0.baseAddress!, byteCount: compressed.count) }
            return compressed.count
        }
    }
    return LLVMFuzzerMutate(data, size, maxSize)
}
