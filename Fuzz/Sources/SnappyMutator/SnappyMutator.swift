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
        let buffer = scratch(max(maxSize, decoded.count))
        decoded.withUnsafeBufferPointer { _ = buffer.initialize(from: $0) }
        let mutated = LLVMFuzzerMutate(buffer.baseAddress!, decoded.count, buffer.count)
        let compressed = Snappy.compress(UnsafeRawBufferPointer(start: buffer.baseAddress, count: mutated))
        if compressed.count <= maxSize {
            compressed.withUnsafeBytes { UnsafeMutableRawPointer(data).copyMemory(from: $0.baseAddress!, byteCount: compressed.count) }
            return compressed.count
        }
    }
    return LLVMFuzzerMutate(data, size, maxSize)
}

/// One buffer for every mutation (libFuzzer calls the mutator from one thread): allocating and
/// zeroing a fresh 64 KiB array per call under ASan about halved the executions per second.
nonisolated(unsafe) private var scratchBuffer = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)

private func scratch(_ count: Int) -> UnsafeMutableBufferPointer<UInt8> {
    if scratchBuffer.count < count {
        scratchBuffer.deallocate()
        scratchBuffer = .allocate(capacity: count)
        scratchBuffer.initialize(repeating: 0)
    }
    return scratchBuffer
}
