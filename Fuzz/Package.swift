// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets, one executable each (README, "Fuzzing"). A separate package so that the
// root package's `swift build` and `make test` never build them: they only make sense built with
// `--sanitize fuzzer --sanitize address` (scripts/fuzz.sh), which instruments every dependency.
let package = Package(
    name: "prescient-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "prescient", path: ".."),
    ],
    targets: [
        // libFuzzer's LLVMFuzzerMutate, declared for Swift.
        .target(name: "CFuzzerMutate"),
        // Mutates the protobuf inside a snappy body rather than the compressed bytes.
        .target(name: "SnappyMutator", dependencies: ["CFuzzerMutate", .product(name: "RemoteAdapter", package: "prescient")]),
        .executableTarget(name: "FuzzRemoteWriteV1", dependencies: ["SnappyMutator", .product(name: "RemoteAdapter", package: "prescient")]),
        .executableTarget(name: "FuzzRemoteWriteV2", dependencies: ["SnappyMutator", .product(name: "RemoteAdapter", package: "prescient")]),
        .executableTarget(name: "FuzzRemoteRead", dependencies: ["SnappyMutator", .product(name: "RemoteAdapter", package: "prescient")]),
        .executableTarget(name: "FuzzConfig", dependencies: [.product(name: "RemoteAdapter", package: "prescient")]),
        .executableTarget(name: "FuzzModelState", dependencies: [.product(name: "RemoteAdapter", package: "prescient")]),
        .executableTarget(name: "FuzzSnapshot", dependencies: [.product(name: "RemoteAdapter", package: "prescient")]),
    ]
)
