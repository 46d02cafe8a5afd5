import Foundation
import Testing
@testable import RemoteAdapter

/// The committed seed corpus (Fuzz/corpus/) is what FuzzSeedCorpus makes, and each seed takes
/// the request path to the outcome it was made for, so the fuzzer starts from inputs that reach
/// every branch. `make fuzz-seeds` rewrites the files (PRESCIENT_WRITE_FUZZ_SEEDS=1).
@Suite struct FuzzSeedCorpusTests {
    static let corpus = repositoryRoot.appendingPathComponent("Fuzz/corpus")

    @Test func committedSeedsAreTheGeneratedOnes() throws {
        let write = ProcessInfo.processInfo.environment["PRESCIENT_WRITE_FUZZ_SEEDS"] == "1"
        let seeds = FuzzSeedCorpus.all
        for target in Set(seeds.map(\.target)) {
            let dir = Self.corpus.appendingPathComponent(target)
            let names = Set(seeds.filter { $0.target == target }.map(\.name))
            let present = Set((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            if write {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                for stale in present.subtracting(names) { try FileManager.default.removeItem(at: dir.appendingPathComponent(stale)) }
            } else {
                #expect(present == names, "Fuzz/corpus/\(target) differs from FuzzSeedCorpus; run make fuzz-seeds")
            }
        }
        for seed in seeds {
            let file = Self.corpus.appendingPathComponent(seed.target).appendingPathComponent(seed.name)
            if write {
                try Data(seed.bytes).write(to: file)
            } else if seed.reproducible {
                let committed = try? Data(contentsOf: file)
                #expect(committed.map { [UInt8]($0) } == seed.bytes, "\(seed) differs from FuzzSeedCorpus; run make fuzz-seeds")
            } else {
                let committed = try #require(try? Data(contentsOf: file), "\(seed) is missing; run make fuzz-seeds")
                #expect(Self.accepts(seed.target, [UInt8](committed)) == seed.accepted, "\(seed) no longer takes its path; run make fuzz-seeds")
            }
        }
    }

    @Test(arguments: FuzzSeedCorpus.all)
    func seedTakesTheRequestPath(_ seed: FuzzSeedCorpus.Seed) {
        #expect(Self.accepts(seed.target, seed.bytes) == seed.accepted)
    }

    static func accepts(_ target: String, _ input: [UInt8]) -> Bool {
        input.withUnsafeBytes { bytes in
            switch target {
            case "FuzzRemoteWriteV1": FuzzEntry.remoteWrite(bytes, version: .v1)
            case "FuzzRemoteWriteV2": FuzzEntry.remoteWrite(bytes, version: .v2)
            case "FuzzRemoteRead": FuzzEntry.remoteRead(bytes)
            case "FuzzModelState": FuzzEntry.modelState(bytes)
            case "FuzzSnapshot": FuzzEntry.snapshot(bytes)
            default: FuzzEntry.config(bytes)
            }
        }
    }
}
